# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import logging

from odoo import fields, models
from odoo.exceptions import AccessError, UserError
from odoo.http import request

from odoo.addons.base.models.res_users import check_identity

from .res_users_apikeys import INTAKE_SCOPE

_logger = logging.getLogger(__name__)

INTAKE_GROUP = "lead_management.group_lead_intake"


class ResUsersApikeysDescription(models.TransientModel):
    """Core's "New API Key" wizard, also making the keys of the intake API: the same name, duration and
    one-time display, with the intake scope, for an intake user (the administrator's choice, or oneself)."""

    _inherit = "res.users.apikeys.description"

    lead_intake_user_id = fields.Many2one(
        "res.users", "Intake User", readonly=True, ondelete="cascade",
        help="The user of the Lead Intake (API) group the key is made for.")

    @check_identity
    def make_lead_intake_key(self):
        """As core's ``make_key``, with the intake scope: the key opens the intake API only."""
        self.ensure_one()
        self.check_access_make_key()
        user = self.lead_intake_user_id or self.env.user
        if not user.has_group(INTAKE_GROUP):
            raise UserError(self.env._(
                "%s is not in the “Lead Intake (API)” group: add the group to the user first (Settings > Users).",
                user.display_name))
        Keys = self.env["res.users.apikeys"]
        if user != self.env.user:
            # Core makes keys for oneself; an administrator makes them for the marketing tools' users, which
            # usually never log in. As superuser on behalf of that user: the key is that user's.
            if not self.env.user._is_system():
                raise AccessError(self.env._("Only an administrator can make an API key for another user."))
            _logger.info("Intake API key made for '%s' (#%s) by '%s' (#%s) from %s", user.login, user.id,
                         self.env.user.login, self.env.uid,
                         request.httprequest.environ["REMOTE_ADDR"] if request else "n/a")
            Keys = Keys.with_user(user).sudo()
        description = self.sudo()
        key = Keys._generate(INTAKE_SCOPE, description.name, self.expiration_date)
        description.unlink()
        return {
            "type": "ir.actions.act_window",
            "res_model": "res.users.apikeys.show",
            "name": self.env._("Intake API Key Ready"),
            "views": [(self.env.ref("lead_management_api.res_users_apikeys_show_view_form_intake").id, "form")],
            "target": "new",
            "context": {"default_key": key},
        }
