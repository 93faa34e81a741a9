# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import models


class Lead2OpportunityPartner(models.TransientModel):
    _inherit = "crm.lead2opportunity.partner"

    def _action_merge(self):
        # "Merge with existing opportunities" converts: see CrmLead._handoff_accept_before_merge.
        self.duplicated_lead_ids._handoff_accept_before_merge()
        return super()._action_merge()


class Lead2OpportunityMassConvert(models.TransientModel):
    _inherit = "crm.lead2opportunity.partner.mass"

    def action_mass_convert(self):
        # Converting with "Apply deduplication" merges each selected lead with the same person's: the selected
        # leads' hand-offs are answered as their conversion (CrmLead._handoff_accept_before_merge).
        if self.name == "convert" and self.deduplicate:
            self.lead_tomerge_ids._handoff_accept_before_merge()
        return super().action_mass_convert()
