# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""An intake key opens the intake API only, and the intake API takes intake keys only (finding 4 of issue 17):
through XML-RPC, JSON-RPC and the web login, as a marketing tool holding the key would try them."""
import json
import xmlrpc.client

from odoo.tests import tagged
from odoo.tools import mute_logger

from odoo.addons.lead_management_api.models.res_users_apikeys import INTAKE_SCOPE

from .common import IntakeCase, migration


class RpcError(Exception):
    """A JSON-RPC error answer: its message and the exception's name."""


class RpcMixin:

    def _jsonrpc(self, route, params):
        """The JSON-RPC answer (result or error) of ``params`` posted to ``route``."""
        response = self.url_open(route, data=json.dumps({"jsonrpc": "2.0", "method": "call", "id": 1,
                                                         "params": params}),
                                 headers={"Content-Type": "application/json"})
        self.assertEqual(response.status_code, 200, response.text)
        return response.json()

    def _partners_over_jsonrpc(self, user, key):
        return self._jsonrpc("/jsonrpc", {"service": "object", "method": "execute_kw", "args": [
            self.env.cr.dbname, user.id, key, "res.partner", "search_read", [[]], {"fields": ["name"], "limit": 5}]})

    def _partners_over_xmlrpc(self, user, key):
        return self.xmlrpc_object.execute_kw(self.env.cr.dbname, user.id, key, "res.partner", "search_read", [[]],
                                             {"fields": ["name"], "limit": 5})

    def _assert_rpc_refuses(self, user, key):
        with mute_logger("odoo.http", "odoo.addons.base.models.res_users"):
            answer = self._partners_over_jsonrpc(user, key)
            self.assertNotIn("result", answer, "JSON-RPC execute_kw must refuse the key")
            self.assertIn("AccessDenied", json.dumps(answer["error"]))
            with self.assertRaises(xmlrpc.client.Fault, msg="XML-RPC execute_kw must refuse the key") as fault:
                self._partners_over_xmlrpc(user, key)
            self.assertIn("Access Denied", fault.exception.faultString)
            self.assertFalse(self.xmlrpc_common.authenticate(self.env.cr.dbname, user.login, key, {}))
            answer = self._jsonrpc("/web/session/authenticate", {
                "db": self.env.cr.dbname, "login": user.login, "password": key})
            self.assertNotIn("result", answer, "the web login must refuse the key")


@tagged("post_install", "-at_install")
class TestIntakeKeys(RpcMixin, IntakeCase):

    def test_an_intake_key_opens_the_intake_api_only(self):
        self.assertEqual(self.post("/leads", self.lead_body("scoped-1")).status_code, 201)
        self._assert_rpc_refuses(self.user_intake, self.key)

    def test_an_ordinary_key_is_refused_by_the_intake_api(self):
        for scope in (None, "rpc", "odoo.plugin.outlook"):
            with self.subTest(scope=scope):
                key = self._api_key(self.user_intake, scope=scope)
                response = self.post("/leads", self.lead_body("ordinary"), key=key)
                self.assertEqual(response.status_code, 401, response.text)
                self.assertIn("not an intake key", response.json()["errors"]["authorization"])
        # The same kind of key is a valid login for RPC: the intake API refuses it for what it is.
        key = self._api_key(self.user_intake, scope=None)
        self.assertTrue(self._partners_over_jsonrpc(self.user_intake, key)["result"])
        self.assertFalse(self.env["lead.intake.reference"].search([("external_id", "=", "ordinary")]))

    def test_the_demo_key_is_an_intake_key(self):
        self.env["res.users.apikeys"]._lead_intake_demo_key(self.user_intake.login, "lm-test-demo-key-0123456789",
                                                           "Test demo tool")
        key = self.env["res.users.apikeys"].search([("user_id", "=", self.user_intake.id),
                                                    ("name", "=", "Test demo tool")])
        self.assertEqual(key.scope, INTAKE_SCOPE)
        self.assertEqual(self.post("/leads", self.lead_body("demo-1"), key="lm-test-demo-key-0123456789").status_code,
                         201)
        self._assert_rpc_refuses(self.user_intake, "lm-test-demo-key-0123456789")

    def test_migration_makes_the_intake_users_keys_intake_keys(self):
        """18.0.1.1.0: the keys intake users had (made with core's New API Key, as the README said) read every
        partner over JSON-RPC; after the migration they open the intake API only. Other users' keys stay."""
        old_key = self._api_key(self.user_intake, scope=None)
        sales_key = self._api_key(self.user_salesman, scope=None)
        self.assertTrue(self._partners_over_jsonrpc(self.user_intake, old_key)["result"], "a full login before")
        migration("lead_management_api", "18.0.1.1.0", "post-migrate.py")(self.env.cr, "18.0.1.0.0")
        self.env["res.users.apikeys"].invalidate_model()
        self.assertEqual(self.post("/leads", self.lead_body("migrated-1"), key=old_key).status_code, 201)
        self._assert_rpc_refuses(self.user_intake, old_key)
        self.assertTrue(self._partners_over_jsonrpc(self.user_salesman, sales_key)["result"])


@tagged("post_install", "-at_install")
class TestNewIntakeKeyButton(RpcMixin, IntakeCase):
    """The administrator's way to a key, as Odoo makes keys: a button, the identity check, core's key wizard
    (name, duration), the key shown once. Through the web client's own routes."""

    def _call(self, model, method, args, kwargs=None, button=False):
        route = "/web/dataset/call_button" if button else "/web/dataset/call_kw"
        answer = self._jsonrpc(route, {"model": model, "method": method, "args": args, "kwargs": kwargs or {}})
        if "error" in answer:
            raise RpcError(answer["error"]["data"]["message"], answer["error"]["data"]["name"])
        return answer["result"]

    def _save(self, model, values, context):
        """A new record of the wizard, saved as the web client saves it (in the action's context)."""
        [record] = self._call(model, "web_save", [[], values], {"specification": {}, "context": context})
        return record["id"]

    def _button(self, model, method, record_id, password):
        """Click ``method`` on ``record_id``, confirming the password when Odoo asks for it."""
        action = self._call(model, method, [[record_id]], button=True)
        if action.get("res_model") == "res.users.identitycheck":
            self._call("res.users.identitycheck", "write", [[action["res_id"]], {"password": password}])
            action = self._call("res.users.identitycheck", "run_check", [[action["res_id"]]], button=True)
        return action

    def _make_key(self, user, password, name):
        """Through the button on ``user``'s form: (the wizard's action, the key shown)."""
        action = self._button("res.users", "action_new_lead_intake_key", user.id, password)
        self.assertEqual(action["res_model"], "res.users.apikeys.description")
        description_id = self._save("res.users.apikeys.description", {"name": name}, action["context"])
        shown = self._button("res.users.apikeys.description", "make_lead_intake_key", description_id, password)
        self.assertEqual(shown["res_model"], "res.users.apikeys.show")
        return action, shown["context"]["default_key"]

    def test_an_administrator_makes_an_intake_key_for_an_intake_user(self):
        self.authenticate("admin", "admin")
        action, key = self._make_key(self.user_intake, "admin", "Marketing automation")
        self.assertEqual(action["context"]["default_lead_intake_user_id"], self.user_intake.id)
        made = self.env["res.users.apikeys"].search([("name", "=", "Marketing automation")])
        self.assertEqual((made.user_id, made.scope), (self.user_intake, INTAKE_SCOPE))
        self.assertEqual(self.post("/leads", self.lead_body("button-1"), key=key).status_code, 201)
        self._assert_rpc_refuses(self.user_intake, key)
        self.assertFalse(self.env["res.users.apikeys.description"].search([("name", "=", "Marketing automation")]),
                         "the wizard is gone: the key is shown once")

    def test_an_intake_user_makes_its_own_key(self):
        self.authenticate(self.user_intake.login, self.user_intake.login)
        _action, key = self._make_key(self.user_intake, self.user_intake.login, "My own tool")
        self.assertEqual(self.post("/leads", self.lead_body("own-1"), key=key).status_code, 201)

    def test_only_for_intake_users_and_by_administrators(self):
        # A salesperson makes no key for the intake user, and nobody makes an intake key for a user outside the
        # group.
        self.authenticate(self.user_salesman.login, self.user_salesman.login)
        with mute_logger("odoo.http"), self.assertRaisesRegex(RpcError, "Only an administrator"):
            self._button("res.users", "action_new_lead_intake_key", self.user_intake.id, self.user_salesman.login)
        self.authenticate("admin", "admin")
        action = self._button("res.users", "action_new_lead_intake_key", self.user_salesman.id, "admin")
        description_id = self._save("res.users.apikeys.description", {"name": "Not intake"}, action["context"])
        with mute_logger("odoo.http"), self.assertRaisesRegex(RpcError, "Lead Intake"):
            self._button("res.users.apikeys.description", "make_lead_intake_key", description_id, "admin")
        self.assertFalse(self.env["res.users.apikeys"].search([("name", "=", "Not intake")]))
