# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The funnel grouped by campaign × month × stage on the generated CRM of N leads (their lifecycle history: 3.4
moves a lead, stages skipped, recycled leads coming back, side exits), against a hand-written SQL GROUP BY over the
same tables giving the same numbers:

  ours       lead.funnel.report._read_group(campaign × creation month × stage: leads, conversion to the next
             stage) as a Lead Manager: the report's SQL view, record rules and the ORM's read_group;
  reference  the same numbers from one hand-written GROUP BY over crm_lead, lead_lifecycle_history and
             lead_lifecycle_stage, as superuser (no record rule).

Both results are compared (same groups, same counts, same rates) before any time is taken. Target: ours ≤ 2 × the
reference.
"""
from common import Result, environment, interleaved

from odoo.tools import SQL


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


def run(ctx):
    db = ctx.database("lm")
    with environment(db) as env:
        cr = env.cr
        manager = env["res.users"].search([("login", "=", "bench_lead_manager")])
        Funnel = env["lead.funnel.report"].with_user(manager)
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
            raise AssertionError(f"the report and the reference disagree: {len(ours_result)} groups against "
                                 f"{len(reference_result)}; {len(differ)} differ, e.g. {differ[:3]}")
        ctx.log(f"  same {len(ours_result)} groups (campaign × month × stage), "
                f"{sum(count for count, _rate in ours_result.values())} lead-stage rows")
        medians, _times = interleaved(ctx.rounds, {"ours": ours, "reference": reference}, log=ctx.log)
    return [Result("funnel by campaign × month vs hand-written SQL", medians["ours"], medians["reference"], 2)]
