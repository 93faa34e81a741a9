# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, users

from .common import LeadManagementCommon

# Measured 301 (2026-11): ~90 for the hand-off itself, whatever the number of leads, plus Odoo's own
# mail tracking, which logs one message with its values per lead (2 queries each).
QUERIES_HANDOFF_100 = 310


class TestHandoff(LeadManagementCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.reason = cls.env.ref("lead_management.rejection_reason_not_ready")
        # Leads one can reach are a good fit: grade A, the grade sales takes.
        cls.env["lead.scoring.rule"].create({
            "name": "Reachable", "domain": "[('email_from', '!=', False)]", "points": 80})
        cls._rescore()

    def _handoff_activity(self, lead):
        # As superuser: activities are seen by those who may write the lead (the qualifying rep only reads it now).
        return lead.sudo().activity_ids.filtered(
            lambda activity: activity.activity_type_id == self.env.ref("lead_management.mail_activity_type_handoff"))

    @users("lm_qualifier")
    def test_handoff_to_salesperson(self):
        lead = self.env["crm.lead"].browse(self.lead.id)
        lead.lifecycle_stage_id = self._stage("qualified")
        self.assertEqual(lead.grade_id.name, "A")
        self.assertTrue(lead.is_sales_ready)
        action = lead.action_handoff_to_sales()
        self.assertEqual(action["params"]["type"], "success")
        self.assertIn(lead.user_id, self.user_salesman + self.user_salesman_2)
        self.assertTrue(lead.handoff_date)
        self.assertEqual(lead.handoff_state, "pending")
        self.assertFalse(lead.is_sales_ready)
        self.assertEqual(lead.qualifier_id, self.user_qualifier, "the qualifier keeps the lead in sight")
        activity = self._handoff_activity(lead)
        self.assertEqual(activity.user_id, lead.user_id)
        self.assertIn("Handed off to sales", lead.message_ids[0].body)
        with self.assertRaisesRegex(UserError, "already with sales"):
            lead.action_handoff_to_sales()

    def test_handoff_qualifies_an_earlier_lead(self):
        lead = self._create_leads(1, qualifier_id=self.user_qualifier.id)
        lead.with_user(self.user_qualifier).action_handoff_to_sales()
        self.assertEqual(lead.lifecycle_stage_id, self._stage("qualified"))

    def test_capacity_is_respected(self):
        # Daily quota: 60 / 30 = 2 leads per salesperson, 4 for the team.
        leads = self._create_leads(6)
        action = leads.with_user(self.user_lead_manager).action_handoff_to_sales()
        handed = leads.filtered("user_id")
        self.assertEqual(len(handed), 4)
        self.assertEqual(len(handed.filtered(lambda lead: lead.user_id == self.user_salesman)), 2)
        self.assertEqual(action["params"]["type"], "warning")
        self.assertIn("capacity", action["params"]["message"])
        stay = leads - handed
        self.assertFalse(any(stay.mapped("handoff_date")))
        self.assertTrue(all(stay.mapped("qualifier_id")))
        # Nothing left for anyone: the user is told why and nothing changes.
        with self.assertRaisesRegex(UserError, "no salesperson of team Inbound has capacity"):
            stay.with_user(self.user_lead_manager).action_handoff_to_sales()
        self.assertFalse(stay.filtered("user_id"))

    def test_member_domain_and_optout(self):
        self.team_member_salesman.assignment_optout = True
        self.team_member_salesman_2.assignment_domain = "[('country_id.code', '=', 'BE')]"
        be, fr = self._create_leads(2)
        be.country_id = self.env.ref("base.be")
        fr.country_id = self.env.ref("base.fr")
        (be + fr).with_user(self.user_lead_manager).action_handoff_to_sales()
        self.assertEqual(be.user_id, self.user_salesman_2)
        self.assertFalse(fr.user_id)

    def test_handoff_needs_contact_data(self):
        lead = self._create_leads(1, email_from=False, qualifier_id=self.user_qualifier.id)
        with self.assertRaisesRegex(UserError, "without a valid e-mail address or phone number"):
            lead.with_user(self.user_qualifier).action_handoff_to_sales()
        self.assertFalse(lead.handoff_date)

    def test_disqualified_never_goes_to_sales(self):
        lead = self._create_leads(1, lifecycle_stage_id=self._stage("disqualified").id,
                                  qualifier_id=self.user_qualifier.id)
        with self.assertRaisesRegex(UserError, "Disqualified"):
            lead.with_user(self.user_qualifier).action_handoff_to_sales()

    def test_salesperson_cannot_hand_off(self):
        with self.assertRaises(AccessError):
            self.lead.with_user(self.user_salesman).action_handoff_to_sales()

    def test_automatic_handoff_when_sales_ready(self):
        self._set_company(lead_auto_handoff=True)
        leads = self._create_leads(5)
        leads.sudo().write({"lifecycle_stage_id": self._stage("qualified").id})
        self.assertEqual(len(leads.filtered("user_id")), 4)
        stay = leads.filtered(lambda lead: not lead.user_id)
        self.assertIn("Not handed off automatically", stay.message_ids[0].body)
        # Off: qualifying does not hand off.
        self._set_company(lead_auto_handoff=False)
        other = self._create_leads(1)
        other.lifecycle_stage_id = self._stage("qualified")
        self.assertFalse(other.user_id)

    def test_accept(self):
        self.lead.with_user(self.user_qualifier).action_handoff_to_sales()
        salesman = self.lead.user_id
        self.lead.with_user(salesman).action_accept_handoff()
        self.assertEqual(self.lead.type, "opportunity")
        self.assertEqual(self.lead.lifecycle_stage_id, self._stage("prospect"))
        self.assertEqual(self.lead.handoff_state, "accepted")
        self.assertEqual(self.lead.user_id, salesman)
        self.assertEqual(self.lead.partner_id.commercial_company_name, "Acme Corp")
        self.assertFalse(self._handoff_activity(self.lead))
        self.assertEqual(self._last_move(self.lead).reason, "Accepted by sales")

    def test_reject(self):
        self.lead.with_user(self.user_qualifier).action_handoff_to_sales()
        salesman = self.lead.user_id
        action = self.lead.with_user(salesman).action_reject_handoff()
        wizard = Form(self.env[action["res_model"]].with_user(salesman).with_context(**action["context"]))
        wizard.rejection_reason_id = self.reason
        wizard.note = "Call again after their budget round in Q3"
        wizard.save().action_reject()
        self.assertEqual(self.lead.lifecycle_stage_id, self._stage("recycled"))
        self.assertFalse(self.lead.user_id)
        self.assertEqual(self.lead.qualifier_id, self.user_qualifier)
        self.assertEqual(self.lead.handoff_state, "rejected")
        self.assertEqual(self.lead.rejection_reason_id, self.reason)
        self.assertEqual(self.lead.recycle_count, 1)
        self.assertEqual(self.lead.handoff_user_id, salesman, "who rejected it stays known")
        self.assertTrue(self.lead.with_user(salesman).read(["name"]), "and can still read what they rejected")
        self.assertFalse(self._handoff_activity(self.lead))
        self.assertTrue(self.lead.activity_ids.filtered(lambda activity: activity.user_id == self.user_qualifier))
        self.assertIn("budget round", self.lead.message_ids[0].body)
        # Recycled leads can go round again.
        self.lead.with_user(self.user_qualifier).action_handoff_to_sales()
        self.assertEqual(self.lead.lifecycle_stage_id, self._stage("qualified"))
        self.lead.with_user(self.lead.user_id)._handoff_reject(self.reason)
        self.assertEqual(self.lead.recycle_count, 2)

    def test_reject_needs_a_reason_and_the_right_salesperson(self):
        self.lead.with_user(self.user_qualifier).action_handoff_to_sales()
        salesman = self.lead.user_id
        with self.assertRaisesRegex(UserError, "rejection reason"):
            self.lead.with_user(salesman)._handoff_reject(self.env["lead.rejection.reason"])
        # The qualifying rep still sees the lead, but the answer is sales'.
        with self.assertRaisesRegex(AccessError, "Only the salesperson who received a lead"):
            self.lead.with_user(self.user_qualifier)._handoff_reject(self.reason)
        other = (self.user_salesman + self.user_salesman_2) - salesman
        with self.assertRaises(AccessError):
            self.lead.with_user(other).read(["name"])
        self.assertEqual(self.lead.handoff_state, "pending")
        self.assertEqual(self.lead.user_id, salesman)

    def test_answer_only_pending(self):
        with self.assertRaisesRegex(UserError, "awaiting sales' answer"):
            self.lead.action_accept_handoff()
        self.lead.with_user(self.user_qualifier).action_handoff_to_sales()
        self.lead.action_archive()
        with self.assertRaisesRegex(UserError, "awaiting sales' answer"):
            self.lead.action_accept_handoff()

    def test_crm_settles_a_pending_handoff(self):
        lost, converted = self._create_leads(2)
        (lost + converted).with_user(self.user_lead_manager).action_handoff_to_sales()
        lost.with_user(self.user_lead_manager).action_set_lost()
        self.assertEqual(lost.handoff_state, "withdrawn", "marketing took it back")
        self.assertFalse(self._handoff_activity(lost.with_context(active_test=False)))
        converted.with_user(converted.user_id).convert_opportunity(converted.partner_id)
        self.assertEqual(converted.handoff_state, "accepted")
        self.assertEqual(converted.lifecycle_stage_id, self._stage("prospect"))

    def test_team_assignment_domain(self):
        self.team.assignment_domain = "[('country_id.code', '=', 'BE')]"
        be, fr = self._create_leads(2)
        be.country_id = self.env.ref("base.be")
        fr.country_id = self.env.ref("base.fr")
        be.with_user(self.user_lead_manager).action_handoff_to_sales()
        self.assertTrue(be.user_id)
        with self.assertRaisesRegex(UserError, "capacity"):
            fr.with_user(self.user_lead_manager).action_handoff_to_sales()

    def test_handoff_100_leads_query_count(self):
        (self.team_member_salesman + self.team_member_salesman_2).assignment_max = 3000
        leads = self._create_leads(100, qualifier_id=self.user_qualifier.id,
                                   lifecycle_stage_id=self._stage("qualified").id)
        self.env.flush_all()
        self.env.invalidate_all()
        leads = leads.with_user(self.user_qualifier).with_context(tracking_disable=False)
        # Assignment, activities and chatter notes are written in batch; no email per lead.
        with self.assertQueryCount(QUERIES_HANDOFF_100):
            leads.action_handoff_to_sales()
            self.env.flush_all()
            self.env.cr.precommit.run()
        self.assertEqual(len(leads.filtered("user_id")), 100)
        self.assertEqual(len(leads.sudo().activity_ids), 100)
        self.assertEqual(len(self.env["mail.tracking.value"].search([("mail_message_id.res_id", "in", leads.ids),
                                                                     ("mail_message_id.model", "=", "crm.lead")])),
                         100 * 3, "salesperson, hand-off date and hand-off state are tracked")
