# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models


class CrmLead(models.Model):
    _inherit = "crm.lead"

    intake_reference_ids = fields.One2many("lead.intake.reference", "lead_id", "Intake References", readonly=True)

    def _merge_dependences(self, opportunities):
        # A sender's external id names the person, whichever lead crm keeps: it follows to the lead that stays.
        result = super()._merge_dependences(opportunities)
        opportunities.sudo().intake_reference_ids.write({"lead_id": self.id})
        return result
