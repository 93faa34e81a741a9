# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models


class CrmLead(models.Model):
    _inherit = "crm.lead"

    intake_reference_ids = fields.One2many("lead.intake.reference", "lead_id", "Intake References", readonly=True)

    @api.model
    def _lead_intake_batch_chunk(self, low, high):
        """A chunk of queued intake items (lead.intake.batch.item ids [low, high)). On crm.lead, as Lead Management's
        other chunks: with lead_management_queue, one of its jobs on its channel (its job functions)."""
        self.env["lead.intake.batch.item"].sudo()._intake_run_chunk(low, high)

    def _merge_dependences(self, opportunities):
        # A sender's external id names the person, whichever lead crm keeps: it follows to the lead that stays.
        self._intake_withhold_merged(opportunities)
        result = super()._merge_dependences(opportunities)
        opportunities.sudo().intake_reference_ids.write({"lead_id": self.id})
        return result

    def _intake_withhold_merged(self, opportunities):
        """Before ``opportunities`` merge into this lead: the senders of the lead that was there first (the oldest)
        keep the lead as theirs; every other sender's references are withheld (their answers are receipts in any
        case: no sender learns what others sent about the same person)."""
        leads = (self | opportunities).sudo()
        references = leads.intake_reference_ids.filtered(lambda reference: not reference.lead_withheld)
        if not references:
            return
        first = min(leads, key=lambda lead: lead.id)
        keeping = references.filtered(lambda reference: reference.lead_id == first).user_id
        for reference in references.filtered(lambda reference: reference.user_id not in keeping):
            reference.write({"lead_withheld": True})
