# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The follow-up figures are made only by what they measure (issue 17): a hand-off is answered only by the
salesperson it went to or a sales manager, whatever the path; a salesperson's SLA clock is met only by their own
touch; dropping a hand-off is "not answered", never "withdrawn"; access ends when ownership ends; merges keep
the record. Each test failed on 0860ba2."""
from odoo import SUPERUSER_ID
from odoo.exceptions import AccessError, UserError

from odoo.addons.mail.tests.common import mail_new_test_user

from .test_sla import SlaCommon


class FollowupCommon(SlaCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # One salesperson with room: the tests know who answers.
        cls.team_member_salesman_2.assignment_optout = True

    def _handed(self, **values):
        """A qualified lead of the qualifying rep, handed off by them to Sam (the hand-off clock running)."""
        lead = self._lead(lifecycle_stage_id=self._stage("qualified").id, **values)
        lead.with_user(self.user_qualifier).action_handoff_to_sales()
        self.assertEqual((lead.handoff_state, lead.user_id, lead.sla_clock, lead.sla_state),
                         ("pending", self.user_salesman, "handoff", "on_track"))
        return lead

    def _breach(self, lead):
        self.env.flush_all()
        self.env.cr.execute("""UPDATE lead_sla_clock SET deadline = now() AT TIME ZONE 'UTC' - interval '1 hour',
                                      warning_date = now() AT TIME ZONE 'UTC' - interval '2 hour',
                                      next_check = now() AT TIME ZONE 'UTC' - interval '2 hour'
                                WHERE id = %s""", [lead.sla_clock_id.id])
        self.env.invalidate_all()
        self._cron()
        self.assertEqual(lead.sla_state, "breached")

    def _rows(self, lead):
        return self.env["lead.handoff"].search([("lead_id", "=", lead.id)], order="id")

    def _figures(self, leads, user=None):
        """The follow-up report's totals over ``leads`` as the lead manager reads them."""
        Report = self.env["lead.followup.report"].with_user(user or self.user_lead_manager)
        fields = ["handoff_count", "accepted_count", "rejected_count", "answered_count", "pending_count",
                  "unanswered_count", "withdrawn_count", "followed_up_count", "within_sla_count", "sla_count"]
        [row] = Report._read_group([("lead_id", "in", leads.ids)], [], [f"{fname}:sum" for fname in fields])
        return dict(zip(fields, row, strict=True))


class TestOnlySalesAnswers(FollowupCommon):

    def test_qualifier_cannot_convert_its_own_handoff(self):
        """Demo lead 207: the rep converted the lead it handed off; the log said "accepted by sales" and the
        salesperson's breached clock "met"."""
        lead = self._handed()
        self._breach(lead)
        for call in (lambda lead: lead.convert_opportunity(lead.partner_id),
                     lambda lead: lead.write({"type": "opportunity"}),
                     lambda lead: lead.action_accept_handoff()):
            with self.subTest(call=call), self.assertRaises(UserError):  # AccessError included
                call(lead.with_user(self.user_qualifier))
        # A lead manager may write the lead, and still does not answer for sales.
        with self.assertRaisesRegex(UserError, "awaits the answer of Sam Salesman"):
            lead.with_user(self.user_lead_manager).convert_opportunity(lead.partner_id)
        with self.assertRaises(AccessError):
            lead.with_user(self.user_lead_manager).action_accept_handoff()
        lead.invalidate_recordset()
        self.assertEqual((lead.type, lead.handoff_state, lead.sla_state), ("lead", "pending", "breached"))
        self.assertEqual(self._rows(lead).mapped("state"), ["pending"])
        self.assertFalse(lead.sla_clock_id.met_date)

    def test_salesperson_converts_and_meets(self):
        lead = self._handed()
        lead.with_user(self.user_salesman).convert_opportunity(lead.partner_id)
        self.assertEqual((lead.type, lead.handoff_state, lead.sla_state), ("opportunity", "accepted", "met"))
        self.assertEqual(lead.sla_clock_id.met_by_id, self.user_salesman)
        self.assertEqual(self._rows(lead).mapped("state"), ["accepted"])

    def test_sales_manager_answers_without_meeting_the_salespersons_clock(self):
        lead = self._handed()
        lead.with_user(self.user_sales_manager).action_accept_handoff()
        self.assertEqual(lead.handoff_state, "accepted")
        clock = lead.sla_clock_ids.filtered(lambda clock: clock.clock == "handoff")
        self.assertEqual(clock.state, "stopped")
        self.assertFalse(clock.met_by_id)

    def test_someone_elses_touch_does_not_meet_the_salespersons_clock(self):
        lead = self._handed()
        lead.with_user(self.user_lead_manager).message_post(body="Any news?", message_type="comment")
        lead.activity_schedule("mail.mail_activity_data_todo", user_id=self.user_lead_manager.id)
        lead.activity_ids.filtered(lambda a: a.user_id == self.user_lead_manager).with_user(
            self.user_lead_manager).action_feedback("done")
        self.assertEqual(lead.sla_state, "on_track")
        lead.with_user(self.user_salesman).message_post(body="Calling them now", message_type="comment")
        self.assertEqual(lead.sla_state, "met")

    def test_system_conversion_withdraws(self):
        lead = self._handed()
        lead.with_user(SUPERUSER_ID).convert_opportunity(lead.partner_id)
        self.assertEqual(lead.handoff_state, "withdrawn")
        self.assertEqual(self._rows(lead).mapped("state"), ["withdrawn"])
        self.assertNotEqual(lead.sla_clock_ids.filtered(lambda clock: clock.clock == "handoff").state, "met")


class TestDroppedIsNotAnswered(FollowupCommon):

    def test_salesperson_unassigns(self):
        lead = self._handed()
        self._breach(lead)
        lead.with_user(self.user_salesman).write({"user_id": False})
        self.assertEqual(lead.handoff_state, "unanswered")
        self.assertEqual(self._rows(lead).mapped("state"), ["unanswered"])
        self.assertEqual(lead.sla_clock_ids.filtered(lambda clock: clock.clock == "handoff").state, "breached")
        self.assertEqual(self._figures(lead)["unanswered_count"], 1)
        self.assertEqual(self._figures(lead)["answered_count"], 0)

    def test_salesperson_passes_it_on(self):
        lead = self._handed()
        lead.with_user(self.user_salesman).write({"user_id": self.user_salesman_2.id})
        first, second = self._rows(lead)
        self.assertEqual((first.user_id, first.state), (self.user_salesman, "unanswered"))
        self.assertEqual((second.user_id, second.state), (self.user_salesman_2, "pending"))
        self.assertEqual((lead.handoff_state, lead.handoff_user_id, lead.sla_owner_id),
                         ("pending", self.user_salesman_2, self.user_salesman_2))
        # The colleague answers for themself; the first salesperson no longer can.
        with self.assertRaises(AccessError):
            lead.with_user(self.user_salesman).action_accept_handoff()
        lead.with_user(self.user_salesman_2).action_accept_handoff()
        self.assertEqual(self._rows(lead).mapped("state"), ["unanswered", "accepted"])

    def test_salesperson_loses_or_disqualifies_it(self):
        lost, disqualified = self._handed(), self._handed(email_from="other@example.com")
        lost.with_user(self.user_salesman).action_set_lost()
        disqualified.with_user(self.user_salesman).write({"lifecycle_stage_id": self._stage("disqualified").id})
        for lead in (lost, disqualified):
            with self.subTest(lead=lead.name):
                self.assertEqual(lead.with_context(active_test=False).handoff_state, "unanswered")
                self.assertEqual(self._rows(lead).mapped("state"), ["unanswered"])

    def test_archived_or_converted_in_a_write_that_names_its_own_stage(self):
        """Review of issue 17: a write naming the lead's current lifecycle stage beside crm's change skipped the
        hand-off's checks: a lead manager converted a pending lead, a salesperson archived one that stayed
        pending for good."""
        lead = self._handed()
        qualified = self._stage("qualified").id
        for vals in ({"type": "opportunity", "lifecycle_stage_id": qualified},
                     {"stage_id": self.env["crm.stage"].search([("is_won", "=", True)], limit=1).id,
                      "lifecycle_stage_id": qualified}):
            with self.subTest(vals=vals), self.assertRaisesRegex(UserError, "awaits the answer of Sam Salesman"):
                lead.with_user(self.user_lead_manager).write(vals)
        self.assertEqual((lead.type, lead.handoff_state), ("lead", "pending"))
        lead.with_user(self.user_salesman).write({"active": False, "lifecycle_stage_id": qualified})
        self.assertEqual(lead.with_context(active_test=False).handoff_state, "unanswered")
        self.assertEqual(self._rows(lead).mapped("state"), ["unanswered"])

    def test_passed_on_only_to_a_salesperson(self):
        """Review of issue 17: a lead manager passed a pending hand-off to themself and accepted it (met by the
        'recipient'); a salesperson could pass it to a qualifying rep, who accepted."""
        lead = self._handed()
        for actor, target in ((self.user_lead_manager, self.user_lead_manager),
                              (self.user_salesman, self.user_qualifier_2)):
            with self.subTest(target=target.name), self.assertRaisesRegex(UserError, "pass it on to a salesperson"):
                lead.with_user(actor).write({"user_id": target.id})
        self.assertEqual((lead.user_id, lead.handoff_state), (self.user_salesman, "pending"))
        self.assertEqual(self._rows(lead).mapped("state"), ["pending"])

    def test_passed_on_only_to_someone_in_sales(self):
        """Review of issue 17: "not a qualifying rep" let a pending hand-off go to any internal user, one with no
        sales rights and in no sales team, who then answered it."""
        outsider = mail_new_test_user(self.env, login="lm_outsider", name="Olga Outsider", groups="base.group_user")
        loner = mail_new_test_user(self.env, login="lm_loner", name="Luc Loner",
                                   groups="sales_team.group_sale_salesman,crm.group_use_lead")
        lead = self._handed()
        # A membership that ended (archived) does not count, whatever the client's context says.
        self.env["crm.team.member"].create({"crm_team_id": self.team.id, "user_id": loner.id}).action_archive()
        for target in (outsider, loner):
            with self.subTest(target=target.name), self.assertRaisesRegex(UserError, "pass it on to a salesperson"):
                lead.with_user(self.user_salesman).with_context(active_test=False).write({"user_id": target.id})
        self.assertEqual(self._rows(lead).mapped("state"), ["pending"])
        # A salesperson of another team, or the sales manager, may take it.
        other_team = self.env["crm.team"].create({"name": "Outbound", "company_id": self.company.id})
        self.env["crm.team.member"].create({"crm_team_id": other_team.id, "user_id": loner.id})
        lead.with_user(self.user_salesman).write({"user_id": loner.id})
        self.assertEqual((lead.handoff_state, lead.handoff_user_id), ("pending", loner))

    def test_taken_back_to_an_earlier_stage_ends_the_handoff(self):
        """Review of issue 17: moved back to an earlier marketing stage, a pending hand-off stayed pending (its
        clock running, the salesperson's to do on the list) though marketing held the lead again."""
        lead = self._handed()
        # Only a lead manager moves a lead back (lifecycle's rule): marketing takes it back, a withdrawal.
        lead.with_user(self.user_lead_manager).write({"lifecycle_stage_id": self._stage("lead").id})
        self.assertEqual((lead.lifecycle_code, lead.handoff_state), ("lead", "withdrawn"))
        self.assertEqual(self._rows(lead).mapped("state"), ["withdrawn"])
        handoff_clock = lead.sla_clock_ids.filtered(lambda clock: clock.clock == "handoff")
        self.assertEqual((handoff_clock.state, handoff_clock.closed), ("stopped", True))
        self.assertFalse(lead.activity_ids.filtered(
            lambda activity: activity.activity_type_id.xml_id == "lead_management.mail_activity_type_handoff"))

    def test_context_defaults_do_not_reach_the_pipelines_records(self):
        """Review of issue 17: the pipeline creates clocks and hand-off rows as superuser in the caller's context,
        where default_<field> keys set a clock paused or closed (met at 0 hours), a row merged (out of the
        report)."""
        lead = self._lead(lifecycle_stage_id=self._stage("qualified").id)
        lead.with_user(self.user_qualifier).with_context(
            default_paused_since="2000-01-01 00:00:00", default_closed=True, default_merged=True,
            default_state="met").action_handoff_to_sales()
        clock = lead.sla_clock_id
        self.assertEqual((clock.clock, clock.state, clock.closed, clock.paused_since),
                         ("handoff", "on_track", False, False))
        self.assertEqual((self._rows(lead).mapped("state"), self._rows(lead).merged), (["pending"], False))
        self.assertEqual(self._figures(lead)["pending_count"], 1)
        # A form opened from a lead still gives the events it logs their lead.
        event = self.env["lead.engagement.event"].with_context(default_lead_id=lead.id, default_sender_id=1).new({})
        self.assertEqual((event.lead_id, event.sender_id), (lead, self.env["res.users"]))

    def test_client_context_does_not_shape_the_pipelines_activities(self):
        """Review of issue 17: the pipeline scheduled, answered and removed its activities in the caller's
        context: mail's ``mail_activity_automation_skip`` left the salesperson without the hand-off to do (and a
        rejected lead's stale one on their list), and ``default_active`` made the qualifying rep's reminder of a
        rejected lead an archived one, on nobody's list."""
        hostile = {"mail_activity_automation_skip": True, "default_active": False}
        handoff_type = self.env.ref("lead_management.mail_activity_type_handoff")
        lead = self._lead(lifecycle_stage_id=self._stage("qualified").id)
        lead.with_user(self.user_qualifier).with_context(**hostile).action_handoff_to_sales()
        todo = lead.activity_ids.filtered(lambda activity: activity.activity_type_id == handoff_type)
        self.assertEqual((todo.user_id, todo.active), (self.user_salesman, True))
        self.env["crm.lead.reject"].with_user(self.user_salesman).with_context(**hostile).create({
            "lead_ids": lead.ids, "rejection_reason_id": self.env.ref(
                "lead_management.rejection_reason_not_ready").id}).action_reject()
        self.assertFalse(todo.exists(), "the answered hand-off leaves the salesperson's list")
        reminder = lead.activity_ids
        self.assertEqual((reminder.user_id, reminder.active), (self.user_qualifier, True))

    def test_marketing_withdraws(self):
        lead = self._handed()
        lead.with_user(self.user_lead_manager).action_set_lost()
        self.assertEqual(self._rows(lead).mapped("state"), ["withdrawn"])


class TestAccessEndsWithOwnership(FollowupCommon):

    def _readable(self, user, lead):
        return bool(self.env["crm.lead"].with_user(user).search([("id", "=", lead.id)]))

    def _writable(self, user, lead):
        try:
            lead.with_user(user).check_access("write")
        except AccessError:
            return False
        return True

    def test_team_change_applies_at_once(self):
        """The rules read the user's teams from a cache that team changes did not clear."""
        unowned = self._lead(qualifier_id=False)
        self.env.flush_all()
        self.env.cr.execute("UPDATE crm_lead SET qualifier_id = NULL WHERE id = %s", [unowned.id])
        self.env.invalidate_all()
        self.assertTrue(self._readable(self.user_qualifier_2, unowned))  # the rule's domain is now cached
        self.env["crm.team.member"].search([("user_id", "=", self.user_qualifier_2.id)]).unlink()
        self.assertFalse(self._readable(self.user_qualifier_2, unowned))
        self.env["crm.team.member"].create({"crm_team_id": self.team.id, "user_id": self.user_qualifier_2.id})
        self.assertTrue(self._readable(self.user_qualifier_2, unowned))

    def test_qualifier_reads_but_no_longer_changes_what_went_to_sales(self):
        """The written choice: a qualifying rep keeps reading the leads it qualified (what became of its work),
        and changes them only while marketing holds them."""
        lead = self._handed()
        self.assertTrue(self._readable(self.user_qualifier, lead))
        self.assertFalse(self._writable(self.user_qualifier, lead))
        lead.with_user(self.user_salesman).action_accept_handoff()
        self.assertEqual(lead.lifecycle_code, "prospect")
        self.assertTrue(self._readable(self.user_qualifier, lead))
        self.assertFalse(self._writable(self.user_qualifier, lead))

    def test_rejected_lead_is_the_qualifiers_again_and_no_longer_the_salespersons(self):
        """The written choice: the salesperson who rejected a lead keeps reading it (its own answer), and changes
        it no more."""
        lead = self._handed()
        self.env["crm.lead.reject"].with_user(self.user_salesman).create({
            "lead_ids": lead.ids, "rejection_reason_id": self.env.ref(
                "lead_management.rejection_reason_not_ready").id}).action_reject()
        self.assertEqual(lead.lifecycle_code, "recycled")
        self.assertTrue(self._writable(self.user_qualifier, lead))
        self.assertTrue(self._readable(self.user_salesman, lead))
        self.assertFalse(self._writable(self.user_salesman, lead))
        # Another qualifying rep of the team sees none of it: the lead is owned.
        self.assertFalse(self._readable(self.user_qualifier_2, lead))


class TestMergesKeepTheRecord(FollowupCommon):

    def _reject(self, lead):
        self.env["crm.lead.reject"].with_user(self.user_salesman).create({
            "lead_ids": lead.ids, "rejection_reason_id": self.env.ref(
                "lead_management.rejection_reason_not_ready").id}).action_reject()

    def test_salesperson_cannot_erase_a_breached_handoff_by_merging(self):
        """Sam merges the hand-off he let breach into his opportunity of the same person: crm's merge deleted the
        hand-off, its clock and its row in the follow-up report with the merged lead."""
        opportunity = self._handed(email_from="same@example.com")
        opportunity.with_user(self.user_salesman).action_accept_handoff()
        breached = self._handed(email_from="same@example.com")
        self._breach(breached)
        leads = opportunity | breached
        before = self._figures(leads)
        self.assertEqual((before["handoff_count"], before["pending_count"], before["accepted_count"]), (2, 1, 1))
        head = leads.with_user(self.user_salesman).merge_opportunity()
        self.assertEqual(head, opportunity)
        self.assertFalse(breached.exists())
        # The same figures, but that the hand-off he merged away without an answer is not answered (a drop).
        self.assertEqual(self._figures(head), dict(before, pending_count=0,
                                                   unanswered_count=before["unanswered_count"] + 1))
        clocks = head.sla_clock_ids.filtered(lambda clock: clock.clock == "handoff")
        self.assertEqual(sorted(clocks.mapped("state")), ["breached", "met"])
        self.assertTrue(all(clocks.mapped("closed")))

    def test_converting_by_merge_in_crms_wizard_answers_the_handoff(self):
        """Review of issue 17: crm's conversion wizard, set to merge with the salesperson's opportunity of the same
        person, merged the pending hand-off away as a drop ("Not Answered"): the salesperson's own conversion.
        Marketing may not convert a hand-off so, as it may not convert it otherwise."""
        self.team_member_salesman.assignment_max = 300  # 10 a day
        for user, outcome in ((self.user_salesman, "accepted"), (self.user_sales_manager, "accepted"),
                              (self.user_lead_manager, None)):
            with self.subTest(user=user.name):
                email = f"wizard-{user.login}@example.com"
                kept = self._handed(email_from=email)
                kept.with_user(self.user_salesman).action_accept_handoff()
                pending = self._handed(email_from=email)
                wizard = self.env["crm.lead2opportunity.partner"].with_user(user).with_context(
                    active_model="crm.lead", active_id=pending.id, active_ids=pending.ids).create({
                        "name": "merge", "duplicated_lead_ids": [(6, 0, (kept | pending).ids)],
                        "user_id": self.user_salesman.id})
                if outcome is None:
                    with self.assertRaisesRegex(UserError, "awaits the answer"):
                        wizard.action_apply()
                    self.assertEqual(pending.handoff_state, "pending")
                    continue
                wizard.action_apply()
                self.assertFalse(pending.exists())
                self.assertEqual(self._rows(kept).mapped("state"), ["accepted", "accepted"])
                self.assertEqual(self._figures(kept)["accepted_count"], 2)
                self.assertEqual(kept.lifecycle_code, "prospect")

    def test_mass_conversion_with_deduplication_answers_the_handoff(self):
        """Review of issue 17: crm's mass conversion, with "Apply deduplication", merges each selected lead with the
        same person's opportunity: the salesperson's own conversion of a pending hand-off ended "Not Answered"."""
        kept = self._handed(email_from="mass@example.com")
        kept.with_user(self.user_salesman).action_accept_handoff()
        pending = self._handed(email_from="mass@example.com")
        wizard = self.env["crm.lead2opportunity.partner.mass"].with_user(self.user_salesman).with_context(
            active_model="crm.lead", active_ids=pending.ids).create({
                "name": "convert", "deduplicate": True, "action": "nothing", "user_ids": self.user_salesman.ids})
        wizard.action_mass_convert()
        self.assertFalse(pending.exists())
        self.assertEqual(self._rows(kept).mapped("state"), ["accepted", "accepted"])

    def test_a_pending_handoff_merged_away_is_dropped(self):
        """Review of issue 17: a pending hand-off merged into another lead stayed pending in the report for good.
        Merged by its salesperson: not answered; by marketing: withdrawn."""
        self.team_member_salesman.assignment_max = 300  # 10 a day
        for user, outcome in ((self.user_salesman, "unanswered"), (self.user_lead_manager, "withdrawn")):
            with self.subTest(user=user.name):
                kept = self._handed(email_from=f"kept-{outcome}@example.com")
                kept.with_user(self.user_salesman).action_accept_handoff()
                pending = self._handed(email_from=f"pending-{outcome}@example.com")
                head = (kept | pending).with_user(user).merge_opportunity()
                self.assertEqual(head, kept)
                self.assertEqual(sorted(self._rows(head).mapped("state")), sorted(["accepted", outcome]))
                figures = self._figures(head)
                self.assertEqual((figures["pending_count"], figures[f"{outcome}_count"]), (0, 1))

    def test_rejections_and_recycling_come_along(self):
        rejected = self._handed(email_from="person@example.com")
        self._reject(rejected)
        other = self._handed(email_from="person2@example.com")
        self._reject(other)
        leads = rejected | other
        before = self._figures(leads)
        self.assertEqual(before["rejected_count"], 2)
        head = leads.with_user(self.user_lead_manager).merge_opportunity()
        self.assertEqual(head.recycle_count, 2)
        self.assertEqual(self._figures(head), before)
        self.assertEqual(self._rows(head).mapped("rejection_reason_id"),
                         self.env.ref("lead_management.rejection_reason_not_ready"))
        self.assertEqual(len(self._rows(head)), 2)

    def test_nurture_history_comes_along(self):
        track = self.env["lead.nurture.track"].create({"name": "Warm up", "step_ids": [(0, 0, {
            "name": "Call", "action": "activity", "delay": 1, "delay_unit": "days",
            "activity_type_id": self.env.ref("mail.mail_activity_data_call").id})]})
        grade_d = self.env["lead.grade"].search([("name", "=", "D")])
        grade_d.nurture_track_id = track
        nurtured, other = self._create_leads(2, qualifier_id=self.user_qualifier.id, email_from=False,
                                             phone="+32 2 290 34 90")
        self.assertEqual(nurtured.grade_id, grade_d)
        self.assertTrue(nurtured.nurture_enrolment_id)
        enrolments = (nurtured | other).nurture_enrolment_id
        head = (nurtured | other).with_user(self.user_lead_manager).merge_opportunity()
        tail = (nurtured | other) - head
        self.assertFalse(tail.exists())
        self.assertEqual(head.nurture_enrolment_ids, enrolments)
        self.assertEqual(head.nurture_enrolment_ids.filtered(lambda e: e.state == "exited").exit_reason, "merged")
