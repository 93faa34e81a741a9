# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo.exceptions import AccessError
from odoo.tests import Form, users

from .common import LeadManagementCommon


class TestOwnership(LeadManagementCommon):

    def test_round_robin_among_team_qualifiers(self):
        leads = self._create_leads(5)
        self.assertEqual(leads.qualifier_id, self.user_qualifier + self.user_qualifier_2)
        # user_qualifier already owned cls.lead: the other rep catches up first, then they alternate.
        self.assertEqual(leads[0].qualifier_id, self.user_qualifier_2)
        self.assertEqual([lead.qualifier_id.login for lead in leads],
                         ["lm_qualifier_2", "lm_qualifier", "lm_qualifier_2", "lm_qualifier", "lm_qualifier_2"])
        self.assertFalse(leads.user_id, "marketing owns new leads: no salesperson yet")
        self.assertFalse(leads.filtered("is_unowned"))

    def test_cap_of_open_leads(self):
        self._set_company(lead_qualifier_cap=2)
        leads = self._create_leads(5)
        # user_qualifier owns cls.lead already: 1 more for them, 2 for the other rep, 2 left unowned.
        self.assertEqual(len(leads.filtered(lambda lead: lead.qualifier_id == self.user_qualifier)), 1)
        self.assertEqual(len(leads.filtered(lambda lead: lead.qualifier_id == self.user_qualifier_2)), 2)
        unowned = leads.filtered("is_unowned")
        self.assertEqual(len(unowned), 2)
        self.assertEqual(self.env["crm.lead"].search([("is_unowned", "=", True), ("id", "in", leads.ids)]), unowned)
        self.assertEqual(self.env["crm.lead"].search([("is_unowned", "=", False), ("id", "in", leads.ids)]),
                         leads - unowned)
        # Room frees up, the scheduled assignment picks the rest up.
        self._set_company(lead_qualifier_cap=10)
        self.env["crm.lead"]._cron_assign_qualifiers()
        self.assertFalse(leads.filtered("is_unowned"))

    def test_no_cap(self):
        self.env["res.config.settings"].create({"lead_management_qualifier_cap": 0}).execute()
        self.assertEqual(self.company.lead_qualifier_cap, 0)
        leads = self._create_leads(60)
        self.assertFalse(leads.filtered("is_unowned"))

    def test_opportunities_and_managers_get_no_qualifier(self):
        opportunity = self.env["crm.lead"].create({"name": "Deal", "type": "opportunity", "user_id": False,
                                                   "team_id": self.team.id})
        self.assertFalse(opportunity.qualifier_id)
        self.assertFalse(opportunity.is_unowned)
        self.env["crm.team.member"].create({"crm_team_id": self.team.id, "user_id": self.user_lead_manager.id})
        leads = self._create_leads(6)
        self.assertNotIn(self.user_lead_manager, leads.qualifier_id)

    def test_lead_without_team_goes_to_any_qualifier(self):
        lead = self.env["crm.lead"].create({"name": "Teamless", "type": "lead", "user_id": False, "team_id": False})
        self.assertTrue(lead.qualifier_id.has_group("lead_management.group_lead_qualifier"))

    def test_import_without_owner_is_picked_up(self):
        # Arrived in SQL (a data migration, another tool): nobody gave it an owner.
        lead = self.env["crm.lead"].create({"name": "Imported", "type": "lead", "user_id": False,
                                            "team_id": self.team.id})
        self.env.cr.execute("UPDATE crm_lead SET qualifier_id = NULL WHERE id = %s", (lead.id,))
        lead.invalidate_recordset()
        self.assertTrue(lead.is_unowned)
        self.env["crm.lead"]._cron_assign_qualifiers()
        self.assertIn(lead.qualifier_id, self.user_qualifier + self.user_qualifier_2)

    def test_manual_assignment(self):
        self._set_company(lead_qualifier_cap=1)  # both reps are full: the lead arrives without owner
        self._create_leads(1)
        lead = self.env["crm.lead"].create({"name": "By hand", "type": "lead", "user_id": False,
                                            "team_id": self.team.id})
        self.assertTrue(lead.is_unowned)
        self._set_company(lead_qualifier_cap=0)
        with self.assertRaises(AccessError):
            lead.with_user(self.user_qualifier).action_assign_qualifier()
        action = lead.with_user(self.user_lead_manager).action_assign_qualifier()
        self.assertEqual(action["params"]["type"], "success")
        self.assertTrue(lead.qualifier_id)
        lead.qualifier_id = self.user_qualifier_2
        self.assertEqual(lead.qualifier_id, self.user_qualifier_2)

    @users("lm_qualifier")
    def test_lead_created_by_qualifier_is_theirs(self):
        form = Form(self.env["crm.lead"].with_context(default_type="lead"))
        form.name = "Met at the fair"
        form.email_from = "visitor@example.com"
        lead = form.save()
        self.assertEqual(lead.qualifier_id, self.user_qualifier)
        self.assertFalse(lead.user_id)
