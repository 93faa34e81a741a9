# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Leads per second through the intake API against Odoo's own JSON-RPC create on crm.lead, on one server over a copy
of the generated CRM of N leads (every new lead checked against them for duplicates).

An intake user (Lead Intake group, an intake API key) and a lead manager (an ordinary API key); odoo-bin on loopback
(threaded, one process); one client on a kept-alive connection sends, in turn, round after round, LEADS new leads
(each a different person: no merge):

1. intake:  POST /lead_management/v1/leads, one lead per request (validated by pydantic, deduplicated, scored,
            idempotency reference written, rate limit counted);
2. jsonrpc: POST /jsonrpc, object.execute_kw(db, uid, key, "crm.lead", "create", [values]) with the lead manager's
            API key, one lead per request: Odoo's own way (the same pipeline: stage, owner, score);
3. batch:   POST /lead_management/v1/leads/batch, 50 leads per request (each its own transaction): printed, not a
            line of its own.

The line compares the time of the same number of leads: ratio = JSON-RPC time / intake time, the intake's leads per
second over JSON-RPC's (target ≥ 1).
"""
import itertools
import os
import random
import statistics
import subprocess
import sys
import time

import requests
from common import CONFIG, Result, copy_db, drop_db, odoo_bin

LEADS = 300
BATCH = 50

SETUP = """
Users = env["res.users"].with_context(no_reset_password=True)
def user(login, group):
    found = Users.search([("login", "=", login)])
    return found or Users.create({"name": login, "login": login, "groups_id": [(6, 0, [env.ref(group).id])]})
intake = user("bench_intake", "lead_management.group_lead_intake")
rpc = env["res.users"].search([("login", "=", "bench_lead_manager")])
team = env["crm.team"].search([("name", "=", "Bench EMEA")])
env.company.write({"lead_intake_team_id": team.id, "lead_qualifier_cap": 0, "country_id": env.ref("base.es").id})
# The rate limit stays on (every request counted), high enough for the benchmark.
env["ir.config_parameter"].set_param("lead_management_api.rate_limit", 1000000)
env["ir.config_parameter"].set_param("lead_management_api.max_batch_items", 1000)
env["ir.config_parameter"].set_param("lead_management_api.max_body_kb", 10240)
source = env["utm.source"].search([("name", "=", "Bench Website")])
Keys = env["res.users.apikeys"]
print("BENCH", intake.id, Keys.with_user(intake).sudo()._generate("lead_management_intake", "bench", None),
      rpc.id, Keys.with_user(rpc).sudo()._generate(None, "bench", None), team.id, source.id,
      env.ref("base.es").id)
env.cr.commit()
"""


def prepare(db):
    shell = subprocess.run([sys.executable, odoo_bin(), "shell", "-c", CONFIG, "-d", db, "--log-level=warn",
                            "--no-http"], input=SETUP, capture_output=True, text=True)
    if shell.returncode or "BENCH " not in shell.stdout:
        raise RuntimeError(f"setting up {db} failed:\n{(shell.stdout + shell.stderr)[-3000:]}")
    line = next(line for line in shell.stdout.splitlines() if line.startswith("BENCH "))
    _tag, _intake_uid, intake_key, rpc_uid, rpc_key, team_id, source_id, country_id = line.split()
    return {"db": db, "intake_key": intake_key, "rpc_uid": int(rpc_uid), "rpc_key": rpc_key,
            "team_id": int(team_id), "source_id": int(source_id), "country_id": int(country_id)}


# Every lead a different person: its own e-mail and mobile number (+32 47x xx xx xx), never a duplicate.
NUMBERS = itertools.count(random.randrange(0, 29_000_000))


def person(tag, index):
    number = next(NUMBERS)
    return {"contact_name": f"Bench Person {index}", "company": f"Bench Co {index}",
            "email": f"{tag}.{index}@example.com",
            "phone": f"+34 9{number % 100_000_000:08d}",  # landlines: the generated leads have mobiles (6…)
            "country_code": "ES", "source": "Bench Website", "notes": "Asked for a demo"}


def run_intake(session, base, keys, tag, count):
    headers = {"Authorization": f"Bearer {keys['intake_key']}"}
    for index in range(count):
        response = session.post(f"{base}/lead_management/v1/leads", headers=headers,
                                json={"external_id": f"{tag}-{index}", **person(tag, index)})
        assert response.status_code == 201, response.text


def run_batch(session, base, keys, tag, count, size):
    headers = {"Authorization": f"Bearer {keys['intake_key']}"}
    for start in range(0, count, size):
        items = [{"external_id": f"{tag}-{index}", **person(tag, index)}
                 for index in range(start, min(count, start + size))]
        response = session.post(f"{base}/lead_management/v1/leads/batch", headers=headers, json={"items": items})
        assert response.status_code == 200, response.text
        assert {result["status"] for result in response.json()["results"]} == {201}, response.text


def run_jsonrpc(session, base, keys, tag, count):
    for index in range(count):
        data = person(tag, index)
        values = {"name": data["company"], "type": "lead", "user_id": False, "team_id": keys["team_id"],
                  "contact_name": data["contact_name"], "partner_name": data["company"], "email_from": data["email"],
                  "phone": data["phone"], "country_id": keys["country_id"], "source_id": keys["source_id"],
                  "description": data["notes"]}
        response = session.post(f"{base}/jsonrpc", json={
            "jsonrpc": "2.0", "method": "call", "id": index, "params": {
                "service": "object", "method": "execute_kw",
                "args": [keys["db"], keys["rpc_uid"], keys["rpc_key"], "crm.lead", "create", [values]]}})
        assert "result" in response.json(), response.text


def run(ctx):
    db = f"{ctx.database('lm')}_intake"
    copy_db(ctx.database("lm"), db)
    keys = prepare(db)
    port = int(os.environ.get("LM_HTTP_PORT", 8069)) + 104
    server = subprocess.Popen([sys.executable, odoo_bin(), "-c", CONFIG, "-d", db, f"--db-filter=^{db}$",
                               f"--http-port={port}", "--http-interface=127.0.0.1", "--workers=0",
                               "--max-cron-threads=0", "--log-level=warn"], stdout=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        session = requests.Session()
        for _attempt in range(240):
            try:
                if session.get(f"{base}/lead_management/v1/openapi.json", timeout=5).status_code == 200:
                    break
            except requests.ConnectionError:
                time.sleep(0.5)
        stamp = int(time.time())
        # Warm-up: routing map, caches, key verification, prepared plans.
        run_intake(session, base, keys, f"warm-i{stamp}", 20)
        run_jsonrpc(session, base, keys, f"warm-j{stamp}", 20)
        run_batch(session, base, keys, f"warm-b{stamp}", 20, 10)
        times = {"intake": [], "jsonrpc": [], "batch": []}
        runners = {
            "intake": lambda tag: run_intake(session, base, keys, tag, LEADS),
            "jsonrpc": lambda tag: run_jsonrpc(session, base, keys, tag, LEADS),
            "batch": lambda tag: run_batch(session, base, keys, tag, LEADS, BATCH),
        }
        order = list(runners)
        for round_ in range(ctx.rounds):
            for name in order[round_ % 3:] + order[:round_ % 3]:  # interleaved, the order rotating
                started = time.perf_counter()
                runners[name](f"{name}-{stamp}-{round_}")
                times[name].append(time.perf_counter() - started)
            ctx.log("    round %s: %s" % (round_ + 1, ", ".join(f"{name} {LEADS / values[-1]:.1f} leads/s"
                                                               for name, values in times.items())))
        median = {name: statistics.median(values) for name, values in times.items()}
        ctx.log(f"  batches of {BATCH}: {LEADS / median['batch']:.1f} leads/s "
                f"({median['intake'] / median['batch']:.2f} × one lead per request)")
    finally:
        server.terminate()
        server.wait(timeout=60)
        drop_db(db)
    return [Result(f"intake leads/s vs JSON-RPC create ({LEADS} leads, one per request)", median["intake"],
                   median["jsonrpc"], 1, ">=", rate=True,
                   details={"leads_per_second": {name: LEADS / value for name, value in median.items()}})]
