"""The SLA and nurture jobs: their work grows with the due leads, not with the table.

    python3 bench/bench_jobs.py [--leads 100000] [--due 1000] [--rounds 3]

Builds (once) two scratch databases with lead_management (no demo data): one with --leads open leads
(each with a running SLA clock and a nurture step, --due of them due now, the others due in ten days),
one with only the --due leads. In the same run it times, on each, the SLA job (_cron_sla: the due
clocks reach their warning, the owner gets an activity and a message) and the nurture job (_cron_nurture:
the due step schedules an activity, the next step is planned), each measure rolled back, the rounds
interleaved, and prints the medians and the ratio big / small (target <= 1.5).
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


def db_exists(db):
    return subprocess.run(["psql", "-d", "postgres", "-tAXc", f"SELECT 1 FROM pg_database WHERE datname = '{db}'"],
                          capture_output=True, text=True, check=True).stdout.strip() == "1"


def build(env, leads, due):
    """Leads, clocks, enrolments and traces in SQL (as many as a big CRM holds), committed."""
    cr = env.cr
    admin = env.ref("base.user_admin")
    stage = env.ref("lead_management.lifecycle_stage_target")
    policy = env["lead.sla.policy"].create({"name": "Bench SLA", "clock": "speed", "target_hours": 4,
                                            "warning_hours": 2, "warn_owner": True, "escalate_to_leader": False})
    track = env["lead.nurture.track"].create({"name": "Bench track", "step_ids": [
        (0, 0, {"sequence": 1, "name": "Call", "action": "activity", "delay": 1,
                "activity_type_id": env.ref("mail.mail_activity_data_call").id}),
        (0, 0, {"sequence": 2, "name": "Call again", "action": "activity", "delay": 7,
                "activity_type_id": env.ref("mail.mail_activity_data_call").id}),
    ]})
    first_step = track.step_ids.sorted("sequence")[0]
    env.flush_all()
    params = {"pattern": "Bench job lead %", "leads": leads, "due": due, "company": env.company.id,
              "admin": admin.id, "stage": stage.id, "policy": policy.id, "track": track.id, "step": first_step.id}
    cr.execute(SQL("""
        INSERT INTO crm_lead (name, type, active, company_id, qualifier_id, lifecycle_stage_id, lifecycle_side,
                              probability, email_from, priority, create_date, write_date, sla_state)
        SELECT 'Bench job lead ' || i, 'lead', TRUE, %(company)s, %(admin)s, %(stage)s, 'marketing', 10,
               'job' || i || '@example.com', '1', now() - interval '1 day', now(), 'on_track'
          FROM generate_series(1, %(leads)s) AS i
    """, **params))
    cr.execute(SQL("""
        WITH lead AS (SELECT id, row_number() OVER (ORDER BY id) AS n FROM crm_lead WHERE name LIKE %(pattern)s),
        clock AS (
            INSERT INTO lead_sla_clock (lead_id, company_id, policy_id, clock, owner_id, start, resumed, warning_date,
                                        deadline, deadline_nominal, state, escalation, next_check, closed)
            SELECT id, %(company)s, %(policy)s, 'speed', %(admin)s, now() - interval '3 hours',
                   now() - interval '3 hours',
                   CASE WHEN n <= %(due)s THEN now() - interval '1 hour' ELSE now() + interval '10 days' END,
                   now() + interval '11 days', now() + interval '11 days', 'on_track', 0,
                   CASE WHEN n <= %(due)s THEN now() - interval '1 hour' ELSE now() + interval '10 days' END, FALSE
              FROM lead RETURNING id, lead_id
        )
        UPDATE crm_lead SET sla_clock_id = clock.id, sla_policy_id = %(policy)s, sla_clock = 'speed',
               sla_owner_id = %(admin)s FROM clock WHERE crm_lead.id = clock.lead_id
    """, **params))
    cr.execute(SQL("""
        WITH lead AS (SELECT id, row_number() OVER (ORDER BY id) AS n FROM crm_lead WHERE name LIKE %(pattern)s),
        enrolment AS (
            INSERT INTO lead_nurture_enrolment (lead_id, company_id, track_id, state, date_start)
            SELECT id, %(company)s, %(track)s, 'active', now() - interval '1 day' FROM lead RETURNING id, lead_id
        ), trace AS (
            INSERT INTO lead_nurture_trace (enrolment_id, lead_id, company_id, step_id, scheduled_date, state)
            SELECT enrolment.id, enrolment.lead_id, %(company)s, %(step)s,
                   CASE WHEN lead.n <= %(due)s THEN now() - interval '1 hour' ELSE now() + interval '10 days' END,
                   'scheduled'
              FROM enrolment JOIN lead ON lead.id = enrolment.lead_id
        )
        UPDATE crm_lead SET nurture_enrolment_id = enrolment.id FROM enrolment WHERE crm_lead.id = enrolment.lead_id
    """, **params))
    cr.execute("ANALYZE crm_lead; ANALYZE lead_sla_clock; ANALYZE lead_nurture_trace; ANALYZE lead_nurture_enrolment")
    cr.commit()


def ensure(db, leads, due):
    if not db_exists(db):
        print(f"creating {db} with {leads} leads, {due} due (once)...", flush=True)
        subprocess.run(["createdb", db], check=True)
        subprocess.run([sys.executable, odoo_bin(), "-c", CONFIG, "-d", db, "-i", "lead_management",
                        "--without-demo=all", "--stop-after-init", "--log-level=warn"], check=True)
        registry = odoo.modules.registry.Registry(db)
        with registry.cursor() as cr:
            build(api.Environment(cr, SUPERUSER_ID, {}), leads, due)
    return odoo.modules.registry.Registry(db)


def measure(registry, job):
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        start = time.perf_counter()
        getattr(env["crm.lead"], job)()
        env.cr.flush()
        elapsed = time.perf_counter() - start
        cr.rollback()
        return elapsed


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--due", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    odoo.tools.config.parse_config(["-c", CONFIG, "--log-level=warn"])
    threading.current_thread().testing = True  # the jobs do not commit: each measure is rolled back
    big = ensure(f"lm_bench_jobs_{args.leads}", args.leads, args.due)
    small = ensure(f"lm_bench_jobs_{args.due}", args.due, args.due)
    results = {(size, job): [] for size in ("big", "small") for job in ("_cron_sla", "_cron_nurture")}
    for round_ in range(1, args.rounds + 1):
        print(f"round {round_}", flush=True)
        for job in ("_cron_sla", "_cron_nurture"):
            for size, registry in (("big", big), ("small", small)):
                elapsed = measure(registry, job)
                results[size, job].append(elapsed)
                print(f"  {job:<15} {size:<6} {elapsed:7.2f} s", flush=True)
    print(f"\n{args.due} due leads, medians of {args.rounds} rounds:")
    for job, label in (("_cron_sla", "SLA job"), ("_cron_nurture", "nurture job")):
        big_median = statistics.median(results["big", job])
        small_median = statistics.median(results["small", job])
        print(f"{label:<12} among {args.leads} leads {big_median:6.2f} s, alone {small_median:6.2f} s: "
              f"ratio {big_median / small_median:.2f} (target <= 1.5)")


if __name__ == "__main__":
    main()
