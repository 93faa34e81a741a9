#!/usr/bin/env python3
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Two Odoo servers on one database, each with HTTP workers and a cron worker, drive the intake API and every scheduled
job at the same moment; then one is killed (SIGKILL) in the middle of a batch, the job runs again, and nothing is done
twice nor left undone; then the same with OCA's queue_job, its job runner giving the jobs to both servers' workers.

    python3 scripts/scale_out.py [--leads 40] [--keep] [--config .state/odoo.conf]

What it builds: a scratch database with lead_management_api (no demo data): an intake user and key, a team with two
qualifying reps and two salespeople, an SLA policy, a nurture track with an e-mail step for grade B, a fit rule that
makes a lead with a phone and a webinar grade B, the Qualified stage entered from 70 points, automatic hand-off; and a
second copy of each scheduled action of Lead Management (rescore, SLA, nurture, qualifier assignment), so that both
servers' cron workers run the same job at the same moment.

Phases (each job triggered on both servers at once, then counted):
1. intake: every lead sent to both servers at once (one lead per external id), and an event of each (one event);
   then a queued batch (Prefer: respond-async) sent to both at once, done by both servers' cron workers: each item
   answered once in each batch, one lead per external id;
2. qualifier assignment: leads written in SQL without owner get one qualifying rep each, spread evenly;
3. rescore: a rule on "demo" makes those leads A: each rescored once (one grade change), promoted and handed off once;
4. nurture: the e-mail step of every enrolled lead due: each lead gets one e-mail, each step done once;
5. SLA: every speed-to-lead clock due: each owner reminded once (one activity, one message a lead);
6. SIGKILL: new clocks due, the SLA job held in the middle of its batch (mail_activity locked by this script), the
   server whose cron worker holds it killed with its workers, the lock released, the job run again by the other: each
   clock escalated once; the same with a queued batch held at its first lead (lead_intake_reference locked): each
   item done once, one lead per external id;
7. queue_job: lead_management_queue installed, both servers restarted with queue_job loaded and its runner; the runner
   calls a round-robin proxy in front of both: new leads, a queued batch, a rule change, due steps and clocks become
   jobs, done once each, by workers of both servers.
Exit 0 when every count holds.
"""
import argparse
import configparser
import contextlib
import itertools
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid

import psycopg2

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_CONFIG = os.environ.get("ODOO_RC") or os.path.join(ROOT, ".state", "odoo.conf")
BATCH_CRON = "lead_management_api.ir_cron_lead_intake_batches"
CRONS = ("ir_cron_rescore", "ir_cron_sla", "ir_cron_nurture", "ir_cron_assign_qualifiers", BATCH_CRON)
WAIT = 240  # seconds a phase may take before the run fails

SETUP = r"""
import json
Users = env["res.users"].with_context(no_reset_password=True)
def user(login, groups):
    return Users.create({"name": login, "login": login, "email": login + "@example.com",
                         "groups_id": [(6, 0, [env.ref(group).id for group in groups])]})
intake = user("so_intake", ["lead_management.group_lead_intake"])
reps = [user("so_rep_%s" % index, ["lead_management.group_lead_qualifier"]) for index in range(2)]
sales = [user("so_sales_%s" % index, ["sales_team.group_sale_salesman"]) for index in range(2)]
leader = user("so_leader", ["sales_team.group_sale_manager"])
team = env["crm.team"].create({"name": "Scale-out", "use_leads": True, "use_opportunities": True,
                               "user_id": leader.id})
env["crm.team.member"].create([{"crm_team_id": team.id, "user_id": rep.id} for rep in reps]
                              + [{"crm_team_id": team.id, "user_id": seller.id, "assignment_max": 100000}
                                 for seller in sales])
env.company.write({"lead_intake_team_id": team.id, "lead_auto_handoff": True, "lead_qualifier_cap": 0,
                   "nurture_working_hours": False, "nurture_weekly_cap": 0})
env.ref("lead_management.lifecycle_stage_qualified").entry_domain = "[('lead_score', '>=', 70)]"
env["lead.scoring.rule"].create({"name": "Gave a phone", "domain": "[('phone', '!=', False)]", "points": 20})
env["lead.sla.policy"].create({"name": "Scale-out SLA", "clock": "speed", "target_hours": 8, "warning_hours": 1,
                               "warn_owner": True, "escalate_to_leader": False})
template = env["mail.template"].create({
    "name": "Scale-out nurture", "model_id": env.ref("crm.model_crm_lead").id, "subject": "Scale-out nurture",
    "email_to": "{{ object.email_from }}", "body_html": "<p>Hello</p>"})
track = env["lead.nurture.track"].create({"name": "Scale-out track", "step_ids": [
    (0, 0, {"name": "Scale-out e-mail", "action": "email", "mail_template_id": template.id, "delay": 1,
            "delay_unit": "days", "delay_from": "enrolment"})]})
env["lead.grade"].search([("name", "=", "B")]).nurture_track_id = track
crons = {}
for xmlid in CRONS:
    cron = env.ref(xmlid if "." in xmlid else "lead_management." + xmlid)
    crons[xmlid] = (cron | cron.copy({"name": cron.name + " (second)", "active": True})).ids
env["ir.config_parameter"].set_param("lead_management_api.rate_limit", 1000000)
key = env["res.users.apikeys"].with_user(intake).sudo()._generate("lead_management_intake", "scale-out", None)
env.cr.commit()
env.registry.signal_changes()
print("SCALE-OUT " + json.dumps({"key": key, "crons": crons, "team": team.id,
                                 "reps": [rep.id for rep in reps], "sales": [seller.id for seller in sales]}))
"""

# A change made outside a request tells the other processes, as a request does (their caches of the rules).
DEMO_RULE = r"""
env["lead.scoring.rule"].create({"name": "Asked for a demo", "domain": "[('description', 'ilike', 'demo')]",
                                 "points": 60})
env.cr.commit()
env.registry.signal_changes()
"""


STARTED = time.monotonic()


def say(message):
    print(f"[scale-out {time.monotonic() - STARTED:5.0f} s] {message}", file=sys.stderr, flush=True)


class Failed(AssertionError):
    pass


def check(condition, message):
    if not condition:
        raise Failed(message)


class Stack:
    """The scratch database and the Odoo servers on it."""

    def __init__(self, config, leads, log):
        self.config = config
        self.leads = leads
        self.log = log
        self.db = f"lm_scale_out_{uuid.uuid4().hex[:8]}"
        self.servers = {}  # name: Popen
        self.ports = {}
        self.odoo_bin = self._odoo_bin()
        self.tag = uuid.uuid4().hex[:6]

    def _odoo_bin(self):
        import odoo
        return os.path.join(os.path.dirname(os.path.dirname(odoo.__file__)), "odoo-bin")

    # --- database --------------------------------------------------------------------------------------------
    def sql(self, query, params=None):
        with contextlib.closing(psycopg2.connect(dbname=self.db)) as connection:
            connection.autocommit = True
            with connection.cursor() as cursor:
                cursor.execute(query, params)
                return cursor.fetchall() if cursor.description else None

    def value(self, query, params=None):
        return self.sql(query, params)[0][0]

    def odoo(self, *args, stdin=None, timeout=900, command=()):
        result = subprocess.run([sys.executable, self.odoo_bin, *command, "-c", self.config, "-d", self.db, *args],
                                input=stdin, capture_output=True, text=True, timeout=timeout)
        check(result.returncode == 0, f"odoo-bin {' '.join(args)} failed: {(result.stdout + result.stderr)[-3000:]}")
        return result.stdout

    def shell(self, code):
        return self.odoo("--no-http", "--log-level=warn", stdin=code, command=("shell",))

    def build(self):
        say(f"database {self.db}: installing lead_management_api (no demo data)")
        self.odoo("-i", "lead_management_api", "--without-demo=all", "--stop-after-init", "--log-level=warn",
                  "--http-port=0")
        out = self.shell(SETUP.replace("CRONS", repr(CRONS)))
        line = next(line for line in out.splitlines() if line.startswith("SCALE-OUT "))
        self.world = json.loads(line[len("SCALE-OUT "):])

    def drop(self):
        subprocess.run(["dropdb", "--if-exists", "--force", self.db], check=False, capture_output=True)

    # --- servers ---------------------------------------------------------------------------------------------
    def start(self, name, queue=None):
        port = free_port()
        env = dict(os.environ, ODOO_PGAPPNAME=f"so-{self.tag}-{name}-{{pid}}")
        args = [sys.executable, self.odoo_bin, "-c", self.config, "-d", self.db, f"--db-filter=^{self.db}$",
                f"--http-port={port}", "--http-interface=127.0.0.1", "--workers=2", "--max-cron-threads=1",
                "--limit-time-real=600", "--limit-time-cpu=600", "--log-level=warn"]
        if queue:
            args.append("--load=base,web,queue_job")
            env.update(ODOO_QUEUE_JOB_CHANNELS="root:4", ODOO_QUEUE_JOB_HOST="127.0.0.1",
                       ODOO_QUEUE_JOB_PORT=str(queue))
        log = open(os.path.join(self.log, f"{self.db}-{name}.log"), "a", encoding="utf-8")
        self.servers[name] = subprocess.Popen(args, env=env, stdout=log, stderr=subprocess.STDOUT,
                                              start_new_session=True)
        self.ports[name] = port
        wait_for(lambda: http_ok(f"http://127.0.0.1:{port}/lead_management/v1/openapi.json"), 120,
                 f"server {name} did not start")

    def kill(self, name, sig=signal.SIGKILL):
        process = self.servers.pop(name)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        process.wait(timeout=60)

    def stop_all(self):
        for name in list(self.servers):
            self.kill(name, signal.SIGTERM)

    def url(self, name, path):
        return f"http://127.0.0.1:{self.ports[name]}/lead_management/v1/{path}"

    def worker_pids(self, name):
        """The processes of server ``name`` (the master and its workers)."""
        pgid = self.servers[name].pid
        out = subprocess.run(["ps", "-o", "pid=", "-g", str(pgid)], capture_output=True, text=True).stdout
        return {int(pid) for pid in out.split()}

    # --- jobs ------------------------------------------------------------------------------------------------
    def trigger(self, *xmlids):
        """Every copy of these scheduled actions due now, both servers' cron workers woken."""
        ids = [cron_id for xmlid in xmlids for cron_id in self.world["crons"][xmlid]]
        self.sql("UPDATE ir_cron SET nextcall = now() AT TIME ZONE 'UTC' - interval '1 minute' WHERE id = ANY(%s)",
                 [ids])
        # As Odoo's own triggers do: the cron workers listen on the postgres database.
        with contextlib.closing(psycopg2.connect(dbname="postgres")) as connection:
            connection.autocommit = True
            with connection.cursor() as cursor:
                cursor.execute("NOTIFY cron_trigger, %s", [self.db])

    def idle(self, *xmlids):
        """None of these scheduled actions is due nor running."""
        ids = [cron_id for xmlid in xmlids for cron_id in self.world["crons"][xmlid]]
        due = self.value("SELECT count(*) FROM ir_cron WHERE id = ANY(%s) AND nextcall <= now() AT TIME ZONE 'UTC'",
                         [ids])
        # (a scheduled action moves its next call once its run is over)
        return due == 0


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http_ok(url):
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status == 200
    except OSError:
        return False


def wait_for(condition, seconds, message):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.5)
    raise Failed(message)


def post(url, key, body, headers=None):
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST", headers={
        "Content-Type": "application/json", "Authorization": f"Bearer {key}", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def at_once(calls):
    """Run the callables together (released by a barrier); their results, and any exception raised."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(index, call):
        barrier.wait()
        try:
            results[index] = call()
        except Exception as error:  # reported by the caller
            results[index] = error
    threads = [threading.Thread(target=run, args=(index, call)) for index, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(300)
    return results


class RoundRobinProxy:
    """A TCP proxy in front of both servers: each connection goes to the next one (a load balancer, as in front of
    Odoo servers in production), so that queue_job's runner has jobs run by both."""

    def __init__(self):
        self.targets = []
        self.calls = itertools.count()
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                client, _address = self.sock.accept()
            except OSError:
                return
            if not self.targets:
                client.close()
                continue
            port = self.targets[next(self.calls) % len(self.targets)]
            threading.Thread(target=self._pipe_both, args=(client, port), daemon=True).start()

    def _pipe_both(self, client, port):
        try:
            upstream = socket.create_connection(("127.0.0.1", port))
        except OSError:
            client.close()
            return
        for source, target in ((client, upstream), (upstream, client)):
            threading.Thread(target=self._pipe, args=(source, target), daemon=True).start()

    @staticmethod
    def _pipe(source, target):
        try:
            while data := source.recv(65536):
                target.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, target):
                with contextlib.suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)

    def close(self):
        self.sock.close()


# ----------------------------------------------------------------------------------------------------------------
# PHASES
# ----------------------------------------------------------------------------------------------------------------

PHONES = {"p1": 70, "p6": 71, "p7": 72}


def send_leads(stack, tag, count, demo_every=2):
    """``count`` leads, each sent to both servers at the same moment (the same external id), then an event of each,
    also to both. Returns the ids of the leads."""
    key = stack.world["key"]
    phones = PHONES
    ids = []
    for index in range(count):
        body = {"external_id": f"{tag}-{index}", "contact_name": f"Person {tag} {index}",
                "email": f"{tag}.{index}@scale-out.example.com", "phone": f"+32 4{phones[tag]} {index:06d}",
                "country_code": "BE", "notes": "Wants a demo" if index % demo_every == 0 else "Reading"}
        answers = at_once([lambda name=name, body=body: post(stack.url(name, "leads"), key, body)
                           for name in ("a", "b")])
        statuses = sorted(answer[0] for answer in answers if not isinstance(answer, Exception))
        check(statuses == [200, 201], f"lead {body['external_id']}: answers {answers}")
        ids.append(next(answer[1]["id"] for answer in answers))
        event = {"external_id": f"{tag}-event-{index}", "type": "webinar", "lead_external_id": body["external_id"]}
        answers = at_once([lambda name=name, event=event: post(stack.url(name, "events"), key, event)
                           for name in ("a", "b")])
        statuses = sorted(answer[0] for answer in answers if not isinstance(answer, Exception))
        check(statuses == [200, 201], f"event {event['external_id']}: answers {answers}")
    check(len(set(ids)) == count, "one lead per external id")
    leads = stack.value("SELECT count(*) FROM crm_lead WHERE email_from LIKE %s", [f"{tag}.%"])
    events = stack.value("SELECT count(*) FROM lead_engagement_event WHERE external_id LIKE %s", [f"{tag}-event-%"])
    check((leads, events) == (count, count), f"{leads} leads and {events} events for {count} of each")
    return ids


def phase_intake(stack):
    ids = send_leads(stack, "p1", stack.leads)
    say(f"1. intake: {len(ids)} leads and {len(ids)} events, each sent to both servers at once: one of each")
    return ids


def queued_items(tag, count):
    return [{"external_id": f"{tag}-{index}", "contact_name": f"Queued {tag} {index}",
             "email": f"{tag}.{index}@scale-out.example.com", "country_code": "BE"} for index in range(count)]


def queue_batch(stack, name, items):
    """A queued batch sent to server ``name``: its id."""
    status, answer = post(stack.url(name, "leads/batch"), stack.world["key"], {"items": items},
                          headers={"Prefer": "respond-async"})
    check(status == 202, f"queued batch: {status} {answer}")
    return answer["batch"]["id"]


def batch_results(stack, batch_id):
    return [row[0] for row in stack.sql(  # jsonb: psycopg2 gives it as Python values
        "SELECT answer FROM lead_intake_batch_item WHERE batch_id = %s ORDER BY sequence", [batch_id])]


def wait_batches_done(stack, batch_ids):
    cron = BATCH_CRON
    woken = [time.monotonic()]

    def done():
        if stack.value("SELECT count(*) FROM lead_intake_batch_item WHERE batch_id = ANY(%s) AND answer IS NULL",
                       [batch_ids]):
            if time.monotonic() - woken[0] > 5:  # what a crash left waits for a run: wake the cron workers again
                stack.trigger(cron)
                woken[0] = time.monotonic()
            return False
        return True
    wait_for(done, WAIT, "the queued batches were not done")


def check_one_lead_each(stack, tag, count):
    per_id = [row[0] for row in stack.sql(
        "SELECT count(*) FROM lead_intake_reference WHERE external_id LIKE %s GROUP BY external_id", [f"{tag}-%"])]
    leads = stack.value("SELECT count(*) FROM crm_lead WHERE email_from LIKE %s", [f"{tag}.%"])
    check(len(per_id) == count and set(per_id) == {1} and leads == count,
          f"one lead and one reference per external id: {leads} leads, references {per_id}")


def phase_queued_batch(stack):
    count = stack.leads
    items = queued_items("p1q", count)
    batches = at_once([lambda name=name: queue_batch(stack, name, items) for name in ("a", "b")])
    check(all(isinstance(batch, int) for batch in batches), f"queued batches: {batches}")
    stack.trigger(BATCH_CRON)
    wait_batches_done(stack, batches)
    results = [batch_results(stack, batch) for batch in batches]
    statuses = [sorted(pair) for pair in zip(*[[answer["status"] for answer in result] for result in results],
                                             strict=True)]
    check(statuses == [[200, 201]] * count, f"each item created in one batch, a replay in the other: {statuses}")
    check_one_lead_each(stack, "p1q", count)
    say(f"   a queued batch of {count} leads sent to both servers at once, done by their cron workers: each item "
        f"answered once in each batch, one lead per external id")


def phase_assignment(stack):
    count = stack.leads // 2
    stack.sql("""
        INSERT INTO crm_lead (name, type, active, company_id, team_id, email_from, email_normalized, probability,
                              lifecycle_stage_id, lifecycle_side, create_date, write_date, create_uid, write_uid)
        SELECT 'Imported ' || i, 'lead', TRUE, 1, %s, 'imported' || i || '@scale-out.example.com',
               'imported' || i || '@scale-out.example.com', 10,
               (SELECT res_id FROM ir_model_data WHERE module = 'lead_management' AND name = 'lifecycle_stage_target'),
               'marketing', now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC', 1, 1
          FROM generate_series(1, %s) AS i
    """, [stack.world["team"], count])
    stack.trigger("ir_cron_assign_qualifiers")
    wait_for(lambda: stack.idle("ir_cron_assign_qualifiers") and not stack.value(
        "SELECT count(*) FROM crm_lead WHERE name LIKE 'Imported %%' AND qualifier_id IS NULL"), WAIT,
        "qualifier assignment did not finish")
    spread = [row[0] for row in stack.sql(
        "SELECT count(*) FROM crm_lead WHERE name LIKE 'Imported %%' GROUP BY qualifier_id ORDER BY 1")]
    check(sum(spread) == count and len(spread) == 2 and spread[-1] - spread[0] <= 1,
          f"{count} leads given to the two reps round-robin, got {spread}")
    messages = stack.value("""SELECT count(*) FROM (SELECT res_id FROM mail_message WHERE model = 'crm.lead'
                               AND res_id IN (SELECT id FROM crm_lead WHERE name LIKE 'Imported %%')
                               AND id IN (SELECT mail_message_id FROM mail_tracking_value v JOIN ir_model_fields f
                                          ON f.id = v.field_id WHERE f.name = 'qualifier_id')
                               GROUP BY res_id HAVING count(*) > 1) AS twice""")
    check(messages == 0, f"{messages} leads were given a rep twice")
    say(f"2. qualifier assignment from both servers: {count} leads, one rep each, spread {spread}")


def phase_rescore(stack, ids):
    demo = [lead_id for index, lead_id in enumerate(ids) if index % 2 == 0]
    since = stack.value("SELECT now() AT TIME ZONE 'UTC'")
    stack.shell(DEMO_RULE)
    stack.trigger("ir_cron_rescore")
    wait_for(lambda: stack.idle("ir_cron_rescore") and stack.value(
        "SELECT count(*) FROM crm_lead WHERE id = ANY(%s) AND handoff_state = 'pending'", [demo]) == len(demo),
        WAIT, "the rescore did not hand the demo leads off")
    handoffs = dict(stack.sql("SELECT lead_id, count(*) FROM lead_handoff WHERE lead_id = ANY(%s) GROUP BY lead_id",
                              [ids]))
    check(set(handoffs) == set(demo) and set(handoffs.values()) == {1},
          f"each demo lead handed off once: {handoffs}")
    regrades = dict(stack.sql("""
        SELECT message.res_id, count(*) FROM mail_message message
          JOIN mail_tracking_value value ON value.mail_message_id = message.id
          JOIN ir_model_fields field ON field.id = value.field_id AND field.name = 'grade_id'
         WHERE message.model = 'crm.lead' AND message.res_id = ANY(%s) AND message.create_date >= %s
      GROUP BY message.res_id""", [demo, since]))
    check(set(regrades) == set(demo) and set(regrades.values()) == {1}, f"each demo lead regraded once: {regrades}")
    say(f"3. rescore from both servers: {len(demo)} leads regraded once, promoted and handed off once each")
    return demo


def phase_nurture(stack, ids):
    stack.sql("""UPDATE lead_nurture_trace SET scheduled_date = now() AT TIME ZONE 'UTC' - interval '1 minute'
                  WHERE lead_id = ANY(%s) AND state = 'scheduled'""", [ids])
    enrolled = stack.value("SELECT count(DISTINCT lead_id) FROM lead_nurture_trace WHERE lead_id = ANY(%s) "
                           "AND state = 'scheduled'", [ids])
    check(enrolled > 0, "some leads are nurtured")
    stack.trigger("ir_cron_nurture")
    wait_for(lambda: stack.idle("ir_cron_nurture") and not stack.value(
        "SELECT count(*) FROM lead_nurture_trace WHERE lead_id = ANY(%s) AND state = 'scheduled' "
        "AND scheduled_date <= now() AT TIME ZONE 'UTC'", [ids]), WAIT, "the nurture job did not finish")
    mails = [row[0] for row in stack.sql("""SELECT count(*) FROM mail_mail mail
                                              JOIN mail_message message ON message.id = mail.mail_message_id
                                             WHERE message.model = 'crm.lead' AND message.res_id = ANY(%s)
                                               AND message.subject = 'Scale-out nurture'
                                          GROUP BY message.res_id""", [ids])]
    done = stack.value("SELECT count(*) FROM lead_nurture_trace WHERE lead_id = ANY(%s) AND state = 'done'", [ids])
    check(len(mails) == enrolled and set(mails) == {1} and done == enrolled,
          f"{enrolled} enrolled leads: {len(mails)} e-mailed ({set(mails)} each), {done} steps done")
    say(f"4. nurture from both servers: {enrolled} leads e-mailed once, each step done once")


def due_clocks(stack, ids):
    stack.sql("""UPDATE lead_sla_clock SET warning_date = now() AT TIME ZONE 'UTC' - interval '1 minute',
                        next_check = now() AT TIME ZONE 'UTC' - interval '1 minute'
                  WHERE lead_id = ANY(%s) AND clock = 'speed' AND NOT closed""", [ids])
    return [row[0] for row in stack.sql("SELECT lead_id FROM lead_sla_clock WHERE lead_id = ANY(%s) AND clock = "
                                        "'speed' AND NOT closed", [ids])]


def check_escalated_once(stack, leads):
    escalations = [row[0] for row in stack.sql("SELECT escalation FROM lead_sla_clock WHERE lead_id = ANY(%s) AND "
                                               "clock = 'speed' AND NOT closed", [leads])]
    activities = dict(stack.sql("""SELECT res_id, count(*) FROM mail_activity WHERE res_model = 'crm.lead'
                                    AND res_id = ANY(%s) AND summary = 'SLA at risk: contact this lead'
                                    GROUP BY res_id""", [leads]))
    check(escalations and set(escalations) == {1}, f"each clock escalated once: {escalations}")
    check(set(activities) == set(leads) and set(activities.values()) == {1},
          f"one reminder a lead: {activities}")


def phase_sla(stack, ids):
    leads = due_clocks(stack, ids)
    stack.trigger("ir_cron_sla")
    wait_for(lambda: stack.idle("ir_cron_sla") and not stack.value(
        "SELECT count(*) FROM lead_sla_clock WHERE lead_id = ANY(%s) AND next_check <= now() AT TIME ZONE 'UTC' "
        "AND NOT closed AND paused_since IS NULL", [ids]), WAIT, "the SLA job did not finish")
    check_escalated_once(stack, leads)
    say(f"5. SLA from both servers: {len(leads)} clocks escalated once, one reminder each")


def phase_kill(stack):
    ids = send_leads(stack, "p6", max(4, stack.leads // 4), demo_every=10 ** 6)
    leads = due_clocks(stack, ids)
    holder = psycopg2.connect(dbname=stack.db)
    try:
        cursor = holder.cursor()
        # The SLA job's batch stops at its first reminder: it holds its clocks, has written to them, and waits.
        cursor.execute("LOCK TABLE mail_activity IN SHARE MODE")
        stack.trigger("ir_cron_sla")

        def blocked():
            return stack.sql("""SELECT application_name FROM pg_stat_activity WHERE datname = %s
                                 AND application_name LIKE %s AND wait_event_type = 'Lock'""",
                             [stack.db, f"so-{stack.tag}-%"])
        wait_for(blocked, WAIT, "no SLA batch reached the reminder")
        victim = blocked()[0][0].split("-")[2]
        held = stack.value("SELECT count(*) FROM lead_sla_clock WHERE lead_id = ANY(%s)", [ids])
        stack.kill(victim)
        say(f"6. server {victim} killed (SIGKILL, with its workers) in the middle of an SLA batch of {held} clocks")
    finally:
        holder.rollback()
        holder.close()
    # Whatever the killed batch wrote was never committed.
    wait_for(lambda: not stack.sql("SELECT 1 FROM pg_stat_activity WHERE datname = %s AND application_name LIKE %s",
                                   [stack.db, f"so-{stack.tag}-{victim}-%"]), 60, "the killed server's sessions stay")
    survivor = next(iter(stack.servers))
    stack.trigger("ir_cron_sla")
    wait_for(lambda: stack.idle("ir_cron_sla") and not stack.value(
        "SELECT count(*) FROM lead_sla_clock WHERE lead_id = ANY(%s) AND next_check <= now() AT TIME ZONE 'UTC' "
        "AND NOT closed AND paused_since IS NULL", [ids]), WAIT, "the SLA job did not run again")
    check_escalated_once(stack, leads)
    say(f"   run again by server {survivor}: {len(leads)} clocks escalated once each, nothing twice, none skipped")
    phase_kill_queued(stack, survivor)
    return victim


def phase_kill_queued(stack, survivor):
    """A queued batch held at its first lead (lead_intake_reference locked by this script); the server whose cron
    worker got the batch's chunk killed, the other restarted beside it; every item done once."""
    count = max(4, stack.leads // 4)
    name = "c"
    stack.start(name)
    holder = psycopg2.connect(dbname=stack.db)
    try:
        holder.cursor().execute("LOCK TABLE lead_intake_reference IN SHARE MODE")
        batch = queue_batch(stack, survivor, queued_items("p6q", count))
        stack.trigger(BATCH_CRON)

        def blocked():  # waiting for the table (not for another chunk's advisory lock)
            return stack.sql("""SELECT application_name FROM pg_stat_activity WHERE datname = %s
                                 AND application_name LIKE %s AND wait_event_type = 'Lock'
                                 AND wait_event = 'relation'""", [stack.db, f"so-{stack.tag}-%"])
        wait_for(blocked, WAIT, "no chunk of the queued batch reached its first lead")
        victim = blocked()[0][0].split("-")[2]
        stack.kill(victim)
        say(f"   server {victim} killed in the middle of a chunk of a queued batch of {count} leads")
    finally:
        holder.rollback()
        holder.close()
    wait_for(lambda: not stack.sql("SELECT 1 FROM pg_stat_activity WHERE datname = %s AND application_name LIKE %s",
                                   [stack.db, f"so-{stack.tag}-{victim}-%"]), 60, "the killed server's sessions stay")
    wait_batches_done(stack, [batch])
    statuses = [answer["status"] for answer in batch_results(stack, batch)]
    check(statuses == [201] * count, f"every item created once: {statuses}")
    check_one_lead_each(stack, "p6q", count)
    say(f"   run again: {count} items answered once each, one lead per external id")


def phase_queue(stack):
    stack.stop_all()
    say("7. queue_job: installing lead_management_queue; both servers restarted with queue_job and its runner")
    stack.odoo("-i", "lead_management_queue", "--stop-after-init", "--log-level=warn", "--http-port=0")
    proxy = RoundRobinProxy()
    try:
        for name in ("a", "b"):
            stack.start(name, queue=proxy.port)
        proxy.targets = [stack.ports["a"], stack.ports["b"]]
        pids = {name: stack.worker_pids(name) for name in ("a", "b")}
        first_job = stack.value("SELECT COALESCE(MAX(id), 0) FROM queue_job")
        ids = send_leads(stack, "p7", stack.leads)
        batch = queue_batch(stack, "a", queued_items("p7q", stack.leads))
        demo = [lead_id for index, lead_id in enumerate(ids) if index % 2 == 0]
        stack.shell('rule = env["lead.scoring.rule"].search([("name", "=", "Asked for a demo")])\n'
                    'rule.points += 1\nenv.cr.commit()\nenv.registry.signal_changes()\n')
        stack.trigger("ir_cron_rescore")
        wait_for(lambda: stack.idle("ir_cron_rescore") and stack.value(
            "SELECT count(*) FROM crm_lead WHERE id = ANY(%s) AND handoff_state = 'pending'", [demo]) == len(demo),
            WAIT, "the rescore jobs did not hand the demo leads off")
        stack.sql("""UPDATE lead_nurture_trace SET scheduled_date = now() AT TIME ZONE 'UTC' - interval '1 minute'
                      WHERE lead_id = ANY(%s) AND state = 'scheduled'""", [ids])
        leads = due_clocks(stack, ids)
        stack.trigger("ir_cron_nurture", "ir_cron_sla", BATCH_CRON)
        wait_for(lambda: stack.idle("ir_cron_nurture", "ir_cron_sla",
                                    BATCH_CRON) and not stack.value(
            "SELECT count(*) FROM queue_job WHERE id > %s AND state NOT IN ('done', 'failed')", [first_job]),
            WAIT, "the jobs did not finish")
        for name in ("a", "b"):  # workers recycled meanwhile
            pids[name] |= stack.worker_pids(name)
        jobs = stack.sql("SELECT method_name, state, worker_pid FROM queue_job WHERE id > %s", [first_job])
        check(jobs and {state for _method, state, _pid in jobs} == {"done"}, f"every job done: {jobs}")
        methods = {method for method, _state, _pid in jobs}
        check({"_scoring_rescore_chunk", "_nurture_run_chunk", "_sla_run_chunk", "_lead_intake_batch_chunk"} <= methods,
              f"the bulk work came as jobs: {methods}")
        wait_batches_done(stack, [batch])
        check([answer["status"] for answer in batch_results(stack, batch)] == [201] * stack.leads,
              "every item of the queued batch created once")
        check_one_lead_each(stack, "p7q", stack.leads)
        servers = {name for _method, _state, pid in jobs for name, server_pids in pids.items() if pid in server_pids}
        check(servers == {"a", "b"}, f"jobs run by the workers of both servers: {servers}")
        handoffs = [row[0] for row in stack.sql(
            "SELECT count(*) FROM lead_handoff WHERE lead_id = ANY(%s) GROUP BY lead_id", [demo])]
        check(len(handoffs) == len(demo) and set(handoffs) == {1}, f"each demo lead handed off once: {handoffs}")
        check_escalated_once(stack, [lead for lead in leads if lead not in demo])
        say(f"   {len(jobs)} jobs ({', '.join(sorted(methods))}) done once each, by workers of both servers; "
            f"{len(demo)} leads handed off once, {len(leads)} clocks escalated once")
    finally:
        proxy.close()


def run(config=DEFAULT_CONFIG, leads=40, keep=False, log=None):
    log = log or os.path.join(ROOT, ".state")
    os.makedirs(log, exist_ok=True)
    parser = configparser.ConfigParser()
    parser.read(config)
    stack = Stack(config, leads, log)
    started = time.monotonic()
    try:
        stack.build()
        for name in ("a", "b"):
            stack.start(name)
        ids = phase_intake(stack)
        phase_queued_batch(stack)
        phase_assignment(stack)
        phase_rescore(stack, ids)
        phase_nurture(stack, ids)
        phase_sla(stack, [lead for index, lead in enumerate(ids) if index % 2])
        phase_kill(stack)
        phase_queue(stack)
        say(f"every count holds ({time.monotonic() - started:.0f} s)")
    finally:
        stack.stop_all()
        if not keep:
            stack.drop()
    return True


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--leads", type=int, default=40)
    parser.add_argument("--config", default=DEFAULT_CONFIG)
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    args = parser.parse_args()
    try:
        run(args.config, args.leads, args.keep)
    except Failed as error:
        say(f"FAILED: {error}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
