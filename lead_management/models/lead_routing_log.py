# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models


class LeadRoutingLog(models.Model):
    """Why a lead went to whom: each choice of a qualifying rep or of a salesperson (a hand-off), with who was passed
    over and why (on leave, outside working hours when an SLA clock would start, at capacity), or why nobody was."""

    _name = "lead.routing.log"
    _inherit = ["lead.access.mixin"]
    _description = "Lead Routing"
    _order = "date desc, id desc"

    lead_id = fields.Many2one("crm.lead", required=True, readonly=True, index=True, ondelete="cascade")
    company_id = fields.Many2one("res.company", readonly=True, index=True)
    date = fields.Datetime(required=True, readonly=True, default=fields.Datetime.now, index=True)
    kind = fields.Selection([("qualifier", "Qualifying Rep"), ("handoff", "Hand-off")], required=True, readonly=True)
    user_id = fields.Many2one("res.users", "Routed To", readonly=True, index=True,
                              help="Empty: nobody was available, the lead stays where it was.")
    reason = fields.Char(readonly=True)
    skipped_leave = fields.Integer("Passed Over: On Leave", readonly=True)
    skipped_hours = fields.Integer("Passed Over: Outside Working Hours", readonly=True)
    skipped_capacity = fields.Integer("Passed Over: At Capacity", readonly=True)
    routed_count = fields.Integer("Routed", readonly=True, help="1 when someone got the lead.")
