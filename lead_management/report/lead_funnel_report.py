# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models
from odoo.tools import SQL

from .lead_report_mixin import median

# Keys sort as the buckets do: groups come in this order.
AGE_BUCKETS = [("00_07", "0–7 days"), ("08_30", "8–30 days"), ("31_90", "31–90 days"), ("91_plus", "Over 90 days")]
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
    _lead_rules_in_view = True
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
    is_open = fields.Boolean("Open", readonly=True, help="Neither won, lost nor disqualified.")
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

    def init(self):
        # The funnel reads each lead's moves in one pass: with the stage in the index, PostgreSQL reads the
        # index alone (index-only scan), not the history rows.
        self.env.cr.execute("""
            CREATE INDEX IF NOT EXISTS lead_lifecycle_history_lead_id_to_stage_id_idx
                ON lead_lifecycle_history (lead_id, to_stage_id)
        """)

    def _report_aggregates(self):
        return {"days_in_stage_median": median("days_in_stage")}

    @property
    def _table_query(self):
        now = fields.Datetime.now()
        company_stages, last_sequence = self._company_stages_sql()
        return SQL("""
            SELECT (lead.id::bigint << %(bits)s) | stage.id AS id,
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
                   open.is_open,
                   stage.id AS stage_id,
                   stage.sequence AS stage_sequence,
                   (lead.lifecycle_stage_id = stage.id) AS is_current,
                   NOT (stage.id = ANY(moves.to_stages)) AS skipped,
                   (SELECT MIN(move.date)
                      FROM UNNEST(moves.to_stages, moves.to_sequences, moves.dates) AS move(stage_id, sequence, date)
                     WHERE move.stage_id = stage.id
                        OR (stage.is_side_exit IS NOT TRUE AND move.sequence >= stage.sequence)) AS date_reached,
                   (SELECT COUNT(*) FROM UNNEST(moves.to_stages) AS move(stage_id)
                     WHERE move.stage_id = stage.id)::int AS visit_count,
                   1 AS lead_count,
                   (SELECT SUM(stay.hours) / 24.0
                      FROM UNNEST(moves.from_stages, moves.hours) AS stay(stage_id, hours)
                     WHERE stay.stage_id = stage.id) AS days_in_stage,
                   NULL::float AS days_in_stage_median,
                   CASE WHEN stage.is_side_exit OR stage.sequence >= %(last_sequence)s THEN NULL
                        WHEN moves.max_sequence > stage.sequence THEN 100.0 ELSE 0.0 END AS conversion_rate,
                   age.days AS age_days,
                   CASE WHEN age.days IS NULL THEN NULL
                        WHEN age.days <= 7 THEN '00_07'
                        WHEN age.days <= 30 THEN '08_30'
                        WHEN age.days <= 90 THEN '31_90'
                        ELSE '91_plus' END AS age_bucket
              FROM crm_lead lead
              JOIN (%(moves)s) AS moves ON moves.lead_id = lead.id
              -- the stages of its company the lead reached: the main-flow ones up to the furthest it reached
              -- (those it skipped included), and the side exits it entered
              JOIN lead_lifecycle_stage stage
                ON stage.active AND %(company_stages)s
               AND CASE WHEN stage.is_side_exit THEN stage.id = ANY(moves.exits)
                        ELSE stage.sequence <= moves.max_sequence END
              LEFT JOIN crm_stage ON crm_stage.id = lead.stage_id
              LEFT JOIN (SELECT DISTINCT ON (lead_id) lead_id, grade_id
                           FROM lead_handoff ORDER BY lead_id, id DESC) AS handoff ON handoff.lead_id = lead.id
              -- open: still worked on by marketing or sales; its age, on the row of its current stage
              LEFT JOIN lead_lifecycle_stage current_stage ON current_stage.id = lead.lifecycle_stage_id
              CROSS JOIN LATERAL (
                  SELECT lead.active AND NOT COALESCE(crm_stage.is_won, FALSE)
                         AND current_stage.code IS DISTINCT FROM 'disqualified' AS is_open
              ) AS open
              CROSS JOIN LATERAL (
                  SELECT CASE WHEN open.is_open AND lead.lifecycle_stage_id = stage.id
                              THEN GREATEST(FLOOR(EXTRACT(EPOCH FROM %(now)s - lead.create_date) / 86400), 0)::int
                         END AS days
              ) AS age
             WHERE %(lead_rules)s
        """, bits=STAGE_BITS, now=now, moves=lead_moves_sql(), company_stages=company_stages,
                   last_sequence=last_sequence, lead_rules=self._lead_rules_sql("lead") or SQL("TRUE"))

    def _company_stages_sql(self):
        """(condition on ``stage`` and ``lead``: the stage is one of the lead's company, SQL of the sequence of
        the last main-flow stage of the lead's company).

        A company's stages are the shared ones and its own, its own first where both have a code. Usually every
        stage is shared: then the condition is a constant one, which PostgreSQL plans as well as a join of
        every lead with every stage; a join on the lead's company would mislead its estimates. Built from the
        stages the user reads (shared ones and those of their companies)."""
        stages = self.env["lead.lifecycle.stage"].search([])
        company = SQL("COALESCE(lead.company_id, 0)")
        flows = {}
        for company_id in [*self.env.companies.ids, 0]:
            by_code = {}
            for stage in stages.filtered(lambda stage, company_id=company_id: stage.company_id.id in (company_id, 0)):
                if stage.code not in by_code or stage.company_id:
                    by_code[stage.code] = stage
            flows[company_id] = by_code
        lasts = {company_id: max((stage.sequence for stage in flow.values() if not stage.is_side_exit), default=None)
                 for company_id, flow in flows.items()}
        if not stages.company_id:
            return SQL("stage.company_id IS NULL"), SQL("%s", next(iter(lasts.values())))
        # A shared stage that a company replaced with its own is not one of that company's stages.
        shadowed = [SQL("(%s, %s)", company_id, stage.id) for company_id, flow in flows.items()
                    for stage in stages.filtered(lambda stage: not stage.company_id)
                    if flow.get(stage.code) != stage]
        condition = SQL("(stage.company_id = lead.company_id OR stage.company_id IS NULL)")
        if shadowed:
            condition = SQL("%s AND (%s, stage.id) NOT IN (VALUES %s)", condition, company, SQL(", ").join(shadowed))
        last = SQL("CASE %s %s END", company, SQL(" ").join(
            SQL("WHEN %s THEN %s", company_id, sequence) for company_id, sequence in lasts.items()))
        return condition, last
