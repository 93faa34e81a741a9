# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models
from odoo.tools import SQL

from ..models.lead_handoff import HANDOFF_STATES
from .lead_report_mixin import ratio


class LeadFollowupReport(models.Model):
    """One row per hand-off to sales: was it followed up, in time, accepted, won?

    Followed up: answered (accepted or rejected) or touched by the salesperson (the SLA's first touch). In
    time: followed up by the hand-off clock's deadline. Rates are computed over each group (ratios of sums),
    next to the company's targets (Settings: 75 % followed up, 10 % closed by default)."""

    _name = "lead.followup.report"
    _inherit = ["lead.report.mixin"]
    _description = "Lead Follow-up Analysis"
    _auto = False
    _order = "date desc"
    _rec_name = "lead_id"
    _depends = {
        "lead.handoff": ["lead_id", "company_id", "date", "user_id", "qualifier_id", "team_id", "grade_id", "merged",
                         "state", "answer_date", "rejection_reason_id", "sla_deadline", "sla_met_date",
                         "sla_response_hours"],
        "crm.lead": ["campaign_id", "source_id", "medium_id", "active", "stage_id", "handoff_date", "sla_clock",
                     "sla_deadline", "sla_met_date", "sla_response_hours"],
        "crm.stage": ["is_won"],
        "res.company": ["lead_followup_target", "lead_close_target"],
    }

    lead_id = fields.Many2one("crm.lead", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    date = fields.Datetime("Handed Off On", readonly=True)
    user_id = fields.Many2one("res.users", "Salesperson", readonly=True)
    qualifier_id = fields.Many2one("res.users", "Qualifying Rep", readonly=True)
    team_id = fields.Many2one("crm.team", "Sales Team", readonly=True)
    grade_id = fields.Many2one("lead.grade", "Grade at Hand-off", readonly=True)
    campaign_id = fields.Many2one("utm.campaign", readonly=True)
    source_id = fields.Many2one("utm.source", readonly=True)
    medium_id = fields.Many2one("utm.medium", readonly=True)
    state = fields.Selection(HANDOFF_STATES, "Sales Answer", readonly=True)
    answer_date = fields.Datetime("Answered On", readonly=True)
    rejection_reason_id = fields.Many2one("lead.rejection.reason", readonly=True)
    sla_deadline = fields.Datetime("SLA Deadline", readonly=True)
    first_response_date = fields.Datetime("Followed Up On", readonly=True,
                                          help="The salesperson's first touch or answer, whichever came first.")
    # Counts
    handoff_count = fields.Integer("Handed Off", readonly=True)
    accepted_count = fields.Integer("Accepted", readonly=True)
    rejected_count = fields.Integer("Rejected", readonly=True)
    answered_count = fields.Integer("Answered", readonly=True)
    pending_count = fields.Integer("Awaiting Answer", readonly=True)
    unanswered_count = fields.Integer("Not Answered", readonly=True,
                                      help="The salesperson let the hand-off go without an answer: unassigned, passed "
                                           "on, lost, or reassigned by the SLA.")
    withdrawn_count = fields.Integer("Withdrawn by Marketing", readonly=True)
    followed_up_count = fields.Integer("Followed Up", readonly=True)
    not_followed_up_count = fields.Integer("Not Followed Up", readonly=True)
    within_sla_count = fields.Integer("Followed Up in Time", readonly=True)
    sla_count = fields.Integer("With SLA Outcome", readonly=True,
                               help="Hand-offs whose clock is decided: followed up, or past its deadline.")
    won_count = fields.Integer("Won", readonly=True)
    # Durations
    response_hours = fields.Float("Response Time (Hours)", readonly=True, aggregator="avg",
                                  help="From the hand-off to the first touch or answer, in calendar hours.")
    response_working_hours = fields.Float("Response Time (Working Hours)", readonly=True, aggregator="avg",
                                          help="As the SLA counts it, on the salesperson's working schedule.")
    # Rates (ratios of the group's sums), shown against the company's targets
    acceptance_rate = fields.Float("Acceptance Rate (%)", readonly=True, aggregator="avg",
                                   help="Accepted among the answered hand-offs.")
    followup_rate = fields.Float("Follow-up Rate (%)", readonly=True, aggregator="avg")
    not_followed_up_rate = fields.Float("Never Followed Up (%)", readonly=True, aggregator="avg")
    within_sla_rate = fields.Float("Within SLA (%)", readonly=True, aggregator="avg",
                                   help="Followed up by the deadline, among the hand-offs whose clock is decided.")
    close_rate = fields.Float("Close Rate (%)", readonly=True, aggregator="avg", help="Won among the hand-offs.")
    followup_target = fields.Float("Follow-up Target (%)", readonly=True, aggregator="avg")
    close_target = fields.Float("Close Target (%)", readonly=True, aggregator="avg")
    followup_gap = fields.Float("Follow-up vs Target (Points)", readonly=True, aggregator="avg",
                                help="Follow-up rate minus the target, in percentage points: below 0, short of it.")
    close_gap = fields.Float("Close Rate vs Target (Points)", readonly=True, aggregator="avg",
                             help="Close rate minus the target, in percentage points: below 0, short of it.")

    def _report_aggregates(self):
        def gap(rate, target):
            def aggregate(column):
                return SQL("%s - AVG(%s)", rate(column), column(target))
            return aggregate

        followup_rate = ratio("followed_up_count", "handoff_count", 100)
        close_rate = ratio("won_count", "handoff_count", 100)
        return {
            "acceptance_rate": ratio("accepted_count", "answered_count", 100),
            "followup_rate": followup_rate,
            "not_followed_up_rate": ratio("not_followed_up_count", "handoff_count", 100),
            "within_sla_rate": ratio("within_sla_count", "sla_count", 100),
            "close_rate": close_rate,
            "followup_gap": gap(followup_rate, "followup_target"),
            "close_gap": gap(close_rate, "close_target"),
        }

    @property
    def _table_query(self):
        now = fields.Datetime.now()
        return SQL("""
            SELECT row.*,
                   (row.first_response_date IS NOT NULL)::int AS followed_up_count,
                   (row.first_response_date IS NULL)::int AS not_followed_up_count,
                   (row.sla_deadline IS NOT NULL AND row.first_response_date <= row.sla_deadline)::int
                       AS within_sla_count,
                   (row.sla_deadline IS NOT NULL
                    AND (row.first_response_date IS NOT NULL OR row.sla_deadline < %(now)s))::int AS sla_count,
                   EXTRACT(EPOCH FROM row.first_response_date - row.date) / 3600.0 AS response_hours,
                   100.0 * row.accepted_count / NULLIF(row.answered_count, 0) AS acceptance_rate,
                   100.0 * (row.first_response_date IS NOT NULL)::int AS followup_rate,
                   100.0 * (row.first_response_date IS NULL)::int AS not_followed_up_rate,
                   CASE WHEN row.sla_deadline IS NULL THEN NULL
                        WHEN row.first_response_date <= row.sla_deadline THEN 100.0
                        WHEN row.first_response_date IS NOT NULL OR row.sla_deadline < %(now)s THEN 0.0 END
                       AS within_sla_rate,
                   100.0 * row.won_count AS close_rate,
                   100.0 * (row.first_response_date IS NOT NULL)::int - row.followup_target AS followup_gap,
                   100.0 * row.won_count - row.close_target AS close_gap
              FROM (
                SELECT handoff.id,
                       handoff.lead_id,
                       handoff.company_id,
                       handoff.date,
                       handoff.user_id,
                       handoff.qualifier_id,
                       handoff.team_id,
                       handoff.grade_id,
                       lead.campaign_id,
                       lead.source_id,
                       lead.medium_id,
                       handoff.state,
                       handoff.answer_date,
                       handoff.rejection_reason_id,
                       clock.deadline AS sla_deadline,
                       LEAST(clock.met_date, handoff.answer_date) AS first_response_date,
                       CASE WHEN clock.met_date IS NOT NULL THEN clock.response_hours END AS response_working_hours,
                       1 AS handoff_count,
                       (handoff.state = 'accepted')::int AS accepted_count,
                       (handoff.state = 'rejected')::int AS rejected_count,
                       (handoff.state IN ('accepted', 'rejected'))::int AS answered_count,
                       (handoff.state = 'pending')::int AS pending_count,
                       (handoff.state = 'unanswered')::int AS unanswered_count,
                       (handoff.state = 'withdrawn')::int AS withdrawn_count,
                       (handoff.state = 'accepted' AND lead.active AND COALESCE(crm_stage.is_won, FALSE))::int
                           AS won_count,
                       COALESCE(company.lead_followup_target, 0) AS followup_target,
                       COALESCE(company.lead_close_target, 0) AS close_target
                  FROM lead_handoff handoff
                  JOIN crm_lead lead ON lead.id = handoff.lead_id
                  LEFT JOIN crm_stage ON crm_stage.id = lead.stage_id
                  LEFT JOIN res_company company ON company.id = handoff.company_id
                  -- the hand-off clock: the lead's own while this hand-off is its current one and the clock
                  -- runs (the SLA job may have moved it since), else what the hand-off kept of it
                  CROSS JOIN LATERAL (
                      SELECT CASE WHEN current_clock THEN lead.sla_deadline ELSE handoff.sla_deadline END AS deadline,
                             CASE WHEN current_clock THEN lead.sla_met_date ELSE handoff.sla_met_date END AS met_date,
                             CASE WHEN current_clock THEN lead.sla_response_hours ELSE handoff.sla_response_hours END
                                 AS response_hours
                        FROM (SELECT lead.sla_clock = 'handoff' AND lead.handoff_date = handoff.date
                                     AND handoff.merged IS NOT TRUE AS current_clock) AS flag
                  ) AS clock
              ) AS row
        """, now=now)
