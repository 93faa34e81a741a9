"""The funnel grouped by campaign × month on 1,000,000 leads, against a hand-written SQL GROUP BY.

    python3 bench/bench_reports.py [--db lead_management_bench_reports] [--leads 1000000] [--rounds 3]
                                   [--config .state/odoo.conf]

Builds (once, kept for the next run) a database with lead_management and, in SQL, 1,000,000 leads over two
years across 20 campaigns, each with its lifecycle history as the addon writes it (3.4 moves a lead: stages
skipped, recycled leads coming back, side exits). Then measures in the same run, interleaved for --rounds
rounds, and compares the medians:

  ours       lead.funnel.report._read_group(campaign × creation month × stage: leads, conversion to the next
             stage) as a Lead Manager: the report's SQL view, record rules and the ORM's read_group;
  reference  the same numbers from one hand-written GROUP BY over crm_lead, lead_lifecycle_history and
             lead_lifecycle_stage, as superuser (no record rule).

Both results are compared (same groups, same counts, same rates) before any time is printed. Target: ours
within 2x of the reference.
"""
import argparse
import os
import statistics
import subprocess
import sys
import time

import odoo
from odoo import SUPERUSER_ID, api
from odoo.tools import SQL

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CAMPAIGNS = 20
MARK = "Bench funnel lead"


def odoo_bin():
    return os.path.join(os.path.dirname(os.path.dirname(odoo.__file__)), "odoo-bin")


def ensure_database(db, config):
    exists = subprocess.run(["psql", "-d", "postgres", "-tAc", f"SELECT 1 FROM pg_database WHERE datname = '{db}'"],
                            capture_output=True, text=True, check=True).stdout.strip()
    if exists:
        installed = subprocess.run(
            ["psql", "-d", db, "-tAc", "SELECT latest_version FROM ir_module_module WHERE name = 'lead_management'"],
            capture_output=True, text=True, check=True).stdout.strip()
        manifest = odoo.modules.get_manifest("lead_management")
        if not manifest:
            sys.exit(f"lead_management is not in the addons path of {config}: run `make run` once first.")
        if installed != odoo.modules.module.adapt_version(manifest["version"]):
            print(f"updating lead_management in {db}...", flush=True)
            subprocess.run([sys.executable, odoo_bin(), "-c", config, "-d", db, "-u", "lead_management",
                            "--stop-after-init", "--log-level=warn"], check=True)
    else:
        print(f"creating {db} with lead_management (once)...", flush=True)
        subprocess.run([sys.executable, odoo_bin(), "-c", config, "-d", db, "-i", "lead_management",
                        "--without-demo=all", "--stop-after-init", "--log-level=warn"], check=True)


def build(env, leads):
    """Leads and their history in SQL: every lead starts in target (or lead, for a third: contact forms skip
    target and suspect) and goes as far as its number says, one history row per move, some recycled and
    brought back, some disqualified."""
    cr = env.cr
    stages = {stage.code: stage for stage in env["lead.lifecycle.stage"].search([("company_id", "=", False)])}
    campaigns = env["utm.campaign"].create([{"name": f"Bench campaign {index}"} for index in range(CAMPAIGNS)])
    team = env["crm.team"].search([], limit=1)
    print(f"inserting {leads} leads...", flush=True)
    cr.execute(SQL("""
        INSERT INTO crm_lead (name, type, active, company_id, team_id, campaign_id, email_from, create_date,
                              write_date, lifecycle_side, probability)
        SELECT %(mark)s || ' ' || i, 'lead', TRUE, %(company)s, %(team)s,
               CASE WHEN mod(i, 11) = 0 THEN NULL ELSE (%(campaigns)s::int[])[1 + mod(i, %(ncampaigns)s)] END,
               'contact' || i || '@example.com',
               TIMESTAMP '2025-01-01' + mod(i, 730) * INTERVAL '1 day' + mod(i, 86400) * INTERVAL '1 second',
               now(), 'marketing', 10
          FROM generate_series(1, %(leads)s) AS i
    """, mark=MARK, company=env.company.id, team=team.id, campaigns=campaigns.ids, ncampaigns=len(campaigns),
        leads=leads))
    print("inserting their lifecycle history...", flush=True)
    # Per lead: its path (stage codes) from a deterministic pick among typical ones.
    paths = [
        ["target"],
        ["target", "suspect"],
        ["target", "suspect", "lead"],
        ["target", "lead", "qualified"],
        ["lead", "qualified", "prospect"],
        ["target", "suspect", "lead", "qualified", "prospect", "customer"],
        ["target", "suspect", "disqualified"],
        ["lead", "qualified", "recycled", "lead", "qualified", "prospect"],
        ["target", "suspect", "lead", "qualified", "recycled"],
        ["lead", "qualified", "prospect", "customer"],
    ]
    values = SQL(", ").join(
        SQL("(%s, %s, %s, %s)", path_index, step, stages[code].id, stages[code].code)
        for path_index, path in enumerate(paths) for step, code in enumerate(path))
    cr.execute(SQL("""
        WITH path(path, step, stage_id, code) AS (VALUES %(values)s),
        bench AS (SELECT id, create_date, mod(id::bigint * 7919, %(npaths)s) AS path
                    FROM crm_lead WHERE name LIKE %(like)s)
        INSERT INTO lead_lifecycle_history (lead_id, company_id, from_stage_id, from_code, to_stage_id, to_code,
                                            date, reason, hours_in_previous, user_id, create_uid, create_date,
                                            write_uid, write_date)
        SELECT bench.id, %(company)s, previous.stage_id, previous.code, path.stage_id, path.code,
               bench.create_date + path.step * INTERVAL '3 days', 'Bench',
               CASE WHEN path.step > 0 THEN 72.0 END, 1, 1, now(), 1, now()
          FROM bench
          JOIN path ON path.path = bench.path
          LEFT JOIN path previous ON previous.path = path.path AND previous.step = path.step - 1
    """, values=values, npaths=len(paths), like=f"{MARK} %", company=env.company.id))
    cr.execute(SQL("""
        UPDATE crm_lead lead SET lifecycle_stage_id = last.to_stage_id
          FROM (SELECT DISTINCT ON (lead_id) lead_id, to_stage_id FROM lead_lifecycle_history
                 ORDER BY lead_id, date DESC, id DESC) AS last
         WHERE last.lead_id = lead.id AND lead.name LIKE %s
    """, f"{MARK} %"))
    cr.execute("SELECT count(*) FROM lead_lifecycle_history")
    print(f"{cr.fetchone()[0]} history rows", flush=True)


def reference_sql():
    """The funnel by campaign, creation month and stage, written by hand: how far each lead went on the main
    flow (skipped stages count as passed), the side exits it entered, one row per stage reached, grouped."""
    return SQL("""
        WITH reach AS (
            SELECT history.lead_id,
                   MAX(stage.sequence) FILTER (WHERE stage.is_side_exit IS NOT TRUE) AS max_sequence,
                   ARRAY_AGG(history.to_stage_id) FILTER (WHERE stage.is_side_exit) AS exits
              FROM lead_lifecycle_history history
              JOIN lead_lifecycle_stage stage ON stage.id = history.to_stage_id
             GROUP BY history.lead_id
        ), stages AS (
            SELECT id, sequence, is_side_exit IS TRUE AS is_side_exit,
                   MAX(sequence) FILTER (WHERE is_side_exit IS NOT TRUE) OVER () AS last_sequence
              FROM lead_lifecycle_stage WHERE company_id IS NULL AND active
        )
        SELECT lead.campaign_id, date_trunc('month', lead.create_date) AS month, stages.id,
               COUNT(*),
               AVG(CASE WHEN stages.is_side_exit OR stages.sequence >= stages.last_sequence THEN NULL
                        WHEN reach.max_sequence > stages.sequence THEN 100.0 ELSE 0.0 END)
          FROM crm_lead lead
          JOIN reach ON reach.lead_id = lead.id
          JOIN stages ON CASE WHEN stages.is_side_exit THEN stages.id = ANY(reach.exits)
                              ELSE stages.sequence <= reach.max_sequence END
         GROUP BY 1, 2, 3
    """)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default="lead_management_bench_reports")
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3, help="measures of each kind, interleaved; medians compared")
    parser.add_argument("--config", default=os.path.join(ROOT, ".state", "odoo.conf"))
    args = parser.parse_args()
    odoo.tools.config.parse_config(["-c", args.config, "-d", args.db, "--log-level=warn"])
    ensure_database(args.db, args.config)
    registry = odoo.modules.registry.Registry(args.db)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        cr.execute("SELECT count(*) FROM crm_lead WHERE name LIKE %s", [f"{MARK} %"])
        if cr.fetchone()[0] != args.leads:
            cr.execute("DELETE FROM crm_lead WHERE name LIKE %s", [f"{MARK} %"])
            env["utm.campaign"].search([("name", "like", "Bench campaign %")]).unlink()
            start = time.perf_counter()
            build(env, args.leads)
            cr.commit()
            print(f"built in {time.perf_counter() - start:.0f} s", flush=True)
            cr._cnx.autocommit = True
            cr._obj.execute("VACUUM ANALYZE crm_lead")
            cr._obj.execute("VACUUM ANALYZE lead_lifecycle_history")
            cr._cnx.autocommit = False
        manager = env["res.users"].search([("login", "=", "bench_lead_manager")])
        if not manager:
            manager = env["res.users"].create({
                "name": "Bench Lead Manager", "login": "bench_lead_manager",
                "groups_id": [(6, 0, env.ref("lead_management.group_lead_manager").ids)]})
            cr.commit()

    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        Funnel = env["lead.funnel.report"].with_user(env["res.users"].search([("login", "=", "bench_lead_manager")]))
        groupby = ["campaign_id", "lead_create_date:month", "stage_id"]
        aggregates = ["lead_count:sum", "conversion_rate:avg"]

        def ours():
            env.invalidate_all()
            # an empty rate is False from the ORM, NULL from SQL
            return {(campaign.id or None, month, stage.id): (count, None if rate is False else round(rate, 6))
                    for campaign, month, stage, count, rate in Funnel._read_group([], groupby, aggregates)}

        def reference():
            cr.execute(reference_sql())
            return {(campaign, month, stage): (count, None if rate is None else round(float(rate), 6))
                    for campaign, month, stage, count, rate in cr.fetchall()}

        ours_result, reference_result = ours(), reference()
        if ours_result != reference_result:
            differ = [(key, ours_result.get(key), reference_result.get(key))
                      for key in set(ours_result) | set(reference_result)
                      if ours_result.get(key) != reference_result.get(key)]
            sys.exit(f"the report and the reference disagree: {len(ours_result)} groups against "
                     f"{len(reference_result)}; {len(differ)} differ, e.g. (group, ours, reference) {differ[:3]}")
        print(f"same {len(ours_result)} groups (campaign × month × stage), "
              f"{sum(count for count, _rate in ours_result.values())} lead-stage rows")
        times = {"ours": [], "reference": []}
        for round_ in range(1, args.rounds + 1):
            for key, function in (("ours", ours), ("reference", reference)):
                start = time.perf_counter()
                function()
                times[key].append(time.perf_counter() - start)
            print(f"round {round_}: ours {times['ours'][-1]:.2f} s, reference {times['reference'][-1]:.2f} s",
                  flush=True)
        ours_median, reference_median = statistics.median(times["ours"]), statistics.median(times["reference"])
        print(f"funnel by campaign × month, {args.leads} leads: medians of {args.rounds} rounds: "
              f"ours {ours_median:.2f} s, hand-written GROUP BY {reference_median:.2f} s, "
              f"ratio {ours_median / reference_median:.2f} (target <= 2)")


if __name__ == "__main__":
    main()
