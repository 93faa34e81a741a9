# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from datetime import datetime

from odoo.exceptions import UserError

from odoo.addons.mail.tests.common import mail_new_test_user

from .common import LeadManagementCommon


class TestMultiCompany(LeadManagementCommon):
    """Two companies in one database: each has its own settings, stages, grades and day."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_2 = cls.env["res.company"].create({"name": "Lead Co 2"})
        cls.team_2 = cls.env["crm.team"].create({"name": "Inbound Co 2", "company_id": cls.company_2.id,
                                                 "use_leads": True})
        cls.user_lead_manager.company_ids |= cls.company_2
        cls.rep_2 = mail_new_test_user(
            cls.env, login="lm_rep_co2", name="Rita Rep Co2", company_id=cls.company_2.id,
            company_ids=[(6, 0, cls.company_2.ids)],
            groups="sales_team.group_sale_salesman,crm.group_use_lead,lead_management.group_lead_qualifier")
        cls.salesman_2 = mail_new_test_user(
            cls.env, login="lm_salesman_co2", name="Sol Salesman Co2", company_id=cls.company_2.id,
            company_ids=[(6, 0, cls.company_2.ids)], groups="sales_team.group_sale_salesman,crm.group_use_lead")
        cls.env["crm.team.member"].create([
            {"crm_team_id": cls.team_2.id, "user_id": cls.rep_2.id},
            {"crm_team_id": cls.team_2.id, "user_id": cls.salesman_2.id, "assignment_max": 300},
        ])
        cls.Lead2 = cls.env["crm.lead"].with_company(cls.company_2)

    def _create_lead_2(self, **values):
        return self.Lead2.create({"name": "Co 2 lead", "type": "lead", "company_id": self.company_2.id,
                                  "team_id": self.team_2.id, "user_id": False,
                                  "email_from": f"x{next(self._contacts)}@co2.example.com", **values})

    def test_company_is_checked_on_stage_and_reason(self):
        stage_2 = self.env["lead.lifecycle.stage"].create({"name": "Suspect (Co 2)", "code": "suspect",
                                                           "sequence": 20, "company_id": self.company_2.id})
        reason_2 = self.env["lead.rejection.reason"].create({"name": "Co 2 only", "company_id": self.company_2.id})
        with self.assertRaisesRegex(UserError, "Incompatible companies"):
            self.lead.lifecycle_stage_id = stage_2
        with self.assertRaisesRegex(UserError, "Incompatible companies"):
            self._create_leads(1, lifecycle_stage_id=stage_2.id)
        self.lead.with_user(self.user_qualifier).action_handoff_to_sales()
        with self.assertRaisesRegex(UserError, "belongs to Lead Co 2"):
            self.lead.with_user(self.lead.user_id)._handoff_reject(reason_2)
        self.assertEqual(self.lead.handoff_state, "pending")
        # A company's own stage goes before the shared one of the same code.
        lead_2 = self._create_lead_2()
        lead_2.lifecycle_stage_id = self.env["lead.lifecycle.stage"]._get_by_code("suspect", self.company_2)
        self.assertEqual(lead_2.lifecycle_stage_id, stage_2)

    def test_settings_are_per_company(self):
        self.company_2.write({"lead_auto_handoff": True, "lead_qualifier_cap": 1,
                              "lead_lost_stage_id": self._stage("disqualified").id})
        self.assertFalse(self.company.lead_auto_handoff)
        self.env["lead.scoring.rule"].create({"name": "Reachable", "domain": "[('email_from', '!=', False)]",
                                              "points": 80})
        self._rescore()
        # Automatic hand-off: company 2 only.
        lead_1 = self._create_leads(1, qualifier_id=self.user_qualifier.id)
        lead_2 = self._create_lead_2(qualifier_id=self.rep_2.id)
        (lead_1 + lead_2).sudo()._lifecycle_move(self._stage("qualified"), "Qualified by phone")
        self.assertFalse(lead_1.user_id)
        self.assertEqual(lead_2.user_id, self.salesman_2)
        self.assertEqual(lead_2.handoff_state, "pending")
        # Cap: company 2's reps take 1 open lead; company 1 has the default 50.
        lead_2.action_set_lost()
        first, second = self._create_lead_2(), self._create_lead_2()
        self.assertEqual(first.qualifier_id, self.rep_2)
        self.assertFalse(second.qualifier_id, "company 2's cap of 1 reached")
        # Lost leads: company 2 disqualifies them, company 1 recycles them.
        lost_1, lost_2 = self._create_leads(1), self._create_lead_2()
        (lost_1 + lost_2).action_set_lost()
        self.assertEqual(lost_1.lifecycle_stage_id, self._stage("recycled"))
        self.assertEqual(lost_2.lifecycle_stage_id, self._stage("disqualified"))
        # Settings show and write the current company's values.
        settings = self.env["res.config.settings"].with_company(self.company_2).create({})
        self.assertTrue(settings.lead_management_auto_handoff)
        self.assertEqual(settings.lead_management_qualifier_cap, 1)

    def test_lost_reason_stage_follows_the_company(self):
        disqualified_2 = self.env["lead.lifecycle.stage"].create({
            "name": "Disqualified (Co 2)", "code": "disqualified", "sequence": 80, "is_side_exit": True,
            "company_id": self.company_2.id})
        spam = self.env["crm.lost.reason"].create(
            {"name": "Spam", "lifecycle_stage_id": self._stage("disqualified").id})
        lead_1, lead_2 = self._create_leads(1), self._create_lead_2()
        lead_1.action_set_lost(lost_reason_id=spam.id)
        lead_2.action_set_lost(lost_reason_id=spam.id)
        self.assertEqual(lead_1.lifecycle_stage_id, self._stage("disqualified"))
        self.assertEqual(lead_2.lifecycle_stage_id, disqualified_2)

    def test_grades_per_company(self):
        """Company 2 grades on its own scale; company 1 keeps the shared A–D. Rescore and preview agree."""
        self.env["lead.scoring.rule"].create({"name": "Reachable", "domain": "[('email_from', '!=', False)]",
                                              "points": 25})
        self._rescore()
        lead_1, lead_2 = self._create_leads(1), self._create_lead_2()
        self.assertEqual((lead_1.grade_id.name, lead_2.grade_id.name), ("C", "C"))
        self.env["lead.grade"].create([
            {"name": "Hot", "min_score": 20, "disposition": "handoff", "company_id": self.company_2.id},
            {"name": "Cold", "min_score": 0, "disposition": "nurture", "company_id": self.company_2.id},
        ])
        self.user_lead_manager.company_ids |= self.company_2
        manager = self.env["crm.lead"].with_user(self.user_lead_manager).with_context(
            allowed_company_ids=(self.company + self.company_2).ids)
        readable = manager.search([("probability", "<", 100)])
        before = {lead: lead.grade_id.name for lead in readable}
        preview = manager._scoring_preview()
        self.assertEqual(preview.get(("C", "Hot")), 1)
        self._rescore()
        self.assertEqual(lead_1.grade_id.name, "C")
        self.assertEqual(lead_2.grade_id.name, "Hot")
        self.assertEqual(lead_2.grade_id.company_id, self.company_2)
        actual = {}
        for lead in readable:
            actual[before[lead], lead.grade_id.name] = actual.get((before[lead], lead.grade_id.name), 0) + 1
        self.assertEqual(preview, actual)

    def test_daily_cap_counts_days_in_the_company_time_zone(self):
        """Two clicks at 10:00 and 14:00 UTC: one day in Brussels (capped at 30), two days in Auckland
        (23:00 and 03:00 the next day local time: 20 + 20)."""
        self.company.resource_calendar_id.tz = "Europe/Brussels"
        calendar_2 = self.env["resource.calendar"].create({"name": "Auckland", "tz": "Pacific/Auckland",
                                                            "company_id": self.company_2.id})
        self.company_2.resource_calendar_id = calendar_2
        self.env["lead.engagement.type"].create({"name": "Click", "code": "mc_click", "points": 20,
                                                 "half_life": 10000, "daily_cap": 30})
        with self.frozen_at("2026-03-01 20:00:00"):
            lead_1, lead_2 = self._create_leads(1), self._create_lead_2()
            self.env["lead.engagement.event"]._record_events([
                {"lead_id": lead.id, "type": "mc_click", "date": datetime(2026, 3, 1, hour)}
                for lead in (lead_1, lead_2) for hour in (10, 14)])
            self.assertAlmostEqual(lead_1.engagement_score, 30.0, places=1)
            self.assertAlmostEqual(lead_2.engagement_score, 40.0, places=1)
