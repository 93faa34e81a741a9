"""crm's hot paths with lead_management installed, against the same operations with only crm installed.

    python3 bench/bench_crm_paths.py [--leads 1000] [--rounds 3] [--install-leads 100000]

Builds (once) two scratch databases without demo data: one with crm only, one with crm and
lead_management (a team with qualifying reps, and 10 fit rules, as a company using the addon has). In
each, as a sales manager, it measures (then rolls back), for --rounds interleaved rounds:

1. creating --leads leads (in one create call, as an import does);
2. writing a common field (expected closing) on those leads, then one a fit rule reads (priority);
3. crm's rule-based assignment of those leads in a team without qualifying reps (crm's behaviour:
   converted and given to salespeople), the cron's path, _action_assign_leads.

and prints queries and seconds of each, with the ratio lead_management / crm only (target <= 1.10 in
queries). Then it times the install of lead_management on a copy of a crm-only database holding
--install-leads leads, and checks that it wrote no chatter message per lead.
"""
import argparse
import os
import statistics
import subprocess
import sys
import threading
import time

import odoo
from odoo import SUPERUSER_ID, api

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONFIG = os.path.join(ROOT, ".state", "odoo.conf")


def odoo_bin():
    return os.path.join(os.path.dirname(os.path.dirname(odoo.__file__)), "odoo-bin")


def psql(db, query):
    return subprocess.run(["psql", "-d", db, "-tAXc", query], capture_output=True, text=True, check=True).stdout.strip()


def db_exists(db):
    return psql("postgres", f"SELECT 1 FROM pg_database WHERE datname = '{db}'") == "1"


def install(db, modules):
    subprocess.run([sys.executable, odoo_bin(), "-c", CONFIG, "-d", db, "-i", modules, "--without-demo=all",
                    "--stop-after-init", "--log-level=warn"], check=True)


def prepare(env, with_addon):
    """The same organisation in both databases: a sales manager, a team of two salespeople for crm's
    assignment and, with the addon, a team with two qualifying reps where new leads arrive."""
    Users = env["res.users"].with_context(no_reset_password=True)
    manager = Users.search([("login", "=", "bench_manager")]) or Users.create({
        "name": "Bench Manager", "login": "bench_manager",
        "groups_id": [(6, 0, [env.ref("sales_team.group_sale_manager").id, env.ref("crm.group_use_lead").id])]})
    salespeople = Users.search([("login", "like", "bench_sales_%")]) or Users.create([{
        "name": f"Bench Salesperson {index}", "login": f"bench_sales_{index}",
        "groups_id": [(6, 0, [env.ref("sales_team.group_sale_salesman").id])]} for index in range(2)])
    direct = env["crm.team"].search([("name", "=", "Bench Direct")]) or env["crm.team"].create(
        {"name": "Bench Direct", "use_leads": True, "use_opportunities": True,
         "assignment_domain": "[('name', 'like', 'Bench path lead')]"})
    if not direct.crm_team_member_ids:
        env["crm.team.member"].create([{"crm_team_id": direct.id, "user_id": user.id, "assignment_max": 30000}
                                       for user in salespeople])
    inbound = False
    if with_addon:
        inbound = env["crm.team"].search([("name", "=", "Bench Inbound")]) or env["crm.team"].create(
            {"name": "Bench Inbound", "use_leads": True, "use_opportunities": True})
        reps = Users.search([("login", "like", "bench_rep_%")]) or Users.create([{
            "name": f"Bench Rep {index}", "login": f"bench_rep_{index}",
            "groups_id": [(6, 0, [env.ref("lead_management.group_lead_qualifier").id])]} for index in range(2)])
        if not inbound.crm_team_member_ids:
            env["crm.team.member"].create([{"crm_team_id": inbound.id, "user_id": user.id} for user in reps])
        if not env["lead.scoring.rule"].search([("name", "like", "Bench path rule %")]):
            env["lead.scoring.rule"].create([
                {"name": f"Bench path rule {index}", "domain": domain, "points": 5 * index}
                for index, domain in enumerate([
                    "[('phone', '!=', False)]", "[('email_from', 'ilike', '@example.com')]",
                    "[('priority', '=', '3')]", "[('country_id.code', '=', 'BE')]",
                    "[('expected_revenue', '>', 10000)]", "[('partner_name', '!=', False)]",
                    "[('description', 'ilike', 'demo')]", "[('tag_ids', '!=', False)]",
                    "[('function', 'ilike', 'CEO')]", "[('website', '!=', False)]"])])
            env["crm.lead"]._cron_rescore()
    env.cr.commit()
    return manager, direct, inbound


def operations(env, manager, direct, inbound, count):
    """{name: callable} of the three measured operations, each counted from a fresh cache."""
    state = {}
    Lead = env["crm.lead"].with_user(manager).with_context(tracking_disable=False)

    def create():
        state["leads"] = Lead.create([{
            "name": f"Bench path lead {index}", "type": "lead", "user_id": False,
            "team_id": (inbound or direct).id if index % 2 else False,
            "email_from": f"bench{index}@example.com", "phone": f"+32470{index:06d}",
            "partner_name": f"Bench Co {index % 50}", "expected_revenue": index * 30,
        } for index in range(count)])
        env.cr.flush()  # ORM writes and precommit ones (mail tracking, history rows)

    def write():
        state["leads"].write({"date_deadline": "2027-01-31"})
        env.cr.flush()  # ORM writes and precommit ones (mail tracking, history rows)

    def write_scored():
        state["leads"].write({"priority": "2"})
        env.cr.flush()  # ORM writes and precommit ones (mail tracking, history rows)

    def assign():
        state["leads"].write({"team_id": False})
        env.cr.flush()  # ORM writes and precommit ones (mail tracking, history rows)
        env.invalidate_all()
        before = env.cr.sql_log_count
        direct.with_user(manager)._action_assign_leads(force_quota=True, creation_delta_days=0)
        env.cr.flush()  # ORM writes and precommit ones (mail tracking, history rows)
        return env.cr.sql_log_count - before

    return {"create": create, "write": write, "write_scored": write_scored, "assign": assign}


def measure_database(db, with_addon, count, rounds):
    threading.current_thread().testing = True  # crm's assignment commits per batch outside tests
    registry = odoo.modules.registry.Registry(db)
    results = {name: [] for name in ("create", "write", "write_scored", "assign")}
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        manager, direct, inbound = prepare(env, with_addon)
        for _round in range(rounds):
            ops = operations(env, manager, direct, inbound, count)
            for name, operation in ops.items():
                env.invalidate_all()
                before, start = cr.sql_log_count, time.perf_counter()
                queries = operation()
                elapsed = time.perf_counter() - start
                results[name].append((queries if queries is not None else cr.sql_log_count - before, elapsed))
            cr.rollback()
            env.invalidate_all()
    return {name: (statistics.median(q for q, _t in values), statistics.median(t for _q, t in values))
            for name, values in results.items()}


def bench_install(leads):
    """Install lead_management on a copy of a crm-only database holding ``leads`` leads."""
    source, target = "lm_bench_install_src", "lm_bench_install"
    if not db_exists(source):
        print(f"creating {source} (crm only) with {leads} leads, once...", flush=True)
        subprocess.run(["createdb", source], check=True)
        install(source, "crm")
        psql(source, f"""
            INSERT INTO crm_lead (name, type, active, company_id, stage_id, probability, email_from, priority,
                                  create_date, write_date)
            SELECT 'Existing lead ' || i, CASE WHEN i % 3 = 0 THEN 'opportunity' ELSE 'lead' END, i % 10 <> 1,
                   1, (SELECT id FROM crm_stage ORDER BY sequence LIMIT 1), 10,
                   'existing' || i || '@example.com', '1', now(), now()
              FROM generate_series(1, {leads}) AS i""")
    if db_exists(target):
        subprocess.run(["dropdb", target], check=True)
    subprocess.run(["createdb", "-T", source, target], check=True)
    messages = psql(target, "SELECT count(*) FROM mail_message WHERE model = 'crm.lead'")
    start = time.perf_counter()
    install(target, "lead_management")
    elapsed = time.perf_counter() - start
    placed = psql(target, "SELECT count(*) FROM crm_lead WHERE lifecycle_stage_id IS NOT NULL")
    history = psql(target, "SELECT count(*) FROM lead_lifecycle_history")
    scored = psql(target, "SELECT count(*) FROM crm_lead WHERE grade_id IS NOT NULL")
    after = psql(target, "SELECT count(*) FROM mail_message WHERE model = 'crm.lead'")
    print(f"install of lead_management on {leads} leads: {elapsed:.1f} s; {placed} placed in the lifecycle, "
          f"{history} history rows, {scored} open leads scored; chatter messages on leads {messages} -> {after}")
    subprocess.run(["dropdb", target], check=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--leads", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--install-leads", type=int, default=100_000)
    args = parser.parse_args()
    databases = {False: "lm_bench_crm_only", True: "lm_bench_crm_lm"}
    odoo.tools.config.parse_config(["-c", CONFIG, "--log-level=warn"])
    for with_addon, db in databases.items():
        if not db_exists(db):
            print(f"creating {db}...", flush=True)
            subprocess.run(["createdb", db], check=True)
            install(db, "crm,lead_management" if with_addon else "crm")
    measures = {with_addon: measure_database(db, with_addon, args.leads, args.rounds)
                for with_addon, db in databases.items()}
    print(f"\n{args.leads} leads, medians of {args.rounds} rounds     crm only            with lead_management"
          "      ratio (queries)")
    labels = {"create": "create (one call)", "write": "write a common field",
              "write_scored": "write a field a rule reads", "assign": "crm's assignment"}
    for name, label in labels.items():
        (q0, t0), (q1, t1) = measures[False][name], measures[True][name]
        print(f"{label:<28} {q0:7.0f} q {t0:7.2f} s     {q1:7.0f} q {t1:7.2f} s     {q1 / q0:6.2f}"
              f"   (time {t1 / t0:.2f})   target <= 1.10")
    if args.install_leads:
        print()
        bench_install(args.install_leads)


if __name__ == "__main__":
    main()
