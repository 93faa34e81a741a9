# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo.exceptions import AccessError
from odoo.tests import users

from .common import LeadManagementCommon


class TestAccess(LeadManagementCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.lead_of_other_rep = cls._create_leads(1, qualifier_id=cls.user_qualifier_2.id)
        cls.lead_handed_to_salesman = cls._create_leads(
            1, qualifier_id=cls.user_qualifier_2.id, user_id=cls.user_salesman.id)
        cls.lead_handed_to_salesman_2 = cls._create_leads(
            1, qualifier_id=cls.user_qualifier.id, user_id=cls.user_salesman_2.id)
        other_team = cls.env["crm.team"].create({"name": "Outbound"})
        cls.lead_other_team = cls._create_leads(1, team_id=other_team.id, qualifier_id=False,
                                                user_id=cls.user_sales_manager.id)

    def _visible(self, *leads):
        ids = [lead.id for lead in leads]
        return self.env["crm.lead"].search([("id", "in", ids)])

    @users("lm_qualifier")
    def test_qualifier(self):
        Lead = self.env["crm.lead"]
        # Own leads, also once handed off.
        Lead.browse(self.lead.id).write({"description": "Called"})
        Lead.browse(self.lead_handed_to_salesman_2.id).read(["name"])
        # Other reps' leads, handed off or not, and other teams' leads: forbidden.
        for lead in (self.lead_of_other_rep, self.lead_handed_to_salesman, self.lead_other_team):
            with self.subTest(lead=lead.name), self.assertRaises(AccessError):
                Lead.browse(lead.id).read(["name"])
        unowned = self._create_leads(1, qualifier_id=False)
        unowned.qualifier_id = False
        self.assertEqual(
            self._visible(self.lead, self.lead_of_other_rep, self.lead_handed_to_salesman,
                          self.lead_handed_to_salesman_2, self.lead_other_team, unowned),
            Lead.browse([self.lead.id, self.lead_handed_to_salesman_2.id, unowned.id]))
        # Configuration is read-only to them.
        self.assertTrue(self.env["lead.lifecycle.stage"].search([]))
        with self.assertRaises(AccessError):
            self.env["lead.lifecycle.stage"].create({"name": "Mine", "code": "mine"})
        with self.assertRaises(AccessError):
            self.env["lead.rejection.reason"].create({"name": "Mine"})
        with self.assertRaises(AccessError):
            self.env["lead.lifecycle.history"].create({"lead_id": self.lead.id, "to_stage_id": self._stage("lead").id})

    @users("lm_salesman")
    def test_salesman(self):
        Lead = self.env["crm.lead"]
        Lead.browse(self.lead_handed_to_salesman.id).write({"description": "Will call"})
        # Marketing's leads are not sales' until handed off, even without a salesperson.
        with self.assertRaises(AccessError):
            Lead.browse(self.lead.id).read(["name"])
        self.assertFalse(self.env["lead.lifecycle.history"].search([("lead_id", "=", self.lead.id)]))
        # crm's own rules for sales-side leads are unchanged: an opportunity without salesperson is visible.
        opportunity = self.env["crm.lead"].sudo().create({"name": "Open deal", "type": "opportunity",
                                                           "user_id": False, "team_id": self.team.id})
        self.assertEqual(Lead.search([("id", "=", opportunity.id)]), opportunity)
        with self.assertRaises(AccessError):
            Lead.browse(self.lead_handed_to_salesman_2.id).read(["name"])
        with self.assertRaises(AccessError):
            Lead.browse(self.lead_other_team.id).read(["name"])
        with self.assertRaises(AccessError):
            self.env["lead.lifecycle.stage"].browse(self._stage("lead").id).write({"name": "Mine"})
        self.assertTrue(Lead.browse(self.lead_handed_to_salesman.id).lifecycle_history_ids)

    @users("lm_manager")
    def test_lead_manager(self):
        Lead = self.env["crm.lead"]
        self.assertEqual(
            len(self._visible(self.lead, self.lead_of_other_rep, self.lead_handed_to_salesman,
                              self.lead_handed_to_salesman_2, self.lead_other_team)), 5)
        stage = self.env["lead.lifecycle.stage"].create({"name": "Engaged", "code": "engaged", "sequence": 25})
        stage.definition = "<p>Replied to a nurture e-mail.</p>"
        self.env["lead.rejection.reason"].create({"name": "Student"})
        Lead.browse(self.lead_other_team.id).write({"lifecycle_stage_id": stage.id})
        with self.assertRaises(AccessError):
            self.env["lead.lifecycle.history"].search([], limit=1).write({"reason": "rewritten"})

    def test_multi_company(self):
        company_2 = self.env["res.company"].create({"name": "Lead Co 2"})
        stage_2 = self.env["lead.lifecycle.stage"].create({"name": "Lead (Co 2)", "code": "lead",
                                                           "company_id": company_2.id})
        reason_2 = self.env["lead.rejection.reason"].create({"name": "Co 2 only", "company_id": company_2.id})
        lead_2 = self.env["crm.lead"].with_company(company_2).create(
            {"name": "Co 2 lead", "type": "lead", "company_id": company_2.id, "user_id": False})
        self.assertEqual(lead_2.lifecycle_stage_id.code, "target")
        lead_2.lifecycle_stage_id = self.env["lead.lifecycle.stage"]._get_by_code("lead", company_2)
        self.assertEqual(lead_2.lifecycle_stage_id, stage_2, "a company's own stage goes before the shared one")
        manager = self.user_lead_manager
        self.assertEqual(manager.company_ids, self.company)
        Stage = self.env["lead.lifecycle.stage"].with_user(manager)
        self.assertNotIn(stage_2, Stage.search([]))
        self.assertNotIn(reason_2, self.env["lead.rejection.reason"].with_user(manager).search([]))
        history = self.env["lead.lifecycle.history"].with_user(manager).search([("lead_id", "=", lead_2.id)])
        self.assertFalse(history)
