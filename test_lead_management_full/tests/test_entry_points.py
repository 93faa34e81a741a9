# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import re

from odoo.tests import HttpCase, RecordCapturer, tagged, users

from odoo.addons.crm_iap_mine.tests.common import MockIAPReveal
from odoo.addons.event.tests.common import EventCase
from odoo.addons.iap.tests.common import MockIAPEnrich
from odoo.addons.lead_management.tests.common import LeadManagementCommon


class FullCommon(LeadManagementCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["lead.scoring.rule"].create([
            {"name": "Gave a phone", "domain": "[('phone', '!=', False)]", "points": 20},
            {"name": "German market", "domain": "[('country_id.code', '=', 'DE')]", "points": 25},
        ])
        cls._rescore()

    def assertWelcomed(self, leads, score=None):
        """What a lead created in the UI gets: a first stage with its history row, a qualifying rep of its
        team, no salesperson yet, a score and a grade."""
        self.assertTrue(leads)
        for lead in leads:
            with self.subTest(lead=lead.name):
                self.assertEqual(lead.lifecycle_side, "marketing")
                self.assertTrue(lead.lifecycle_history_ids.filtered(lambda row: not row.from_stage_id))
                self.assertIn(lead.qualifier_id, self.user_qualifier + self.user_qualifier_2)
                self.assertFalse(lead.user_id)
                self.assertTrue(lead.grade_id)
                if score is not None:
                    self.assertEqual(lead.lead_score, score)


@tagged("post_install", "-at_install")
class TestWebsiteForm(HttpCase, FullCommon):

    def _post_contact_form(self, **fields):
        html = self.url_open("/contactus").text
        csrf = re.search(r'csrf_token"?\s*:\s*"([^"]+)"', html).group(1)
        response = self.url_open("/website/form/crm.lead", data=dict(fields, csrf_token=csrf))
        self.assertEqual(response.status_code, 200, response.text[:500])

    def test_public_contact_form(self):
        self.env["website"].search([]).write({"crm_default_team_id": self.team.id, "crm_default_user_id": False})
        with RecordCapturer(self.env["crm.lead"], []) as capture:
            self._post_contact_form(contact_name="Wendy Web", email_from="wendy@web.example.com",
                                    phone="+32 485 11 82 18", partner_name="Web Co", name="Pricing question",
                                    description="How much for 20 seats?")
        lead = capture.records
        self.assertEqual(len(lead), 1)
        self.assertEqual(lead.type, "lead", "crm's Leads option is on: forms create leads, not opportunities")
        self.assertEqual(lead.team_id, self.team)
        self.assertWelcomed(lead, score=20)


class TestEventRegistration(FullCommon, EventCase):

    def test_registration_creates_a_welcomed_lead(self):
        self.env["event.lead.rule"].search([]).active = False
        self.env["event.lead.rule"].create({
            "name": "Every attendee", "lead_creation_basis": "attendee", "lead_creation_trigger": "create",
            "lead_type": "lead", "lead_sales_team_id": self.team.id, "lead_user_id": False,
        })
        event = self.env["event.event"].create({"name": "Lead Summit", "date_begin": "2026-12-01 09:00:00",
                                                "date_end": "2026-12-01 17:00:00"})
        self.env["event.registration"].create([
            {"event_id": event.id, "name": "Erin Event", "email": "erin@event.example.com", "phone": "+32470000001"},
            {"event_id": event.id, "name": "Ezra Event", "email": "ezra@event.example.com"},
        ])
        leads = event.registration_ids.lead_ids
        self.assertEqual(len(leads), 2)
        self.assertWelcomed(leads)
        self.assertEqual(sorted(leads.mapped("lead_score")), [0, 20])


class TestLeadMining(FullCommon, MockIAPReveal):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.registry.enter_test_mode(cls.cr)
        cls.request = cls.env["crm.iap.lead.mining.request"].create({
            "name": "Mine", "lead_number": 3, "lead_type": "lead", "search_type": "companies",
            "team_id": cls.team.id, "user_id": False,
        })

    @classmethod
    def tearDownClass(cls):
        cls.registry.leave_test_mode()
        super().tearDownClass()

    def test_mined_leads_are_welcomed(self):
        with self.mock_IAP_mine(self.request, name_list=["Heinrich", "Rivil", "LidGen"]):
            self.request.action_submit()
        self.assertEqual(len(self._new_leads), 3)
        self.assertWelcomed(self._new_leads)
        # Mined with a phone in Germany: both rules give their points.
        self.assertEqual(set(self._new_leads.mapped("lead_score")), {45})


class TestEnrichment(FullCommon, MockIAPEnrich):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.registry.enter_test_mode(cls.cr)

    @classmethod
    def tearDownClass(cls):
        cls.registry.leave_test_mode()
        super().tearDownClass()

    @users("lm_manager")
    def test_enrichment_rescores(self):
        lead = self._create_leads(1, email_from="enrich@enrich-me.example.com")
        lead = self.env["crm.lead"].browse(lead.ids)
        self.assertEqual(lead.lead_score, 0)
        with self.mockIAPEnrichGateway(default_data={"country_code": "DE"}):
            lead.iap_enrich()
        self.assertEqual(lead.country_id.code, "DE")
        self.assertTrue(lead.phone)
        self.assertEqual(lead.lead_score, 45, "enrichment is a write like any other: the score follows")
