# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Every way a lead arrives with crm alone gets what a lead created in the form gets: a lifecycle stage,
an owner, a score. Website forms, events, lead mining and enrichment are tested in
test_lead_management_full, where those modules are installed."""
from odoo.tests import HttpCase, tagged

from odoo.addons.crm.tests.common import INCOMING_EMAIL
from odoo.addons.mail.tests.common import MailCommon

from .common import LeadManagementCommon


class EntryPointsCommon(LeadManagementCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["lead.scoring.rule"].create({"name": "Gave a phone", "domain": "[('phone', '!=', False)]",
                                             "points": 20})
        cls._rescore()

    def assertWelcomed(self, lead, score=20):
        """What a lead created in the UI gets: a first stage with its history row, a qualifying rep of its
        team, no salesperson yet, a score and a grade."""
        self.assertEqual(lead.lifecycle_stage_id, self._stage("target"))
        self.assertEqual(lead.lifecycle_history_ids.to_stage_id, self._stage("target"))
        self.assertIn(lead.qualifier_id, self.user_qualifier + self.user_qualifier_2)
        self.assertFalse(lead.user_id)
        self.assertEqual(lead.lead_score, score)
        self.assertEqual(lead.grade_id.name, "C" if score >= 15 else "D")


class TestMailAlias(EntryPointsCommon, MailCommon):

    def test_email_to_the_team_alias(self):
        self.team.alias_id.sudo().write({"alias_name": "inbound-leads"})
        lead = self.format_and_process(
            INCOMING_EMAIL, "prospect@customer.example.com", self.team.alias_email,
            subject="Quote for 30 seats, call me on +32 470 12 34 56", target_model="crm.lead")
        self.assertEqual(lead.team_id, self.team)
        lead.phone = "+32 470 12 34 56"  # as a rep does when reading it: the score follows
        self.assertWelcomed(lead)


class TestImport(EntryPointsCommon):

    def test_csv_import(self):
        csv = (b"name,contact_name,email_from,phone,type,team_id/id\n"
               b"Imported A,Ann,ann@import.example.com,+3222903490,lead,__import__.inbound\n"
               b"Imported B,Bob,bob@import.example.com,,lead,__import__.inbound\n")
        self.env["ir.model.data"].create({"module": "__import__", "name": "inbound", "model": "crm.team",
                                          "res_id": self.team.id})
        importer = self.env["base_import.import"].with_user(self.user_lead_manager).create(
            {"res_model": "crm.lead", "file": csv, "file_name": "leads.csv", "file_type": "text/csv"})
        result = importer.execute_import(
            ["name", "contact_name", "email_from", "phone", "type", "team_id/id"],
            ["name", "contact_name", "email_from", "phone", "type", "team_id/id"],
            {"quoting": '"', "separator": ",", "has_headers": True})
        self.assertFalse(result["messages"], result["messages"])
        a, b = self.env["crm.lead"].browse(result["ids"])
        self.assertWelcomed(a)
        self.assertWelcomed(b, score=0)

    def test_import_cannot_set_system_fields(self):
        csv = b"name,lead_score,handoff_state\nForged,99,accepted\n"
        importer = self.env["base_import.import"].with_user(self.user_lead_manager).create(
            {"res_model": "crm.lead", "file": csv, "file_name": "leads.csv", "file_type": "text/csv"})
        columns = ["name", "lead_score", "handoff_state"]
        result = importer.execute_import(columns, columns, {"quoting": '"', "separator": ",", "has_headers": True})
        self.assertTrue(result["messages"])
        self.assertFalse(self.env["crm.lead"].search([("name", "=", "Forged")]))


@tagged("post_install", "-at_install")
class TestRpc(HttpCase, EntryPointsCommon):

    def test_xmlrpc_and_jsonrpc_create(self):
        rpc_user = self.user_lead_manager
        rpc_user.password = "rpc-Secret-2026"
        db = self.env.cr.dbname
        uid = self.xmlrpc_common.authenticate(db, rpc_user.login, "rpc-Secret-2026", {})
        lead_id = self.xmlrpc_object.execute_kw(db, uid, "rpc-Secret-2026", "crm.lead", "create", [{
            "name": "From XML-RPC", "type": "lead", "user_id": False, "team_id": self.team.id,
            "phone": "+32 2 290 34 90"}])
        self.assertWelcomed(self.env["crm.lead"].browse(lead_id))
        self.authenticate(rpc_user.login, "rpc-Secret-2026")
        lead_id = self.make_jsonrpc_request("/web/dataset/call_kw/crm.lead/create", {
            "model": "crm.lead", "method": "create", "args": [{"name": "From JSON-RPC", "type": "lead",
                                                               "user_id": False, "team_id": self.team.id}],
            "kwargs": {"context": {"lead_management_no_assignment": True, "lead_management_scoring_off": True}},
        })
        self.assertWelcomed(self.env["crm.lead"].browse(lead_id), score=0)
