"""Full rescore of 100,000 leads (20 fit rules, 500,000 engagement events), timed against references.

    python3 bench/bench_rescore.py [--db lead_management_bench] [--leads 100000] [--events 500000]

Builds (once) a database with lead_management, inserts the data in SQL inside a transaction, then
times in the same run:
  ours  crm.lead._scoring_recompute() on every lead: fit, decayed and capped engagement, score, grade;
  (a)   one bare SQL UPDATE writing the same five columns on the same rows (the floor: target ratio <= 3);
  (b)   crm's predictive lead scoring recompute (_cron_update_automated_probabilities) on the same
        leads (target: ours faster).
The data is committed in that scratch database (and replaced at the next run); each measure is
rolled back, so all three start from the same state. Prints the timings and the ratios.
"""
import argparse
import os
import subprocess
import sys
import threading
import time

import odoo
from odoo import SUPERUSER_ID, api

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONFIG = os.path.join(ROOT, ".state", "odoo.conf")


def ensure_database(db):
    exists = subprocess.run(["psql", "-d", "postgres", "-tAc", f"SELECT 1 FROM pg_database WHERE datname = '{db}'"],
                            capture_output=True, text=True, check=True).stdout.strip()
    if not exists:
        print(f"creating {db} with lead_management (once)...", flush=True)
        odoo_bin = os.path.join(os.path.dirname(os.path.dirname(odoo.__file__)), "odoo-bin")
        subprocess.run([sys.executable, odoo_bin, "-c", CONFIG, "-d", db, "-i", "lead_management",
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
    Rule = env["lead.scoring.rule"].with_context(lead_management_scoring_off=True)
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
    args = parser.parse_args()
    ensure_database(args.db)
    odoo.tools.config.parse_config(["-c", CONFIG, "-d", args.db, "--log-level=warn"])
    # As in tests: crm's PLS job must not commit its batches, so each measure can be rolled back.
    threading.current_thread().testing = True
    registry = odoo.modules.registry.Registry(args.db)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        # The data is committed, as leads in production were written by earlier transactions
        # (PostgreSQL re-checks foreign keys of rows updated in the transaction that inserted them).
        cr.execute("DELETE FROM crm_lead WHERE name LIKE 'Bench lead %%'")
        env["lead.scoring.rule"].with_context(lead_management_scoring_off=True).search(
            [("name", "like", "Bench rule %")]).unlink()
        env["crm.tag"].search([("name", "like", "Bench tag %")]).unlink()
        start = time.perf_counter()
        first, last = build(env, args.leads, args.events)
        cr.commit()
        print(f"built {args.leads} leads, 20 rules, {args.events} events in {time.perf_counter() - start:.1f} s")
    with registry.cursor() as cr:
        cr._cnx.autocommit = True
        cr._obj.execute("VACUUM ANALYZE crm_lead")
        cr._obj.execute("VACUUM ANALYZE lead_engagement_event")
        cr._cnx.autocommit = False

    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        Lead = env["crm.lead"]

        def ours():
            Lead._scoring_recompute()
            env.flush_all()

        def bare_update():
            # The rows a full rescore writes: open leads (closed ones keep their score).
            cr.execute("""
                UPDATE crm_lead SET fit_score = COALESCE(fit_score, 0) + 1,
                       engagement_score = COALESCE(engagement_score, 0) + 1,
                       lead_score = COALESCE(lead_score, 0) + 1, grade_id = grade_id, score_date = now()
                 WHERE id BETWEEN %s AND %s AND active AND COALESCE(probability, 0) < 100
            """, (first, last))

        def pls():
            Lead._cron_update_automated_probabilities()
            env.flush_all()

        def measure(label, function):
            elapsed = timed(label, function)
            cr.rollback()
            env.invalidate_all()
            return elapsed

        print(f"{'':<58} {'time':>10}")
        t_ours = measure("ours: full rescore (fit + decay + cap + score + grade)", ours)
        t_bare = measure("(a) one bare SQL UPDATE of the same columns, same rows", bare_update)
        t_pls = measure("(b) crm predictive lead scoring recompute, same leads", pls)
        ours()
        cr.commit()
        t_nightly = measure("ours, nightly: scored yesterday, only decay changed", ours)
        print()
        print(f"ratio ours / bare UPDATE : {t_ours / t_bare:6.2f}   (target <= 3)")
        print(f"ratio ours / crm PLS     : {t_ours / t_pls:6.2f}   (target < 1: ours faster)")
        print(f"ratio nightly / crm PLS  : {t_nightly / t_pls:6.2f}")
        cr.execute("SELECT count(*), count(grade_id), round(avg(lead_score), 1) FROM crm_lead "
                   "WHERE id BETWEEN %s AND %s AND active AND COALESCE(probability, 0) < 100", (first, last))
        print("open leads, graded, average score:", cr.fetchone())


if __name__ == "__main__":
    main()
