# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The SLA and nurture jobs: their work grows with what is due, not with the table. In the generated CRM of N leads,
exactly ``due`` (1,000) speed-to-lead clocks reach their warning now and ``due`` nurture steps are due (the others in
ten days); in a small generated CRM the same number are due with almost nothing else. The SLA job (_cron_sla: the
owner's reminder activity and message) and the nurture job (_cron_nurture: the step's activity, the next step
planned) are timed on each, rolled back, the databases in turn (target: N / small ≤ 1.5)."""
from common import Result, environment, interleaved, vacuum

JOBS = (("_cron_sla", "SLA job"), ("_cron_nurture", "nurture job"))
TABLES = ("crm_lead", "lead_sla_clock", "lead_nurture_trace", "lead_nurture_enrolment", "mail_activity")


def run(ctx):
    big = ctx.database("lm")
    small = ctx.database("lm", size=2 * ctx.due)
    results = []
    for job, label in JOBS:
        def measure(db, job=job):
            def measured():
                with environment(db) as env:
                    getattr(env["crm.lead"], job)()
                    env.flush_all()
                    env.cr.flush()
                    env.cr.rollback()
            return measured

        def prepare():
            vacuum(big, *TABLES)
            vacuum(small, *TABLES)

        with environment(big) as env:
            env.cr.execute("SELECT count(*) FROM lead_sla_clock WHERE next_check <= now() AT TIME ZONE 'UTC'")
            due_clocks = env.cr.fetchone()[0]
        ctx.log(f"  {label}: {due_clocks} clocks due among {ctx.size} leads")
        medians, _times = interleaved(ctx.rounds, {"big": measure(big), "small": measure(small)}, prepare=prepare,
                                      log=ctx.log)
        results.append(Result(f"{label}, {ctx.due:,} due among {ctx.size:,} leads vs {ctx.due:,} alone",
                              medians["big"], medians["small"], 1.5))
    return results
