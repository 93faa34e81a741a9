# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models
from odoo.tools import SQL

from .lead_report_mixin import median

AGE_BUCKETS = [("0_7", "0–7 days"), ("8_30", "8–30 days"), ("31_90", "31–90 days"), ("90_plus", "Over 90 days")]
# Report row ids: (lead id << STAGE_BITS) | stage id.
STAGE_BITS = 12


def flow_stages_sql():
    """Each company's lifecycle stages (company 0: leads without company): the shared ones and its own, its
    own first where both have a code, with the sequence of the last main-flow stage."""
    return SQL("""
        SELECT flow.*, MAX(flow.sequence) FILTER (WHERE NOT flow.is_side_exit)
                           OVER (PARTITION BY flow.company_id) AS last_sequence
          FROM (SELECT DISTINCT ON (company.id, stage.code)
                       company.id AS company_id, stage.id AS stage_id, stage.code, stage.sequence,
                       COALESCE(stage.is_side_exit, FALSE) AS is_side_exit
                  FROM (SELECT id FROM res_company UNION ALL SELECT 0) AS company
                  JOIN lead_lifecycle_stage stage
                    ON stage.active AND (stage.company_id IS NULL OR stage.company_id = company.id)
                 ORDER BY company.id, stage.code, stage.company_id NULLS LAST, stage.sequence, stage.id) AS flow
    """)


def lead_moves_sql():
    """Per lead, its lifecycle history in one pass: the furthest main-flow stage it reached, the side exits
    it entered, and its moves as parallel arrays (to stage, its sequence on the main flow, date, from stage,
    hours spent in the stage left) that the report's per-stage columns read. Columns a query does not use are
    never computed: PostgreSQL drops unused outputs of a subquery."""
    return SQL("""
        SELECT history.lead_id,
               MAX(stage.sequence) FILTER (WHERE NOT COALESCE(stage.is_side_exit, FALSE)) AS max_sequence,
               ARRAY_AGG(history.to_stage_id) FILTER (WHERE stage.is_side_exit) AS exits,
               ARRAY_AGG(history.to_stage_id) AS to_stages,
               ARRAY_AGG(CASE WHEN stage.is_side_exit THEN NULL ELSE stage.sequence END) AS to_sequences,
               ARRAY_AGG(history.date) AS dates,
               ARRAY_AGG(history.from_stage_id) AS from_stages,
               ARRAY_AGG(history.hours_in_previous) AS hours
          FROM lead_lifecycle_history history
          JOIN lead_lifecycle_stage stage ON stage.id = history.to_stage_id
         GROUP BY history.lead_id
    """)


class LeadFunnelReport(models.Model):
    """One row per lead and lifecycle stage it reached: when, how long it stayed, whether it went on.

    A lead that skipped a stage (created as a lead, handed off from suspect…) counts as having passed it:
    conversion from one stage to the next is the share of the leads that reached a stage and then reached a
    later one. Side exits (recycled, disqualified) have a row when the lead entered them. Built from the
    lifecycle history, read as the caller may read the leads (lead.access.mixin)."""

    _name = "lead.funnel.report"
    _inherit = ["lead.report.mixin"]
    _description = "Lead Funnel Analysis"
    _auto = False
    _order = "lead_create_date desc, stage_sequence"
    _rec_name = "lead_id"
    _depends = {
        "lead.lifecycle.history": ["lead_id", "to_stage_id", "from_stage_id", "date", "hours_in_previous"],
        "lead.lifecycle.stage": ["code", "sequence", "is_side_exit", "active", "company_id"],
        "lead.handoff": ["lead_id", "grade_id"],
        "crm.lead": ["company_id", "campaign_id", "source_id", "medium_id", "team_id", "qualifier_id", "user_id",
                     "handoff_user_id", "country_id", "grade_id", "create_date", "lifecycle_stage_id", "active",
                     "stage_id", "probability"],
        "crm.stage": ["is_won"],
    }

    # The lead, as it is now
    lead_id = fields.Many2one("crm.lead", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    campaign_id = fields.Many2one("utm.campaign", readonly=True)
    source_id = fields.Many2one("utm.source", readonly=True)
    medium_id = fields.Many2one("utm.medium", readonly=True)
    team_id = fields.Many2one("crm.team", "Sales Team", readonly=True)
    qualifier_id = fields.Many2one("res.users", "Qualifying Rep", readonly=True)
    user_id = fields.Many2one("res.users", "Salesperson", readonly=True,
                              help="The lead's salesperson, else the last one it was handed off to.")
    country_id = fields.Many2one("res.country", readonly=True)
    grade_id = fields.Many2one("lead.grade", readonly=True)
    handoff_grade_id = fields.Many2one("lead.grade", "Grade at Hand-off", readonly=True,
                                       help="The lead's grade when it was last handed off to sales.")
    lead_create_date = fields.Datetime("Created On", readonly=True)
    is_open = fields.Boolean("Open", readonly=True, help="Neither won nor lost.")
    # The stage
    stage_id = fields.Many2one("lead.lifecycle.stage", "Lifecycle Stage", readonly=True)
    stage_sequence = fields.Integer(readonly=True, aggregator=False)
    is_current = fields.Boolean("Current Stage", readonly=True)
    skipped = fields.Boolean(readonly=True,
                             help="Passed without standing in it: the lead went straight to a later stage.")
    date_reached = fields.Datetime("Reached On", readonly=True,
                                   help="When the lead first entered this stage, or a later one when it skipped it.")
    visit_count = fields.Integer("Times Entered", readonly=True)
    # Measures
    lead_count = fields.Integer("Leads", readonly=True)
    days_in_stage = fields.Float(
        "Days in Stage (Average)", readonly=True, aggregator="avg",
        help="Time spent in the stage, all stays added, for leads that left it; empty while the lead is still there.")
    days_in_stage_median = fields.Float("Days in Stage (Median)", readonly=True, aggregator="avg")
    conversion_rate = fields.Float(
        "Conversion to Next Stage (%)", readonly=True, aggregator="avg",
        help="Share of the leads that reached this stage and went on to a later stage of the main flow.")
    age_days = fields.Integer("Age (Days)", readonly=True, aggregator="avg",
                              help="Days since the lead was created, on the current stage of open leads.")
    age_bucket = fields.Selection(AGE_BUCKETS, "Age", readonly=True,
                                  help="Age of an open lead, on its current stage's row.")

    def _report_aggregates(self):
        return {"days_in_stage_median": median("days_in_stage")}

    @property
    def _table_query(self):
        now = fields.Datetime.now()
        return SQL("""
            SELECT (lead.id::bigint << %(bits)s) | flow.stage_id AS id,
                   lead.id AS lead_id,
                   lead.company_id,
                   lead.campaign_id,
                   lead.source_id,
                   lead.medium_id,
                   lead.team_id,
                   lead.qualifier_id,
                   COALESCE(lead.user_id, lead.handoff_user_id) AS user_id,
                   lead.country_id,
                   lead.grade_id,
                   handoff.grade_id AS handoff_grade_id,
                   lead.create_date AS lead_create_date,
                   (lead.active AND NOT COALESCE(crm_stage.is_won, FALSE)) AS is_open,
                   flow.stage_id,
                   flow.sequence AS stage_sequence,
                   (lead.lifecycle_stage_id = flow.stage_id) AS is_current,
                   NOT (flow.stage_id = ANY(moves.to_stages)) AS skipped,
                   (SELECT MIN(move.date)
                      FROM UNNEST(moves.to_stages, moves.to_sequences, moves.dates) AS move(stage_id, sequence, date)
                     WHERE move.stage_id = flow.stage_id
                        OR (NOT flow.is_side_exit AND move.sequence >= flow.sequence)) AS date_reached,
                   (SELECT COUNT(*) FROM UNNEST(moves.to_stages) AS move(stage_id)
                     WHERE move.stage_id = flow.stage_id)::int AS visit_count,
                   1 AS lead_count,
                   (SELECT SUM(stay.hours) / 24.0
                      FROM UNNEST(moves.from_stages, moves.hours) AS stay(stage_id, hours)
                     WHERE stay.stage_id = flow.stage_id) AS days_in_stage,
                   NULL::float AS days_in_stage_median,
                   CASE WHEN flow.is_side_exit OR flow.sequence >= flow.last_sequence THEN NULL
                        WHEN moves.max_sequence > flow.sequence THEN 100.0 ELSE 0.0 END AS conversion_rate,
                   age.days AS age_days,
                   CASE WHEN age.days IS NULL THEN NULL
                        WHEN age.days <= 7 THEN '0_7'
                        WHEN age.days <= 30 THEN '8_30'
                        WHEN age.days <= 90 THEN '31_90'
                        ELSE '90_plus' END AS age_bucket
              FROM crm_lead lead
              JOIN (%(moves)s) AS moves ON moves.lead_id = lead.id
              JOIN (%(flow)s) AS flow
                ON flow.company_id = COALESCE(lead.company_id, 0)
               AND CASE WHEN flow.is_side_exit THEN flow.stage_id = ANY(moves.exits)
                        ELSE flow.sequence <= moves.max_sequence END
              LEFT JOIN crm_stage ON crm_stage.id = lead.stage_id
              LEFT JOIN (SELECT DISTINCT ON (lead_id) lead_id, grade_id
                           FROM lead_handoff ORDER BY lead_id, id DESC) AS handoff ON handoff.lead_id = lead.id
              -- the age of an open lead, on the row of its current stage
              CROSS JOIN LATERAL (
                  SELECT CASE WHEN lead.active AND NOT COALESCE(crm_stage.is_won, FALSE)
                                   AND lead.lifecycle_stage_id = flow.stage_id
                              THEN GREATEST(FLOOR(EXTRACT(EPOCH FROM %(now)s - lead.create_date) / 86400), 0)::int
                         END AS days
              ) AS age
        """, bits=STAGE_BITS, now=now, moves=lead_moves_sql(), flow=flow_stages_sql())
