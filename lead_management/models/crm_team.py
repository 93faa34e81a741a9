# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import models


class CrmTeam(models.Model):
    _inherit = "crm.team"

    def _get_lead_to_assign_domain(self):
        # Leads marketing still owns reach sales through qualification and hand-off only.
        return super()._get_lead_to_assign_domain() + [("lifecycle_side", "!=", "marketing")]
