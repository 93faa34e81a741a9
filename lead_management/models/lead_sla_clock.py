# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models

from .crm_lead_sla import SLA_STATES


class LeadSlaClock(models.Model):
    """One run of an SLA clock on a lead: who had to touch it, by when, and how it ended.

    A lead shows its current clock (crm.lead sla_* fields); the runs stay for the follow-up reports: a lead
    handed off twice, rejected once, has two hand-off clocks and the speed-to-lead clocks around them.
    The SLA job selects due runs by ``next_check`` (indexed)."""

    _name = "lead.sla.clock"
    _inherit = ["lead.access.mixin"]
    _description = "Lead SLA Clock"
    _order = "start desc, id desc"
    _rec_name = "policy_id"

    lead_id = fields.Many2one("crm.lead", required=True, index=True, ondelete="cascade", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True, index=True)
    policy_id = fields.Many2one("lead.sla.policy", required=True, readonly=True, ondelete="restrict")
    clock = fields.Selection([("speed", "Speed to Lead"), ("handoff", "Hand-off Answer")], required=True,
                             readonly=True)
    owner_id = fields.Many2one("res.users", required=True, readonly=True, index=True)
    start = fields.Datetime(required=True, readonly=True)
    resumed = fields.Datetime("Running Since", readonly=True, help="Start, or the end of the last pause.")
    consumed_hours = fields.Float("Working Hours Before Pause", readonly=True)
    paused_since = fields.Datetime(readonly=True)
    warning_date = fields.Datetime(readonly=True)
    deadline = fields.Datetime(readonly=True)
    deadline_nominal = fields.Datetime(
        readonly=True, help="The deadline on the policy's working hours without the owner's time off: an owner "
                            "away then is a reason to escalate early.")
    reassign_date = fields.Datetime(readonly=True)
    state = fields.Selection(SLA_STATES + [("stopped", "Stopped")], required=True, default="on_track",
                             readonly=True, index=True,
                             help="How the clock stands, or ended: met, breached (no first touch in time), stopped "
                                  "(the lead left the stages of its policy, was lost, or changed hands before it).")
    closed = fields.Boolean(readonly=True, default=False, index=True,
                            help="The clock ended: met, stopped or replaced.")
    escalation = fields.Integer(readonly=True)
    next_check = fields.Datetime(readonly=True, index="btree_not_null",
                                 help="Next moment the SLA job must look at this clock.")
    met_date = fields.Datetime("First Touch On", readonly=True)
    met_by_id = fields.Many2one("res.users", "Touched By", readonly=True)
    response_hours = fields.Float("Response (Working Hours)", readonly=True, aggregator="avg")
    response_calendar_hours = fields.Float("Response (Hours)", readonly=True, aggregator="avg")
    end_reason = fields.Char(readonly=True)

    def _next_check(self):
        """The next rung's moment: warning, deadline, reassignment; nothing once the ladder is climbed."""
        self.ensure_one()
        if self.escalation < 1 and self.warning_date:
            return self.warning_date
        if self.escalation < 2:
            return self.deadline
        if self.escalation < 3 and self.reassign_date:
            return self.reassign_date
        return False
