# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models
from odoo.exceptions import AccessError

from odoo.addons.base.models.res_users import check_identity

from .res_users_apikeys_description import INTAKE_GROUP


class ResUsers(models.Model):
    _inherit = "res.users"

    is_lead_intake_user = fields.Boolean(
        "Lead Intake User", compute="_compute_is_lead_intake_user",
        help="In the Lead Intake (API) group: its intake API keys send leads and events.")

    @api.depends("groups_id")
    def _compute_is_lead_intake_user(self):
        for user in self:
            user.is_lead_intake_user = user.has_group(INTAKE_GROUP)

    @check_identity
    def action_new_lead_intake_key(self):
        """Core's "New API Key" wizard, making a key of the intake scope for this intake user."""
        self.ensure_one()
        if self != self.env.user and not self.env.user._is_system():
            raise AccessError(self.env._("Only an administrator can make an API key for another user."))
        return {
            "type": "ir.actions.act_window",
            "res_model": "res.users.apikeys.description",
            "name": self.env._("New Intake API Key"),
            "target": "new",
            "views": [(self.env.ref("lead_management_api.res_users_apikeys_description_view_form_intake").id, "form")],
            "context": {"default_lead_intake_user_id": self.id},
        }
