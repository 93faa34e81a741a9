"""Leads per second through the intake API, against Odoo's own JSON-RPC create on crm.lead, same server.

    python3 bench/bench_intake.py [--leads 300] [--rounds 3] [--batch 50] [--port 8173] [--db lm_bench_intake]

Builds (once) a scratch database without demo data with lead_management_api, a team with two qualifying
reps and 10 fit rules; an intake user (Lead Intake group) and a lead manager, each with an API key. Starts
``odoo-bin`` on loopback (threaded, one process) and, for --rounds interleaved rounds, sends --leads new
leads (each a different person: no merge) from one client over a kept-alive connection:

1. intake:  POST /lead_management/v1/leads, one lead per request (validated by pydantic, deduplicated,
            scored, idempotency reference written, rate limit counted);
2. jsonrpc: POST /jsonrpc, object.execute_kw(db, uid, key, "crm.lead", "create", [values]) with the lead
            manager's API key, one lead per request: Odoo's own way (same pipeline: stage, owner, score);
3. batch:   POST /lead_management/v1/leads/batch, --batch leads per request (each its own transaction).

and prints the median leads/second of each, with the ratios intake / jsonrpc (target >= 1.0) and
batch / intake. Wall-clock figures: run on an otherwise idle machine; the ratios are what to compare.
"""
import argparse
import itertools
import os
import random
import statistics
import subprocess
import sys
import time

import requests

import odoo

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONFIG = os.environ.get("ODOO_RC") or os.path.join(ROOT, ".state", "odoo.conf")
DB = "lm_bench_intake"  # --db

SETUP = """
Users = env["res.users"].with_context(no_reset_password=True)
def user(login, group):
    found = Users.search([("login", "=", login)])
    return found or Users.create({"name": login, "login": login, "groups_id": [(6, 0, [env.ref(group).id])]})
intake = user("bench_intake", "lead_management.group_lead_intake")
rpc = user("bench_rpc", "lead_management.group_lead_manager")
reps = [user(f"bench_rep_{index}", "lead_management.group_lead_qualifier") for index in range(2)]
team = env["crm.team"].search([("name", "=", "Bench Inbound")]) or env["crm.team"].create(
    {"name": "Bench Inbound", "use_leads": True, "use_opportunities": True})
if not team.crm_team_member_ids:
    env["crm.team.member"].create([{"crm_team_id": team.id, "user_id": rep.id} for rep in reps])
env.company.write({"lead_intake_team_id": team.id, "lead_qualifier_cap": 0,
                   "country_id": env.ref("base.be").id})
if not env["lead.scoring.rule"].search([("name", "like", "Bench rule %")]):
    env["lead.scoring.rule"].create([{"name": f"Bench rule {index}", "domain": domain, "points": 5 * index}
        for index, domain in enumerate([
            "[('phone', '!=', False)]", "[('email_from', 'ilike', '@example.com')]", "[('priority', '=', '3')]",
            "[('country_id.code', '=', 'BE')]", "[('partner_name', '!=', False)]", "[('contact_name', '!=', False)]",
            "[('source_id', '!=', False)]", "[('description', 'ilike', 'demo')]", "[('phone_state', '=', 'correct')]",
            "[('email_state', '=', 'correct')]"])])
    env["crm.lead"]._cron_rescore()
# The rate limit stays on (every request counted), high enough for the benchmark.
env["ir.config_parameter"].set_param("lead_management_api.rate_limit", 1000000)
env["ir.config_parameter"].set_param("lead_management_api.max_batch_items", 1000)
env["ir.config_parameter"].set_param("lead_management_api.max_body_kb", 10240)
source = env["utm.source"].search([("name", "=", "Bench")]) or env["utm.source"].create({"name": "Bench"})
Keys = env["res.users.apikeys"]
print("BENCH", intake.id, Keys.with_user(intake).sudo()._generate("lead_management_intake", "bench", None),
      rpc.id, Keys.with_user(rpc).sudo()._generate(None, "bench", None), team.id, source.id,
      env.ref("base.be").id)
env.cr.commit()
"""


def odoo_bin():
    return os.path.join(os.path.dirname(os.path.dirname(odoo.__file__)), "odoo-bin")


def psql(db, query):
    return subprocess.run(["psql", "-d", db, "-tAXc", query], capture_output=True, text=True, check=True).stdout.strip()


def prepare():
    if psql("postgres", f"SELECT 1 FROM pg_database WHERE datname = '{DB}'") != "1":
        print(f"installing lead_management_api in {DB} ...", flush=True)
        subprocess.run([sys.executable, odoo_bin(), "-c", CONFIG, "-d", DB, "-i", "lead_management_api",
                        "--without-demo=all", "--stop-after-init", "--log-level=warn", "--http-port=0"], check=True)
    shell = subprocess.run([sys.executable, odoo_bin(), "shell", "-c", CONFIG, "-d", DB, "--log-level=warn",
                            "--no-http"], input=SETUP, capture_output=True, text=True, check=True)
    line = next(line for line in shell.stdout.splitlines() if line.startswith("BENCH "))
    _tag, intake_uid, intake_key, rpc_uid, rpc_key, team_id, source_id, country_id = line.split()
    return {"intake_key": intake_key, "rpc_uid": int(rpc_uid), "rpc_key": rpc_key, "team_id": int(team_id),
            "source_id": int(source_id), "country_id": int(country_id)}


# Every lead a different person: its own e-mail and mobile number (+32 47x xx xx xx), never a duplicate.
NUMBERS = itertools.count(random.randrange(0, 29_000_000))


def person(tag, index):
    number = next(NUMBERS)
    return {"contact_name": f"Bench Person {index}", "company": f"Bench Co {index}",
            "email": f"{tag}.{index}@example.com",
            "phone": f"+32 {470 + number // 1_000_000 % 30} {number % 1_000_000:06d}",
            "country_code": "BE", "source": "Bench", "notes": "Asked for a demo"}


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
                "args": [DB, keys["rpc_uid"], keys["rpc_key"], "crm.lead", "create", [values]]}})
        assert "result" in response.json(), response.text


def main():
    global DB  # one database per run, read by the helpers
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--leads", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--port", type=int, default=int(os.environ.get("LM_HTTP_PORT", 8069)) + 104)
    parser.add_argument("--db", default=DB, help="scratch database, built once and kept")
    args = parser.parse_args()
    DB = args.db
    keys = prepare()
    server = subprocess.Popen([sys.executable, odoo_bin(), "-c", CONFIG, "-d", DB, f"--db-filter=^{DB}$",
                               f"--http-port={args.port}", "--http-interface=127.0.0.1", "--workers=0",
                               "--max-cron-threads=0", "--log-level=warn"], stdout=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{args.port}"
    try:
        session = requests.Session()
        for _attempt in range(120):
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
        rates = {"intake": [], "jsonrpc": [], "batch": []}
        runners = {
            "intake": lambda tag: run_intake(session, base, keys, tag, args.leads),
            "jsonrpc": lambda tag: run_jsonrpc(session, base, keys, tag, args.leads),
            "batch": lambda tag: run_batch(session, base, keys, tag, args.leads, args.batch),
        }
        order = list(runners)
        for round_ in range(args.rounds):
            for name in order[round_ % 3:] + order[:round_ % 3]:  # interleaved, the order rotating
                started = time.perf_counter()
                runners[name](f"{name}-{stamp}-{round_}")
                rates[name].append(args.leads / (time.perf_counter() - started))
        median = {name: statistics.median(values) for name, values in rates.items()}
        print(f"\n{args.leads} leads x {args.rounds} rounds, one client, loopback, one threaded Odoo process")
        for name, label in (("intake", "intake API, one lead per request"),
                            ("jsonrpc", "JSON-RPC create on crm.lead, one per request"),
                            ("batch", f"intake API, batches of {args.batch}")):
            print(f"  {label:48s} {median[name]:8.1f} leads/s   rounds: "
                  + ", ".join(f"{value:.1f}" for value in rates[name]))
        print(f"  ratio intake / JSON-RPC                          {median['intake'] / median['jsonrpc']:8.2f}"
              "   (target >= 1.0)")
        print(f"  ratio batch / intake                             {median['batch'] / median['intake']:8.2f}")
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
