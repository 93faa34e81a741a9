# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import json

from odoo.tests import HttpCase, tagged

from odoo.addons.lead_management.tests.common import LeadManagementCommon, migration  # noqa: F401
from odoo.addons.lead_management_api.models.res_users_apikeys import INTAKE_SCOPE
from odoo.addons.lead_management_api.schemas import PREFIX


@tagged("post_install", "-at_install")
class IntakeCase(HttpCase, LeadManagementCommon):
    """Requests through a real HTTP server, with the API key of the Lead Intake user of the common world."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.key = cls._api_key(cls.user_intake)
        cls._set_company(lead_intake_team_id=cls.team.id)
        cls.Lead = cls.env["crm.lead"].with_context(active_test=False)

    @classmethod
    def _api_key(cls, user, expiration=None, scope=INTAKE_SCOPE):
        """A new API key of ``user``: an intake key by default, or of ``scope`` (None: an ordinary key, for RPC)."""
        return cls.env["res.users.apikeys"].with_user(user).sudo()._generate(scope, f"key of {user.login}", expiration)

    def post(self, path, body=None, key=None, content_type="application/json", data=None, headers=None):
        """POST ``body`` (as JSON, or ``data`` as is) to the intake route ``path``; returns the response."""
        all_headers = {"Content-Type": content_type} if content_type else {}
        if key is not False:
            all_headers["Authorization"] = f"Bearer {key or self.key}"
        all_headers.update(headers or {})
        if data is None:
            data = json.dumps(body).encode()
        return self.opener.post(self.base_url() + PREFIX + path, data=data, headers=all_headers, timeout=30)

    def lead_body(self, external_id, **values):
        return {"external_id": external_id, "contact_name": "Ada Lovelace", "company": "Analytical Engines",
                "email": f"{external_id}@engines.example.com", **values}

    def counts(self):
        """Rows the intake writes: leads, events, references."""
        self.env.flush_all()
        return (self.Lead.search_count([]), self.env["lead.engagement.event"].search_count([]),
                self.env["lead.intake.reference"].search_count([]))
