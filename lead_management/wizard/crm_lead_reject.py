# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models


class CrmLeadReject(models.TransientModel):
    _name = "crm.lead.reject"
    _description = "Reject Handed-Off Leads"

    lead_ids = fields.Many2many("crm.lead", string="Leads", required=True)
    rejection_reason_id = fields.Many2one("lead.rejection.reason", "Reason", required=True)
    note = fields.Text(help="What sales would need to accept this lead next time.")

    def action_reject(self):
        self.ensure_one()
        self.lead_ids._handoff_reject(self.rejection_reason_id, self.note)
        return {"type": "ir.actions.act_window_close"}
