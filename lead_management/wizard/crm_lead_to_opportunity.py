# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import SUPERUSER_ID, models


class Lead2OpportunityPartner(models.TransientModel):
    _inherit = "crm.lead2opportunity.partner"

    def _action_merge(self):
        """crm's conversion wizard set to merge the lead with the opportunities of the same person converts it: the
        pending hand-offs among them are answered as a conversion answers them, accepted when their salesperson
        or a sales manager converts, refused to anyone else, before crm merges them (crm's Merge action, which
        converts nothing, drops them instead). The system's own merges (superuser) withdraw them, as its
        conversions do."""
        pending = self.duplicated_lead_ids.filtered(lambda lead: lead.handoff_state == "pending" and lead.active)
        if pending and self.env.uid != SUPERUSER_ID:
            refused = pending - pending._handoff_answerable()
            if refused:
                raise refused._handoff_refusal()
            pending.action_accept_handoff()
        return super()._action_merge()
