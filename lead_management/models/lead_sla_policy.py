# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models


class LeadSlaPolicy(models.Model):
    _name = "lead.sla.policy"
    _description = "Lead SLA Policy"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one("res.company", index=True)
    clock = fields.Selection([("speed", "Speed to Lead"), ("handoff", "Hand-off Answer")], required=True,
                             default="speed")
    target_hours = fields.Float("Target (Working Hours)", required=True, default=4.0)
    warning_hours = fields.Float("Warning After (Working Hours)", default=2.0)
