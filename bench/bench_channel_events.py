"""Mailing opens and clicks at volume: the job that scores them, against mass_mailing writing them.

    python3 bench/bench_channel_events.py [--leads 100000] [--opens N] [--clicks N] [--rounds 3] [--profile]

Builds (once) a scratch database with lead_management and lead_management_mass_mailing (no demo data): --leads
open leads (scored), one mailing on leads sent to all of them two days ago (a trace per lead, status sent) and
one tracked link of that mailing. Then, in each round, in one transaction rolled back at its end:

- reference: what Email Marketing itself writes for --opens opens (default 30% of the leads) and --clicks clicks
  (default 10%, on traces also opened) within the hour, the ORM calls of its controllers done in bulk over the
  same traces: the open pixel's ``mailing.trace.set_opened(domain=[("mail_mail_id_int", "in", ...)])`` over
  every opened mail at once, and the tracked link's ``link.tracker.click.add_click`` in bulk (the click values
  its ``_prepare_click_values_from_route`` gives, one ``create`` for all, then ``set_opened()`` and
  ``set_clicked()`` on the clicked traces);
- ours: then the scheduled job ``mailing.trace._cron_lead_signals(batch_size=2000)``, its checkpoint an hour
  back, so it reads exactly those traces and clicks, records an engagement event per open and per click and
  rescores those leads. The job commits each batch: ``cr.commit`` is replaced by a counting stand-in that
  flushes and empties the ORM cache as a commit does, without COMMIT, so the round can be rolled back (and
  the count shows the job made a transaction per batch, not per trace).

The ORM cache is emptied between the two, the tables are vacuumed before each round, the rounds repeat
--rounds times and the medians are compared (target: ours <= 1.5 x reference). Each round also times, as a second
reference, the controllers' calls as Email Marketing makes them: one per open and one per click (each open pixel
and each click is a request of its own; here still in one transaction, without HTTP, so cheaper than in life).
Two lines are printed, one per reference, each with its ratio and target: the bulk one is a floor no series of
requests reaches. --profile prints cProfile's top 15 (cumulative; BENCH_SORT=tottime BENCH_TOP=25 to change) of one
more, untimed, run of ours.
"""
import argparse
import cProfile
import math
import os
import pstats
import statistics
import subprocess
import sys
import time
from datetime import timedelta

import odoo
from odoo import SUPERUSER_ID, api, fields
from odoo.tools import SQL

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONFIG = os.path.join(ROOT, ".state", "odoo.conf")
MODULES = "lead_management,lead_management_mass_mailing"
CHECKPOINT = "lead_management_mass_mailing.signals_checkpoint"
MAILING = "Bench channel mailing"
BATCH_SIZE = 2000


def odoo_bin():
    return os.path.join(os.path.dirname(os.path.dirname(odoo.__file__)), "odoo-bin")


def db_exists(db):
    return subprocess.run(["psql", "-d", "postgres", "-tAXc", f"SELECT 1 FROM pg_database WHERE datname = '{db}'"],
                          capture_output=True, text=True, check=True).stdout.strip() == "1"


def build(env, leads):
    """Leads and the traces of one mailing to all of them in SQL (as a big CRM holds), scored, committed."""
    cr = env.cr
    campaign = env["utm.campaign"].create({"name": "Bench channel campaign"})
    mailing = env["mailing.mailing"].create({
        "subject": MAILING, "mailing_type": "mail", "mailing_model_id": env["ir.model"]._get_id("crm.lead"),
        "mailing_domain": "[]", "body_html": "<p>Our pricing</p>", "campaign_id": campaign.id,
    })
    mailing.write({"state": "done", "sent_date": fields.Datetime.now() - timedelta(days=2)})
    env["link.tracker"].create({
        "url": "https://example.com/pricing", "title": "Pricing", "label": "Pricing page",
        "mass_mailing_id": mailing.id, "campaign_id": campaign.id, "source_id": mailing.source_id.id,
        "medium_id": mailing.medium_id.id,
    })
    env.flush_all()
    params = {"leads": leads, "company": env.company.id, "admin": env.ref("base.user_admin").id,
              "team": env["crm.team"].search([], limit=1).id,
              "stage": env["crm.stage"].search([("is_won", "=", False)], limit=1).id,
              "lifecycle": env.ref("lead_management.lifecycle_stage_target").id,
              "mailing": mailing.id, "campaign": campaign.id, "pattern": "Bench channel lead %"}
    cr.execute(SQL("""
        INSERT INTO crm_lead (name, type, active, company_id, team_id, stage_id, lifecycle_stage_id, lifecycle_side,
                              probability, email_from, email_normalized, priority, create_date, write_date,
                              date_last_stage_update)
        SELECT 'Bench channel lead ' || i, 'lead', TRUE, %(company)s, %(team)s, %(stage)s, %(lifecycle)s,
               'marketing', 10, 'channel' || i || '@example.com', 'channel' || i || '@example.com', '1',
               now() - interval '30 days', now() - interval '30 days', now() - interval '30 days'
          FROM generate_series(1, %(leads)s) AS i
    """, **params))
    # What the mailing's send left: a trace per lead (the mail.mail is deleted once sent, its id kept).
    cr.execute(SQL("""
        INSERT INTO mailing_trace (trace_type, model, res_id, mass_mailing_id, campaign_id, email, message_id,
                                   mail_mail_id_int, trace_status, sent_datetime, create_uid, write_uid,
                                   create_date, write_date)
        SELECT 'mail', 'crm.lead', id, %(mailing)s, %(campaign)s, email_from, '<bench-' || id || '@example.com>',
               id, 'sent', now() - interval '2 days', %(admin)s, %(admin)s, now() - interval '2 days',
               now() - interval '2 days'
          FROM crm_lead WHERE name LIKE %(pattern)s
    """, **params))
    # Leads are scored when they come in: every lead has its score state.
    env["crm.lead"]._scoring_recompute()
    cr.execute("ANALYZE crm_lead; ANALYZE mailing_trace; ANALYZE lead_scoring_state")
    cr.commit()


def outdated(db):
    """The modules installed in ``db`` at another version than their manifest's."""
    names = MODULES.split(",")
    installed = dict(line.split("|") for line in subprocess.run(
        ["psql", "-d", db, "-tAXc", "SELECT name, latest_version FROM ir_module_module WHERE name IN ("
         + ", ".join(f"'{name}'" for name in names) + ")"], capture_output=True, text=True, check=True
    ).stdout.split())
    manifests = {name: odoo.modules.get_manifest(name) for name in names}
    if not all(manifests.values()):
        sys.exit(f"{MODULES} are not all in the addons path of .state/odoo.conf: run `make run` once first.")
    return [name for name in names
            if installed.get(name) != odoo.modules.module.adapt_version(manifests[name]["version"])]


def ensure(db, leads):
    if not db_exists(db):
        print(f"creating {db} with {MODULES} (once)...", flush=True)
        subprocess.run(["createdb", db], check=True)
        subprocess.run([sys.executable, odoo_bin(), "-c", CONFIG, "-d", db, "-i", MODULES,
                        "--without-demo=all", "--stop-after-init", "--log-level=warn"], check=True)
    elif update := outdated(db):
        print(f"updating {', '.join(update)} in {db}...", flush=True)
        subprocess.run([sys.executable, odoo_bin(), "-c", CONFIG, "-d", db, "-u", ",".join(update),
                        "--stop-after-init", "--log-level=warn"], check=True)
    registry = odoo.modules.registry.Registry(db)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        if not env["mailing.mailing"].search_count([("subject", "=", MAILING)]):
            print(f"building {leads} leads and their traces (once)...", flush=True)
            start = time.perf_counter()
            build(env, leads)
            print(f"built in {time.perf_counter() - start:.1f} s", flush=True)
    return registry


def vacuum(registry):
    with registry.cursor() as cr:
        cr._cnx.autocommit = True
        for table in ("mailing_trace", "link_tracker_click", "crm_lead", "lead_engagement_event",
                      "lead_scoring_state", "ir_config_parameter"):
            cr._obj.execute(f"VACUUM ANALYZE {table}")
        cr._cnx.autocommit = False


def spread(ids, count):
    """``count`` of ``ids``, evenly spread."""
    return [ids[index * len(ids) // count] for index in range(count)] if count else []


def reference_bulk(env, opened_mail_ids, clicked_ids, code):
    """The ORM calls of mass_mailing's tracking controllers, over all the opens and clicks at once."""
    Trace = env["mailing.trace"].sudo()
    # /mail/track/<mail_id>/<token>/blank.gif
    Trace.set_opened(domain=[("mail_mail_id_int", "in", opened_mail_ids)])
    # /r/<code>/m/<trace_id>: link.tracker.click.add_click(code, ip=..., country_code=..., mailing_trace_id=...)
    tracker_code = env["link.tracker.code"].sudo().search([("code", "=", code)])
    traces = Trace.browse(clicked_ids).exists()
    env["link.tracker.click"].sudo().create([{
        "link_id": tracker_code.link_id.id, "ip": f"198.51.100.{trace.id % 250 + 1}", "mailing_trace_id": trace.id,
        "campaign_id": trace.campaign_id.id, "mass_mailing_id": trace.mass_mailing_id.id,
    } for trace in traces])
    traces.set_opened()
    traces.set_clicked()
    env.flush_all()


def reference_per_call(env, opened_mail_ids, clicked_ids, code):
    """The same calls, one per open and one per click, as each request makes them."""
    Trace = env["mailing.trace"].sudo()
    Click = env["link.tracker.click"].sudo()
    for mail_id in opened_mail_ids:
        Trace.set_opened(domain=[("mail_mail_id_int", "in", [mail_id])])
    for trace_id in clicked_ids:
        Click.add_click(code, ip=f"198.51.100.{trace_id % 250 + 1}", country_code=None, mailing_trace_id=trace_id)
    env.flush_all()


def ours(env):
    env["mailing.trace"]._cron_lead_signals(batch_size=BATCH_SIZE)
    env.flush_all()


def count_commits(cr):
    """Replace ``cr.commit`` by what a commit does to the ORM (flush, empty the transaction's cache), counted,
    without COMMIT: the round stays one transaction, rolled back."""
    commits = []

    def commit():
        commits.append(time.perf_counter())
        cr.flush()
        cr.clear()

    cr.commit = commit
    return commits


def timed(cr, function, *args):
    queries = cr.sql_log_count
    start = time.perf_counter()
    function(*args)
    return time.perf_counter() - start, cr.sql_log_count - queries


def start_round(registry, cr):
    env = api.Environment(cr, SUPERUSER_ID, {})
    # The job's last run: an hour before the opens and clicks (it looks back one more hour).
    env["ir.config_parameter"].sudo().set_param(
        CHECKPOINT, fields.Datetime.to_string(fields.Datetime.now() - timedelta(hours=1)))
    env.flush_all()
    return env


def measure(registry, opened_mail_ids, clicked_ids, code, profile=None):
    with registry.cursor() as cr:
        env = start_round(registry, cr)
        cr.execute("SELECT count(*) FROM lead_engagement_event")
        events_before = cr.fetchone()[0]
        reference_time, reference_queries = timed(cr, reference_bulk, env, opened_mail_ids, clicked_ids, code)
        # Ours reads the traces as the next run of the job would: nothing of them in the ORM cache.
        env.invalidate_all()
        commits = count_commits(cr)
        if profile:
            profile.enable()
        ours_time, ours_queries = timed(cr, ours, env)
        if profile:
            profile.disable()
        cr.execute("SELECT count(*) FROM lead_engagement_event")
        events = cr.fetchone()[0] - events_before
        cr.rollback()
        return {"reference": reference_time, "reference_queries": reference_queries, "ours": ours_time,
                "ours_queries": ours_queries, "events": events, "commits": len(commits)}


def measure_per_call(registry, opened_mail_ids, clicked_ids, code):
    with registry.cursor() as cr:
        env = start_round(registry, cr)
        elapsed, queries = timed(cr, reference_per_call, env, opened_mail_ids, clicked_ids, code)
        cr.rollback()
        return elapsed, queries


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--opens", type=int, help="opened traces (default 30%% of the leads)")
    parser.add_argument("--clicks", type=int, help="clicked traces, among the opened ones (default 10%% of the leads)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", action="store_true", help="cProfile of one more, untimed, run of ours")
    args = parser.parse_args()
    opens = round(args.leads * 0.3) if args.opens is None else args.opens
    clicks = round(args.leads * 0.1) if args.clicks is None else args.clicks
    if not 0 <= clicks <= opens <= args.leads:
        parser.error("expected 0 <= clicks <= opens <= leads (a click opens its trace)")
    odoo.tools.config.parse_config(["-c", CONFIG, "--log-level=warn"])
    # Not threading.current_thread().testing: the job commits its batches as in production (counted, see above).
    registry = ensure(f"lm_bench_channel_{args.leads}", args.leads)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        mailing = env["mailing.mailing"].search([("subject", "=", MAILING)], limit=1)
        code = env["link.tracker"].search([("mass_mailing_id", "=", mailing.id)], limit=1).code
        cr.execute("SELECT id, mail_mail_id_int FROM mailing_trace WHERE mass_mailing_id = %s ORDER BY id",
                   [mailing.id])
        rows = cr.fetchall()
        Type = env["lead.engagement.type"]
        active = all(Type._get_by_code(type_code, env.company) for type_code in ("email_open", "email_click"))
    opened = spread(rows, opens)
    opened_mail_ids = [mail_id for __, mail_id in opened]
    clicked_ids = [trace_id for trace_id, __ in spread(opened, clicks)]
    expected_commits = math.ceil(opens / BATCH_SIZE)

    results = []
    per_call = []
    for round_ in range(1, args.rounds + 1):
        print(f"round {round_}", flush=True)
        vacuum(registry)
        result = measure(registry, opened_mail_ids, clicked_ids, code)
        results.append(result)
        print(f"  reference {result['reference']:7.2f} s {result['reference_queries']:7} queries   "
              f"ours {result['ours']:7.2f} s {result['ours_queries']:7} queries, {result['commits']} commits, "
              f"{result['events']} events", flush=True)
        if active:
            assert result["events"] == opens + clicks, f"{result['events']} events, expected {opens + clicks}"
        assert result["commits"] <= expected_commits + 2, \
            f"{result['commits']} commits for {opens} traces: expected a commit per batch of {BATCH_SIZE}"
        vacuum(registry)  # the second reference, every round
        elapsed, queries = measure_per_call(registry, opened_mail_ids, clicked_ids, code)
        per_call.append(elapsed)
        print(f"  reference, one call per open and click {elapsed:7.2f} s {queries:7} queries", flush=True)

    ours_median = statistics.median(result["ours"] for result in results)
    reference_median = statistics.median(result["reference"] for result in results)
    ratio = ours_median / reference_median
    print(f"\n{args.leads} leads, {opens} opens and {clicks} clicks within the hour, medians of {args.rounds} rounds:")
    per_call_median = statistics.median(per_call)
    per_call_ratio = ours_median / per_call_median
    ours_text = (f"ours {ours_median:.2f} s ({results[-1]['ours_queries']} queries, {results[-1]['commits']} commits, "
                 f"{results[-1]['events']} events)")
    met = "met" if per_call_ratio <= 1.5 else "missed"
    print(f"channel events vs mass_mailing's calls, one per open and click: {ours_text}, reference "
          f"{per_call_median:.2f} s, ratio {per_call_ratio:.2f} (target 1.5: {met})")
    print(f"channel events vs mass_mailing's writes all at once (a floor): {ours_text}, reference "
          f"{reference_median:.2f} s ({results[-1]['reference_queries']} queries), ratio {ratio:.2f} "
          f"(target 1.5: {'met' if ratio <= 1.5 else 'missed'})")
    if args.profile:
        vacuum(registry)
        profile = cProfile.Profile()
        measure(registry, opened_mail_ids, clicked_ids, code, profile)
        print("\nours, cProfile top 15 (cumulative):")
        stats = pstats.Stats(profile).sort_stats(os.environ.get("BENCH_SORT", "cumulative"))
        stats.print_stats(int(os.environ.get("BENCH_TOP", "15")))


if __name__ == "__main__":
    main()
