# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Scoring at volume, on a copy of the generated database (N leads, ten fit rules, about three events a lead):

1. full rescore: every lead was scored a day ago, as in production (scored when created, then nightly); the job is
   crm.lead._cron_rescore(), what the nightly cron and Settings > "Recompute all scores" run (fit, decayed and
   capped engagement, score and grade of every open lead, the pipeline for those whose grade moved), against
   (a) one bare SQL statement writing the same columns of the same rows (target ≤ 2), and
   (b) crm's predictive lead scoring recompute, _cron_update_automated_probabilities, on the same leads (target < 1);
2. first scoring: no lead has a score yet, as when the addon is installed on an existing CRM (its hook scores every
   open lead once, by ranges): _scoring_init_existing against crm's predictive scoring (target ≤ 1).

Each measure is rolled back and the tables vacuumed before the next; the kinds are measured in turn, round after
round, and the medians compared.
"""
from common import Result, copy_db, drop_db, environment, interleaved, vacuum

from odoo.tools import SQL

TABLES = ("crm_lead", "lead_scoring_state", "lead_engagement_event")


def run(ctx):
    source = ctx.database("lm")
    db = f"{source}_scoring"
    copy_db(source, db)
    try:
        return _run(ctx, db)
    finally:
        drop_db(db)


def _run(ctx, db):
    results = []
    with environment(db) as env:
        cr = env.cr
        Lead = env["crm.lead"]
        # crm's predictive lead scoring, set up as an admin would: learn from every lead of the two years.
        env["ir.config_parameter"].set_param("crm.pls_start_date", "2020-01-01")
        env["ir.config_parameter"].set_param("crm.pls_fields", "country_id,email_state,phone_state,source_id")
        scope = Lead.browse()._scoring_scope()
        # Production: every lead was scored a day ago.
        cr.execute("UPDATE lead_engagement_event SET date = date - interval '1 day'")
        cr.execute("""UPDATE lead_scoring_state SET score_date = score_date - interval '1 day',
                             engagement_parts_date = engagement_parts_date - interval '1 day',
                             engagement_next_date = engagement_next_date - interval '1 day'""")
        cr.commit()
        # The rows the full rescore writes, for the bare statement to write the same ones.
        cr.execute(SQL("CREATE TABLE bench_before AS SELECT id, lead_score, grade_id FROM crm_lead WHERE %s", scope))
        cr.commit()
        Lead._cron_rescore()
        env.flush_all()
        cr.execute("""SELECT b.id FROM bench_before b JOIN crm_lead l ON l.id = b.id
                       WHERE (b.lead_score, b.grade_id) IS DISTINCT FROM (l.lead_score, l.grade_id)""")
        changed = tuple(row[0] for row in cr.fetchall()) or (0,)
        cr.rollback()
        env.invalidate_all()

    def measure(function):
        def measured():
            with environment(db) as env:
                function(env)
                env.flush_all()
                env.cr.rollback()
        return measured

    def ours_rescore(env):
        env["crm.lead"]._cron_rescore()

    def pls(env):
        env["crm.lead"]._cron_update_automated_probabilities()

    def bare_rescore(env):
        # What the rescore writes, in one plain statement: the state row of every open lead (decay moved every
        # engagement score), and score and grade of the leads whose rounded score or grade moved.
        env.cr.execute(SQL("""
            WITH states AS (
                UPDATE lead_scoring_state SET fit_score = fit_score, engagement_score = engagement_score + 1,
                       score_date = now() AT TIME ZONE 'UTC'
                 WHERE lead_id IN (SELECT id FROM crm_lead WHERE %(scope)s)
            )
            UPDATE crm_lead SET lead_score = lead_score + 1, grade_id = grade_id WHERE id IN %(changed)s
        """, scope=scope, changed=changed))

    ctx.log(f"  full rescore: {len(changed)} of the open leads change their rounded score or grade")
    medians, _times = interleaved(ctx.rounds, {"ours": measure(ours_rescore), "bare": measure(bare_rescore),
                                               "pls": measure(pls)},
                                  prepare=lambda: vacuum(db, *TABLES), log=ctx.log)
    results.append(Result("full rescore vs a bare SQL statement", medians["ours"], medians["bare"], 2))
    results.append(Result("full rescore vs crm's predictive scoring", medians["ours"], medians["pls"], 1, "<"))

    # First scoring: no open lead has a score yet (what the install finds on an existing CRM).
    with environment(db) as env:
        env.cr.execute(SQL("DELETE FROM lead_scoring_state; UPDATE crm_lead SET lead_score = NULL, grade_id = NULL "
                           "WHERE %s", scope))
        env.cr.commit()

    def ours_first(env):
        env["crm.lead"]._scoring_init_existing()

    medians, _times = interleaved(ctx.rounds, {"ours": measure(ours_first), "pls": measure(pls)},
                                  prepare=lambda: vacuum(db, *TABLES), log=ctx.log)
    results.append(Result("first scoring at install vs crm's predictive scoring", medians["ours"], medians["pls"], 1))
    results.append(Result("scoring with three models vs one model", target=1.5, built=False,
                          note="scoring models are issue 21"))
    return results
