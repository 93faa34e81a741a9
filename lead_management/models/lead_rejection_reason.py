# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models


class LeadRejectionReason(models.Model):
    _name = "lead.rejection.reason"
    _description = "Lead Rejection Reason"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one("res.company", index=True)
    description = fields.Text(translate=True, help="When sales should pick this reason.")
    lead_count = fields.Integer(compute="_compute_lead_count")

    def _compute_lead_count(self):
        counts = dict(self.env["crm.lead"].with_context(active_test=False)._read_group(
            [("rejection_reason_id", "in", self.ids)], ["rejection_reason_id"], ["__count"]))
        for reason in self:
            reason.lead_count = counts.get(reason, 0)
