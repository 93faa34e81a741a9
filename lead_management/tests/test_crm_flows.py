# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""crm's own flows keep working as crm users know them, the lifecycle following along."""
from odoo.tests import Form, users

from .common import LeadManagementCommon


class TestCrmMovesAreNeverRefused(LeadManagementCommon):
    """Winning, un-winning, losing, restoring, converting and merging, by a plain salesperson: crm lets them,
    so the lifecycle follows without a word. The guard on backward moves is for stages chosen by hand."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.won_stage = cls.env["crm.stage"].search([("is_won", "=", True)], limit=1)
        cls.first_stage = cls.env["crm.stage"].search([("is_won", "=", False)], limit=1)
        cls.deal, cls.deal_2 = cls.env["crm.lead"].create([{
            "name": name, "type": "opportunity", "user_id": cls.user_salesman.id, "team_id": cls.team.id,
            "email_from": "buyer@deal.example.com", "partner_name": "Deal Corp",
        } for name in ("Deal", "Deal (duplicate)")])

    @users("lm_salesman")
    def test_win_and_unwin(self):
        deal = self.env["crm.lead"].browse(self.deal.id)
        self.assertEqual(deal.lifecycle_code, "prospect")
        deal.action_set_won_rainbowman()
        self.assertEqual(deal.lifecycle_code, "customer")
        # Dragged back to an earlier pipeline stage: the deal reopened, it is a prospect again.
        deal.stage_id = self.first_stage
        self.assertEqual(deal.lifecycle_code, "prospect")
        self.assertEqual(self._last_move(deal).reason, "Reopened")
        self.assertEqual(self._last_move(deal).user_id, self.user_salesman)

    @users("lm_salesman")
    def test_lose_and_restore(self):
        deal = self.env["crm.lead"].browse(self.deal.id)
        wizard = Form(self.env["crm.lead.lost"].with_context(default_lead_ids=deal.ids))
        wizard.lost_reason_id = self.env["crm.lost.reason"].sudo().create({"name": "Went with a competitor"})
        wizard.save().action_lost_reason_apply()
        self.assertFalse(deal.active)
        self.assertEqual(deal.lifecycle_code, "recycled")
        deal.action_unarchive()
        self.assertTrue(deal.active)
        self.assertEqual(deal.lifecycle_code, "prospect")

    @users("lm_salesman")
    def test_won_then_lost_then_restored(self):
        deal = self.env["crm.lead"].browse(self.deal.id)
        deal.action_set_won()
        deal.action_set_lost()
        self.assertEqual(deal.lifecycle_code, "recycled")
        deal.toggle_active()
        self.assertEqual(deal.lifecycle_code, "prospect")

    @users("lm_salesman")
    def test_convert_own_lead(self):
        lead = self.env["crm.lead"].create({"name": "My own lead", "type": "lead", "partner_name": "Own Co",
                                            "email_from": "own@own.example.com"})
        self.assertEqual(lead.user_id, self.user_salesman)
        wizard = Form(self.env["crm.lead2opportunity.partner"].with_context(
            active_model="crm.lead", active_id=lead.id, active_ids=lead.ids))
        wizard.name = "convert"
        wizard.action = "create"
        wizard.save().action_apply()
        self.assertEqual(lead.type, "opportunity")
        self.assertEqual(lead.lifecycle_code, "prospect")

    @users("lm_salesman")
    def test_merge(self):
        deals = self.env["crm.lead"].browse((self.deal + self.deal_2).ids)
        wizard = Form(self.env["crm.merge.opportunity"].with_context(active_model="crm.lead", active_ids=deals.ids))
        merged = wizard.save().action_merge()
        master = self.env["crm.lead"].browse(merged["res_id"])
        self.assertTrue(master.exists())
        self.assertEqual(len((self.deal + self.deal_2).exists()), 1)
        self.assertIn(master.lifecycle_code, ("prospect", "customer"))

    def test_merge_keeps_history_and_events(self):
        lead_a, lead_b = self._create_leads(2, email_from="same@merge.example.com")
        self.env["lead.engagement.event"]._record_events([
            {"lead_id": lead_a.id, "type": "form_fill"}, {"lead_id": lead_b.id, "type": "download"}])
        events = (lead_a + lead_b).engagement_event_ids
        history = (lead_a + lead_b).lifecycle_history_ids
        master = (lead_a + lead_b).merge_opportunity(auto_unlink=True)
        self.assertEqual(master.engagement_event_ids, events)
        self.assertEqual(master.lifecycle_history_ids, history)
        self.assertGreater(master.engagement_score, 0)


class TestOneAssignmentStory(LeadManagementCommon):
    """crm's rule-based assignment and the hand-off are one story: in a team with qualifying reps crm's
    assignment hands off only sales-ready leads; a team without them works as in plain crm."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["lead.scoring.rule"].create({"name": "Sales-ready", "domain": "[('description', 'ilike', 'ready')]",
                                             "points": 80})
        cls._rescore()
        # Only walk-ins: the database may hold other unassigned (demo) leads.
        cls.direct_team = cls.env["crm.team"].create({"name": "Direct", "use_leads": True, "use_opportunities": True,
                                                      "assignment_domain": "[('email_from', 'ilike', 'walkin')]"})
        cls.env["crm.team.member"].create({"crm_team_id": cls.direct_team.id, "user_id": cls.user_salesman_2.id,
                                           "assignment_max": 30})

    def _assign(self, teams):
        teams.with_user(self.user_sales_manager)._action_assign_leads(force_quota=False, creation_delta_days=0)

    def test_team_without_qualifying_reps_keeps_crm_behaviour(self):
        self.assertFalse(self.direct_team.use_qualification)
        lead = self.env["crm.lead"].create({"name": "Walk-in", "type": "lead", "team_id": self.direct_team.id,
                                            "user_id": False, "email_from": "walkin@example.com"})
        self.assertFalse(lead.qualifier_id, "no qualifying rep in this team: nobody qualifies it")
        self.assertFalse(lead.is_unowned)
        # crm's rule: an unassigned lead is visible to the salespeople.
        self.assertEqual(self.env["crm.lead"].with_user(self.user_salesman).search([("id", "=", lead.id)]), lead)
        self._assign(self.direct_team)
        self.assertEqual(lead.user_id, self.user_salesman_2)
        self.assertEqual(lead.type, "opportunity", "crm converts what it assigns")
        self.assertEqual(lead.lifecycle_code, "prospect")
        self.assertFalse(lead.handoff_state)

    def test_team_with_qualifying_reps_hands_off_sales_ready_leads(self):
        self.assertTrue(self.team.use_qualification)
        ready, not_ready = self._create_leads(2)
        ready.write({"description": "ready to buy", "lifecycle_stage_id": self._stage("qualified").id})
        not_ready.lifecycle_stage_id = self._stage("qualified")
        self.assertTrue(ready.is_sales_ready)
        self.assertFalse(not_ready.is_sales_ready, "grade D: nurtured by marketing")
        self._assign(self.team)
        self.assertIn(ready.user_id, self.user_salesman + self.user_salesman_2)
        self.assertEqual(ready.handoff_state, "pending")
        self.assertTrue(ready.handoff_date)
        self.assertEqual(ready.type, "lead", "an opportunity once the salesperson accepts it")
        self.assertTrue(ready.activity_ids.filtered(lambda act: act.user_id == ready.user_id))
        self.assertFalse(not_ready.user_id)
        self.assertEqual(not_ready.qualifier_id.login in ("lm_qualifier", "lm_qualifier_2"), True)
        # The answer works as for any hand-off.
        ready.with_user(ready.user_id).action_accept_handoff()
        self.assertEqual(ready.lifecycle_code, "prospect")

    def test_quotas_count_both_kinds_of_assignment_once(self):
        """60 a month is 2 a day: a hand-off by hand and crm's assignment share them."""
        self.team_member_salesman_2.assignment_optout = True
        leads = self._create_leads(4, description="ready", lifecycle_stage_id=self._stage("qualified").id)
        leads[0].with_user(self.user_lead_manager).action_handoff_to_sales()
        self.assertEqual(leads[0].user_id, self.user_salesman)
        self.team_member_salesman.invalidate_recordset(["lead_day_count"])
        self.assertEqual(self.team_member_salesman.lead_day_count, 1, "crm counts the hand-off")
        self._assign(self.team)
        self.assertEqual(len(leads.filtered(lambda lead: lead.user_id == self.user_salesman)), 2)
        self.assertEqual(len(leads.filtered("user_id")), 2)
