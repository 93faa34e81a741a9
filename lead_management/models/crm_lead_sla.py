# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models

SLA_STATES = [
    ("none", "No SLA"),
    ("on_track", "On Track"),
    ("at_risk", "At Risk"),
    ("breached", "Breached"),
    ("met", "Met"),
]


class CrmLead(models.Model):
    _inherit = "crm.lead"

    # SLA: one clock at a time. Speed-to-lead: the qualifying rep's first touch on a new or recycled
    # lead; hand-off: the salesperson's answer to a lead handed off to them. Written by the SLA step and
    # the SLA job only.
    sla_policy_id = fields.Many2one("lead.sla.policy", "SLA Policy", readonly=True, copy=False,
                                    index="btree_not_null")
    sla_clock = fields.Selection([("speed", "Speed to Lead"), ("handoff", "Hand-off Answer")], "SLA Clock",
                                 readonly=True, copy=False)
    sla_owner_id = fields.Many2one("res.users", "SLA Owner", readonly=True, copy=False,
                                   help="Whose first touch the clock waits for.")
    sla_start = fields.Datetime("SLA Clock Started", readonly=True, copy=False)
    sla_deadline = fields.Datetime("SLA Deadline", readonly=True, copy=False, index="btree_not_null")
    sla_warning_date = fields.Datetime("SLA Warning", readonly=True, copy=False)
    sla_state = fields.Selection(SLA_STATES, "SLA", readonly=True, copy=False, index=True)
    sla_met_date = fields.Datetime("First Touch On", readonly=True, copy=False)
    sla_response_hours = fields.Float("Response (Working Hours)", readonly=True, copy=False, aggregator="avg")
    sla_response_calendar_hours = fields.Float("Response (Hours)", readonly=True, copy=False, aggregator="avg")
    sla_paused_since = fields.Datetime("SLA Paused Since", readonly=True, copy=False)
    sla_consumed_hours = fields.Float("SLA Working Hours Consumed", readonly=True, copy=False,
                                      help="Working hours the clock had run before it was paused.")
    sla_escalation = fields.Integer("SLA Escalation Rung", readonly=True, copy=False,
                                    help="1: owner warned; 2: breach escalated to the team leader; 3: reassigned.")
    sla_next_check = fields.Datetime(readonly=True, copy=False, index="btree_not_null",
                                     help="Next moment the SLA job must look at this lead.")
