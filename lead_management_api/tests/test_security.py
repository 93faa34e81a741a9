# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Who may do what with the intake API's models, as one table (see lead_management's test_security)."""
from odoo.exceptions import AccessError

from odoo.addons.lead_management.tests.test_security import INTERNAL, OPERATIONS, ROLES, SecurityCommon

MATRIX = {
    "lead.intake.reference": {**dict.fromkeys(INTERNAL, "r"), "lead_manager": "r"},
    "lead.intake.hit": {},
    # Queued batches are the API's, read by their sender through the API only (administrators may look).
    "lead.intake.batch": {},
    "lead.intake.batch.item": {},
}


class TestApiMatrix(SecurityCommon):

    def test_every_model_is_in_the_table(self):
        data = self.env["ir.model.data"].search([("module", "=", "lead_management_api"), ("model", "=", "ir.model")])
        ours = {model.model for model in self.env["ir.model"].browse(data.mapped("res_id"))
                if self.env[model.model]._original_module == "lead_management_api"
                and not self.env[model.model]._abstract}
        self.assertEqual(ours, set(MATRIX), "give every new model a row in MATRIX")

    def test_model_rights(self):
        for model, rights in MATRIX.items():
            for role in ROLES:
                for letter, operation in OPERATIONS.items():
                    with self.subTest(model=model, role=role, operation=operation):
                        self.assertEqual(self.env[model].with_user(self.users[role]).has_access(operation),
                                         letter in rights.get(role, ""))

    def test_references_follow_their_lead(self):
        Reference = self.env["lead.intake.reference"]
        hidden = Reference.create({"lead_id": self.hidden.id, "company_id": self.company.id, "external_id": "h-1",
                                   "user_id": self.users["intake"].id})
        for role in ("salesman", "qualifier"):
            with self.subTest(role=role):
                self.assertFalse(self._call(role, "lead.intake.reference", "search_count", [("id", "=", hidden.id)]))
        self.assertTrue(self._call("lead_manager", "lead.intake.reference", "search_count", [("id", "=", hidden.id)]))

    def test_intake_methods_are_not_rpc(self):
        for model, method in (("lead.intake", "_intake_lead"), ("res.users.apikeys", "_lead_intake_authenticate"),
                              ("lead.intake.hit", "_lead_intake_throttle")):
            with self.subTest(method=method), self.assertRaises(AccessError):
                self._call("intake", model, method, {})
