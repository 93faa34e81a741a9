"""Full rescore of 100,000 leads (20 fit rules, 500,000 engagement events), timed against references.

    python3 bench/bench_rescore.py [--db lead_management_bench] [--leads 100000] [--events 500000] [--rounds 3]

Builds (once) a database with lead_management, inserts the data in SQL, commits it, then measures
in the same run, in two situations:

1. First scoring: no lead has a score yet, as when the addon is installed on an existing database
   (its hook scores every open lead once, in one statement). Every crm_lead row is rewritten.
2. Full rescore: every lead was scored a day ago, as in production (leads are scored when created
   and every night). The job is crm.lead._cron_rescore(), what the nightly cron and Settings >
   "Recompute all scores" run: fit, decayed and capped engagement, score and grade of every open lead.

each against
  (a)  one bare SQL statement writing the same columns on the same rows (the floor: target ratio <= 3);
  (b)  crm's predictive lead scoring recompute (_cron_update_automated_probabilities) on the same
       leads (target: ours faster, for the full rescore).
Each measure is rolled back and the tables vacuumed before the next one, so all start from the same
state; the three are measured in turn for --rounds rounds, and the ratios compare the medians.
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
from odoo.tools import SQL

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONFIG = os.path.join(ROOT, ".state", "odoo.conf")


def odoo_bin():
    return os.path.join(os.path.dirname(os.path.dirname(odoo.__file__)), "odoo-bin")


def ensure_database(db):
    exists = subprocess.run(["psql", "-d", "postgres", "-tAc", f"SELECT 1 FROM pg_database WHERE datname = '{db}'"],
                            capture_output=True, text=True, check=True).stdout.strip()
    if exists:
        installed = subprocess.run(
            ["psql", "-d", db, "-tAc", "SELECT latest_version FROM ir_module_module WHERE name = 'lead_management'"],
            capture_output=True, text=True, check=True).stdout.strip()
        manifest = odoo.modules.get_manifest("lead_management")
        if not manifest:
            sys.exit("lead_management is not in the addons path of .state/odoo.conf: run `make run` once first.")
        if installed != odoo.modules.module.adapt_version(manifest["version"]):
            print(f"updating lead_management in {db}...", flush=True)
            subprocess.run([sys.executable, odoo_bin(), "-c", CONFIG, "-d", db, "-u", "lead_management",
                            "--stop-after-init", "--log-level=warn"], check=True)
    else:
        print(f"creating {db} with lead_management (once)...", flush=True)
        subprocess.run([sys.executable, odoo_bin(), "-c", CONFIG, "-d", db, "-i", "lead_management",
                        "--without-demo=all", "--stop-after-init", "--log-level=warn"], check=True)


def build(env, leads, events):
    cr = env.cr
    team = env["crm.team"].search([], limit=1)
    stage = env["crm.stage"].search([("is_won", "=", False)], limit=1)
    won = env["crm.stage"].search([("is_won", "=", True)], limit=1)
    target = env.ref("lead_management.lifecycle_stage_target")
    countries = env["res.country"].search([], limit=30).ids
    tags = env["crm.tag"].create([{"name": f"Bench tag {index}"} for index in range(5)])
    cr.execute("""
        INSERT INTO crm_lead (name, type, active, company_id, team_id, stage_id, probability, automated_probability,
                              country_id, expected_revenue, email_from, partner_name, priority, create_date,
                              write_date, date_last_stage_update, lifecycle_stage_id, lifecycle_side)
        SELECT 'Bench lead ' || i, 'lead', i %% 10 <> 1, %(company)s, %(team)s,
               CASE WHEN i %% 10 = 0 THEN %(won)s ELSE %(stage)s END,
               CASE WHEN i %% 10 = 0 THEN 100 WHEN i %% 10 = 1 THEN 0 ELSE 10 END, 10,
               (%(countries)s::int[])[1 + i %% %(ncountries)s], (i %% 1000) * 100,
               'contact' || i || CASE WHEN i %% 3 = 0 THEN '@gmail.com' ELSE '@example.com' END,
               CASE WHEN i %% 4 = 0 THEN NULL ELSE 'Company ' || (i %% 5000) END,
               (i %% 4)::text, now() - (i %% 300) * interval '1 day', now(), now(), %(target)s, 'marketing'
          FROM generate_series(1, %(leads)s) AS i
    """, {"company": env.company.id, "team": team.id, "stage": stage.id, "won": won.id, "countries": countries,
          "ncountries": len(countries), "target": target.id, "leads": leads})
    cr.execute("SELECT min(id), max(id) FROM crm_lead WHERE name LIKE 'Bench lead %%'")
    first, last = cr.fetchone()
    cr.execute("""
        INSERT INTO crm_tag_rel (lead_id, tag_id)
        SELECT id, (%(tags)s::int[])[1 + id %% 5] FROM crm_lead WHERE id BETWEEN %(first)s AND %(last)s AND id %% 2 = 0
    """, {"tags": tags.ids, "first": first, "last": last})
    types = env["lead.engagement.type"].search([]).ids
    cr.execute("""
        INSERT INTO lead_engagement_event (lead_id, type_id, date, company_id)
        SELECT %(first)s + ((i::bigint * 7919) %% %(span)s)::int, (%(types)s::int[])[1 + i %% %(ntypes)s],
               now() - ((i %% 2000) * interval '1 hour'), %(company)s
          FROM generate_series(1, %(events)s) AS i
    """, {"first": first, "span": last - first + 1, "types": types, "ntypes": len(types), "events": events,
          "company": env.company.id})
    Rule = env["lead.scoring.rule"]
    domains = [
        [("country_id", "=", countries[index % len(countries)])] for index in range(6)
    ] + [
        [("expected_revenue", ">", 10000 * index)] for index in range(1, 6)
    ] + [
        [("email_from", "ilike", "@gmail.com")],
        [("partner_name", "=", False)],
        [("priority", "in", ["2", "3"])],
        [("tag_ids", "in", tags[:2].ids)],
        [("team_id.name", "!=", False)],
        [("country_id.code", "in", ["BE", "FR", "DE"])],
        [("partner_name", "ilike", "Company 1")],
        [("expected_revenue", "<", 500)],
        [("tag_ids.name", "=", "Bench tag 4")],
    ]
    Rule.create([{"name": f"Bench rule {index}", "domain": str(domain), "points": (index % 7) * 5 - 5}
                 for index, domain in enumerate(domains[:20])])
    # crm's predictive lead scoring, set up as an admin would: learn from every lead since 2020.
    env["ir.config_parameter"].set_param("crm.pls_start_date", "2020-01-01")
    env["ir.config_parameter"].set_param("crm.pls_fields", "country_id,email_state,phone_state,tag_ids")
    cr.execute("ANALYZE crm_lead; ANALYZE lead_engagement_event; ANALYZE crm_tag_rel")
    return first, last


def vacuum(registry):
    with registry.cursor() as cr:
        cr._cnx.autocommit = True
        cr._obj.execute("VACUUM ANALYZE crm_lead")
        cr._obj.execute("VACUUM ANALYZE lead_engagement_event")
        cr._cnx.autocommit = False


def timed(label, function):
    start = time.perf_counter()
    function()
    elapsed = time.perf_counter() - start
    print(f"{label:<58} {elapsed:8.2f} s", flush=True)
    return elapsed


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default="lead_management_bench")
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=500_000)
    parser.add_argument("--rounds", type=int, default=3, help="measures of each kind, interleaved; medians compared")
    args = parser.parse_args()
    odoo.tools.config.parse_config(["-c", CONFIG, "-d", args.db, "--log-level=warn"])
    ensure_database(args.db)
    # As in tests: crm's PLS job must not commit its batches, so each measure can be rolled back.
    threading.current_thread().testing = True
    registry = odoo.modules.registry.Registry(args.db)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        # The data is committed, as leads in production were written by earlier transactions
        # (PostgreSQL re-checks foreign keys of rows updated in the transaction that inserted them).
        cr.execute("DELETE FROM crm_lead WHERE name LIKE 'Bench lead %%'")
        env["lead.scoring.rule"].search(
            [("name", "like", "Bench rule %")]).unlink()
        env["crm.tag"].search([("name", "like", "Bench tag %")]).unlink()
        start = time.perf_counter()
        first, last = build(env, args.leads, args.events)
        cr.commit()
        print(f"built {args.leads} leads, 20 rules, {args.events} events in {time.perf_counter() - start:.1f} s")
    vacuum(registry)

    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        Lead = env["crm.lead"]
        open_leads = SQL("id BETWEEN %s AND %s AND active AND COALESCE(probability, 0) < 100", first, last)

        def ours():
            # What the install's hook runs once: every open lead in one statement.
            Lead._scoring_recompute()
            env.flush_all()

        def ours_cron():
            # What "Recompute all scores" and the nightly job run: ranges of open leads, one statement each.
            Lead._cron_rescore()
            env.flush_all()

        def pls():
            Lead._cron_update_automated_probabilities()
            env.flush_all()

        def bare_first():
            # What the first scoring writes, in one plain statement: a state row per open lead, and the
            # score and grade columns of every open lead.
            cr.execute(SQL("""
                WITH states AS (
                    INSERT INTO lead_scoring_state (lead_id, fit_score, engagement_score, score_date)
                    SELECT id, 1, 1, now() FROM crm_lead WHERE %(open)s
                )
                UPDATE crm_lead SET lead_score = COALESCE(lead_score, 0) + 1, grade_id = grade_id WHERE %(open)s
            """, open=open_leads))

        def measure(label, function):
            # Every measure starts from the same committed rows, with the dead row versions and index
            # entries of the previous (rolled back) measure vacuumed away.
            vacuum(registry)
            elapsed = timed(label, function)
            cr.rollback()
            env.invalidate_all()
            return elapsed

        def run_rounds(kinds):
            results = {key: [] for key in kinds}
            for round_ in range(1, args.rounds + 1):
                print(f"round {round_}")
                for key, (label, function) in kinds.items():
                    results[key].append(measure(f"  {label}", function))
            return {key: statistics.median(values) for key, values in results.items()}, results

        print(f"{'':<66} {'time':>8}")
        print("1. First scoring: no open lead has a score yet (what the install does once)")
        first_median, first_runs = run_rounds({
            "ours": ("ours: score every open lead (fit, decay, cap, score, grade)", ours),
            "bare": ("(a) one bare SQL statement writing the same columns, same rows", bare_first),
            "pls": ("(b) crm predictive lead scoring recompute, same leads", pls),
        })

        # Production state: every lead was scored (at creation, then nightly), the last time a day ago.
        ours()
        cr.execute("UPDATE lead_engagement_event SET date = date - interval '1 day'")
        cr.execute("UPDATE lead_scoring_state SET score_date = score_date - interval '1 day'")
        cr.commit()
        # The rows the full rescore will write, for the bare statement to write the same ones.
        cr.execute(SQL("CREATE TEMP TABLE bench_before AS SELECT id, lead_score, grade_id FROM crm_lead WHERE %s",
                       open_leads))
        ours_cron()
        cr.execute("""SELECT b.id FROM bench_before b JOIN crm_lead l ON l.id = b.id
                       WHERE (b.lead_score, b.grade_id) IS DISTINCT FROM (l.lead_score, l.grade_id)""")
        changed_leads = tuple(row[0] for row in cr.fetchall()) or (0,)
        cr.rollback()
        env.invalidate_all()

        def bare_rescore():
            # What the rescore writes, in one plain statement: the state row of every open lead (decay
            # moved every engagement score), and score and grade of the leads whose rounded score moved.
            cr.execute(SQL("""
                WITH states AS (
                    UPDATE lead_scoring_state SET fit_score = fit_score, engagement_score = engagement_score + 1,
                           score_date = now()
                     WHERE lead_id IN (SELECT id FROM crm_lead WHERE %(open)s)
                )
                UPDATE crm_lead SET lead_score = lead_score + 1, grade_id = grade_id WHERE id IN %(changed)s
            """, open=open_leads, changed=changed_leads))

        print()
        print(f"2. Full rescore: every lead scored a day ago (\"Recompute all scores\", or the nightly run); "
              f"{len(changed_leads)} leads change their rounded score or grade")
        full_median, full_runs = run_rounds({
            "ours": ("ours: full rescore job (fit, decay, cap, score, grade)", ours_cron),
            "bare": ("(a) one bare SQL statement writing the same columns, same rows", bare_rescore),
            "pls": ("(b) crm predictive lead scoring recompute, same leads", pls),
        })

        print()
        for title, median, runs in (("first scoring", first_median, first_runs),
                                    ("full rescore ", full_median, full_runs)):
            print(f"{title}: medians of {args.rounds} rounds: ours {median['ours']:.2f} s, "
                  f"bare {median['bare']:.2f} s, crm PLS {median['pls']:.2f} s; per round ours / PLS: "
                  + " ".join(f"{o / p:.2f}" for o, p in zip(runs["ours"], runs["pls"], strict=True)))
        print(f"first scoring, ratio ours / bare : {first_median['ours'] / first_median['bare']:6.2f}   (target <= 3)")
        print(f"first scoring, ratio ours / PLS  : {first_median['ours'] / first_median['pls']:6.2f}")
        print(f"full rescore,  ratio ours / bare : {full_median['ours'] / full_median['bare']:6.2f}   (target <= 3)")
        print(f"full rescore,  ratio ours / PLS  : {full_median['ours'] / full_median['pls']:6.2f}   "
              "(target < 1: ours faster)")
        cr.execute(SQL("SELECT count(*), count(grade_id), round(avg(lead_score), 1) FROM crm_lead WHERE %s",
                       open_leads))
        print("open leads, graded, average score:", cr.fetchone())

if __name__ == "__main__":
    main()
