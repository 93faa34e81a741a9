# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models
from odoo.tools import SQL

# Row ids: (lead id << 23) | (months since 1970 << 12) | stage id.
MONTH_SHIFT = 12
LEAD_SHIFT = 23


class LeadFunnelMonthReport(models.Model):
    """How many leads stood in each lifecycle stage at the end of each month, and the change from the month
    before: the documents' "number of contacts in each qualifying step, the change from month to month".

    One row per lead and month end at which it stood in a stage (counted), plus a row for the stage it left
    since the month before (it moved on, or was lost: -1 in that stage's change). Summed over a stage and a
    month, ``change`` is that month's count minus the month before's. The current month counts the leads as
    they stand now. Lost leads stop counting from their closing date; won leads stay customers."""

    _name = "lead.funnel.month.report"
    _inherit = ["lead.report.mixin"]
    _description = "Leads per Stage at Month End"
    _auto = False
    _order = "month desc, stage_sequence"
    _rec_name = "lead_id"
    _depends = {
        "lead.lifecycle.history": ["lead_id", "to_stage_id", "date"],
        "lead.lifecycle.stage": ["sequence"],
        "crm.lead": ["company_id", "campaign_id", "source_id", "medium_id", "team_id", "qualifier_id", "user_id",
                     "active", "date_closed"],
    }

    lead_id = fields.Many2one("crm.lead", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    campaign_id = fields.Many2one("utm.campaign", readonly=True)
    source_id = fields.Many2one("utm.source", readonly=True)
    medium_id = fields.Many2one("utm.medium", readonly=True)
    team_id = fields.Many2one("crm.team", "Sales Team", readonly=True)
    qualifier_id = fields.Many2one("res.users", "Qualifying Rep", readonly=True)
    user_id = fields.Many2one("res.users", "Salesperson", readonly=True)
    month = fields.Date(readonly=True,
                        help="First day of the month whose end (now, for this month) is counted.")
    stage_id = fields.Many2one("lead.lifecycle.stage", "Lifecycle Stage", readonly=True)
    stage_sequence = fields.Integer(readonly=True, aggregator=False)
    lead_count = fields.Integer("Leads at Month End", readonly=True)
    change = fields.Integer("Change from Previous Month", readonly=True)

    @property
    def _table_query(self):
        now = fields.Datetime.now()
        return SQL("""
            WITH stays AS (
                -- each stay of a lead in a stage, [start, stop); a lost lead's last stay stops when it was lost
                SELECT history.lead_id, history.to_stage_id AS stage_id, history.date AS start,
                       LEAST(COALESCE(LEAD(history.date) OVER moves, 'infinity'),
                             CASE WHEN lead.active THEN 'infinity' ELSE COALESCE(lead.date_closed, 'infinity') END
                       ) AS stop
                  FROM lead_lifecycle_history history
                  JOIN crm_lead lead ON lead.id = history.lead_id
                WINDOW moves AS (PARTITION BY history.lead_id ORDER BY history.date, history.id)
            ), presence AS (
                -- the stage each lead stood in at each month end (now, for the current month)
                SELECT stays.lead_id, stays.stage_id, month.start::date AS month
                  FROM stays
                 CROSS JOIN LATERAL generate_series(date_trunc('month', stays.start),
                                                    date_trunc('month', LEAST(stays.stop, %(now)s)),
                                                    interval '1 month') AS month(start)
                 WHERE stays.start <= LEAST(month.start + interval '1 month', %(now)s)
                   AND LEAST(month.start + interval '1 month', %(now)s) < stays.stop
            ), marked AS (
                SELECT presence.*,
                       LAG(presence.month) OVER months AS previous_month,
                       LAG(presence.stage_id) OVER months AS previous_stage_id,
                       LEAD(presence.month) OVER months AS next_month
                  FROM presence
                WINDOW months AS (PARTITION BY presence.lead_id ORDER BY presence.month)
            ), counted AS (
                -- in the stage at the month end: counted, +1 unless it was there the month before
                SELECT lead_id, stage_id, month, 1 AS lead_count,
                       CASE WHEN previous_month = month - interval '1 month' AND previous_stage_id = stage_id
                            THEN 0 ELSE 1 END AS change
                  FROM marked
                 UNION ALL
                -- left a stage since the month before, for another one: -1 there
                SELECT lead_id, previous_stage_id, month, 0, -1
                  FROM marked
                 WHERE previous_month = month - interval '1 month' AND previous_stage_id != stage_id
                 UNION ALL
                -- in no stage at the next month end (lost): -1 in its last stage
                SELECT lead_id, stage_id, (month + interval '1 month')::date, 0, -1
                  FROM marked
                 WHERE (next_month IS NULL OR next_month > month + interval '1 month')
                   AND month + interval '1 month' <= date_trunc('month', %(now)s)
            )
            SELECT (counted.lead_id::bigint << %(lead_shift)s)
                   | (((EXTRACT(YEAR FROM counted.month) - 1970) * 12 + EXTRACT(MONTH FROM counted.month) - 1)::bigint
                      << %(month_shift)s)
                   | counted.stage_id AS id,
                   counted.lead_id,
                   lead.company_id,
                   lead.campaign_id,
                   lead.source_id,
                   lead.medium_id,
                   lead.team_id,
                   lead.qualifier_id,
                   lead.user_id,
                   counted.month,
                   counted.stage_id,
                   stage.sequence AS stage_sequence,
                   counted.lead_count,
                   counted.change
              FROM counted
              JOIN crm_lead lead ON lead.id = counted.lead_id
              JOIN lead_lifecycle_stage stage ON stage.id = counted.stage_id
        """, now=now, lead_shift=LEAD_SHIFT, month_shift=MONTH_SHIFT)
