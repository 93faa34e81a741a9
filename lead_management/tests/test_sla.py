# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""SLA clocks on working hours, hand-computed.

The office works Monday to Friday, 09:00-12:00 and 13:00-17:00 (7 hours a day). March 2026: Monday the
2nd; Brussels is UTC+1 and New York UTC-5 until the 8th (New York moves to UTC-4 that day)."""
from datetime import datetime

from odoo.exceptions import ValidationError
from odoo.tests import users

from .common import LeadManagementCommon


def utc(*args):
    return datetime(*args)


class SlaCommon(LeadManagementCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.office = cls.env["resource.calendar"].create({
            "name": "Office", "tz": "Europe/Brussels", "hours_per_day": 7,
            "attendance_ids": [(5, 0, 0)] + [
                (0, 0, {"name": f"{day} {period}", "dayofweek": str(day), "hour_from": start, "hour_to": end,
                        "day_period": period})
                for day in range(5) for start, end, period in ((9, 12, "morning"), (13, 17, "afternoon"))],
        })
        (cls.user_qualifier + cls.user_qualifier_2 + cls.user_salesman + cls.user_salesman_2).tz = "Europe/Brussels"
        cls.speed = cls.env["lead.sla.policy"].create({
            "name": "Speed to lead", "clock": "speed", "target_hours": 4, "warning_hours": 2,
            "calendar_id": cls.office.id, "reassign_after_hours": 2})
        cls.answer = cls.env["lead.sla.policy"].create({
            "name": "Answer a hand-off", "clock": "handoff", "target_hours": 8, "warning_hours": 4,
            "calendar_id": cls.office.id})
        cls.env["lead.scoring.rule"].create({"name": "Reachable", "domain": "[('email_from', '!=', False)]",
                                             "points": 80})
        cls._rescore()

    def _lead(self, **values):
        return self.env["crm.lead"].create({
            "name": "SLA lead", "type": "lead", "team_id": self.team.id, "user_id": False,
            "qualifier_id": self.user_qualifier.id, "email_from": "sla@example.com", **values})

    def _cron(self):
        self.env["crm.lead"]._cron_sla()

    def _messages(self, lead, text):
        return lead.message_ids.filtered(lambda message: text in (message.body or ""))


class TestSlaDeadlines(SlaCommon):

    def test_deadline_across_a_night(self):
        with self.frozen_at("2026-03-03 15:30:00"):  # Tuesday 16:30 in Brussels
            lead = self._lead()
        # Tuesday 16:30-17:00, Wednesday 09:00-12:00 and 13:00-13:30: 4 hours.
        self.assertEqual(lead.sla_state, "on_track")
        self.assertEqual(lead.sla_owner_id, self.user_qualifier)
        self.assertEqual(lead.sla_deadline, utc(2026, 3, 4, 12, 30))
        self.assertEqual(lead.sla_warning_date, utc(2026, 3, 4, 9, 30))
        self.assertEqual(lead.sla_clock_ids.policy_id, self.speed)

    def test_deadline_across_a_weekend(self):
        with self.frozen_at("2026-03-06 15:00:00"):  # Friday 16:00 in Brussels
            lead = self._lead()
        self.assertEqual(lead.sla_deadline, utc(2026, 3, 9, 11, 0), "Friday 16-17, Monday 09-12")
        self.assertEqual(lead.sla_warning_date, utc(2026, 3, 9, 9, 0))

    def test_deadline_in_the_owner_time_zone(self):
        self.user_qualifier_2.tz = "America/New_York"
        with self.frozen_at("2026-03-02 13:00:00"):  # Monday: 14:00 in Brussels, 08:00 in New York
            brussels = self._lead()
            new_york = self._lead(qualifier_id=self.user_qualifier_2.id)
        self.assertEqual(brussels.sla_deadline, utc(2026, 3, 3, 9, 0), "Monday 14-17, Tuesday 09-10 in Brussels")
        self.assertEqual(new_york.sla_deadline, utc(2026, 3, 2, 19, 0), "Monday 09-12, 13-14 in New York")

    def test_owner_time_off_pushes_the_deadline_and_escalates_early(self):
        resource = self.env["resource.resource"].create({
            "name": self.user_qualifier.name, "user_id": self.user_qualifier.id, "calendar_id": self.office.id,
            "tz": "Europe/Brussels"})
        self.env["resource.calendar.leaves"].create({
            "name": "Day off", "calendar_id": self.office.id, "resource_id": resource.id,
            "date_from": utc(2026, 3, 2, 23, 0), "date_to": utc(2026, 3, 3, 22, 59)})  # Tuesday in Brussels
        with self.frozen_at("2026-03-02 15:00:00"):  # Monday 16:00
            lead = self._lead()
        self.assertEqual(lead.sla_deadline, utc(2026, 3, 4, 11, 0), "Monday 16-17, off Tuesday, Wednesday 09-12")
        self.assertEqual(lead.sla_clock_ids.deadline_nominal, utc(2026, 3, 3, 11, 0))
        # Away when the deadline falls: warned when they would have been without the day off, and the team
        # leader is told at once.
        self.assertEqual(lead.sla_warning_date, utc(2026, 3, 3, 9, 0), "Monday 16-17, Tuesday 09-10")
        with self.frozen_at("2026-03-03 09:00:00"):
            self._cron()
        self.assertEqual(lead.sla_state, "at_risk")
        self.assertEqual(lead.sla_clock_ids.escalation, 2)
        leader_activity = lead.activity_ids.filtered(lambda act: act.user_id == self.user_sales_manager)
        self.assertIn("away", leader_activity.summary)

    def test_pause_keeps_the_time_used(self):
        waiting = self.env["lead.lifecycle.stage"].create({
            "name": "Waiting on the customer", "code": "waiting", "sequence": 35, "side": "marketing"})
        self.speed.pause_stage_ids = waiting
        with self.frozen_at("2026-03-02 08:00:00"):  # Monday 09:00
            lead = self._lead()
            self.assertEqual(lead.sla_deadline, utc(2026, 3, 2, 13, 0))
        with self.frozen_at("2026-03-02 09:00:00"):  # an hour used
            lead._lifecycle_move(waiting, "Asked for their budget")
        self.assertTrue(lead.sla_paused_since)
        self.assertAlmostEqual(lead.sla_clock_ids.consumed_hours, 1.0)
        self.assertEqual(lead.sla_time_left, "Paused")
        with self.frozen_at("2026-03-04 08:00:00"):  # nothing escalates while paused
            self._cron()
        self.assertEqual(lead.sla_state, "on_track")
        with self.frozen_at("2026-03-04 08:00:00"):  # Wednesday 09:00: 3 hours left
            lead._lifecycle_move(self._stage("lead"), "They answered")
        self.assertFalse(lead.sla_paused_since)
        self.assertEqual(lead.sla_deadline, utc(2026, 3, 4, 11, 0))


class TestSlaLadder(SlaCommon):

    def test_each_rung_once(self):
        with self.frozen_at("2026-03-02 08:00:00"):  # Monday 09:00: warning 11:00, deadline 14:00, reassign 16:00
            lead = self._lead()
        self.assertEqual((lead.sla_warning_date, lead.sla_deadline), (utc(2026, 3, 2, 10, 0), utc(2026, 3, 2, 13, 0)))
        self.assertEqual(lead.sla_clock_ids.reassign_date, utc(2026, 3, 2, 15, 0))
        for moment in ("2026-03-02 09:59:00",):
            with self.frozen_at(moment):
                self._cron()
        self.assertEqual(lead.sla_state, "on_track")
        for _run in range(2):
            with self.frozen_at("2026-03-02 10:00:00"):
                self._cron()
        self.assertEqual(lead.sla_state, "at_risk")
        owner_activities = lead.activity_ids.filtered(lambda act: act.user_id == self.user_qualifier)
        self.assertEqual(len(owner_activities), 1, "the owner is reminded once")
        self.assertEqual(len(self._messages(lead, "SLA at risk")), 1)
        for _run in range(2):
            with self.frozen_at("2026-03-02 13:00:00"):
                self._cron()
        self.assertEqual(lead.sla_state, "breached")
        self.assertEqual(len(self._messages(lead, "SLA breached")), 1)
        leader = lead.activity_ids.filtered(lambda act: act.user_id == self.user_sales_manager)
        self.assertEqual(len(leader), 1, "the team leader is told once")
        with self.frozen_at("2026-03-02 15:00:00"):
            self._cron()
            self._cron()
        self.assertEqual(lead.qualifier_id, self.user_qualifier_2, "reassigned to the next rep with room")
        self.assertEqual(len(self._messages(lead, "reassigned")), 1)
        old, new = lead.sla_clock_ids.sorted("id")
        self.assertEqual((old.state, old.escalation, old.owner_id), ("breached", 3, self.user_qualifier))
        self.assertEqual((new.state, new.owner_id), ("on_track", self.user_qualifier_2))
        self.assertEqual(lead.sla_owner_id, self.user_qualifier_2)
        self.assertEqual(lead.sla_deadline, utc(2026, 3, 3, 11, 0), "Monday 16-17, Tuesday 09-12 (Brussels)")

    def test_job_wakes_at_the_next_due_moment(self):
        cron = self.env.ref("lead_management.ir_cron_sla")
        Trigger = self.env["ir.cron.trigger"]
        before = Trigger.search([("cron_id", "=", cron.id)])
        with self.frozen_at("2026-03-02 08:00:00"):
            self._lead()
        self.assertIn(utc(2026, 3, 2, 10, 0), (Trigger.search([("cron_id", "=", cron.id)]) - before).mapped("call_at"))


class TestFirstTouch(SlaCommon):

    def test_note_by_the_owner_meets_the_clock(self):
        with self.frozen_at("2026-03-02 10:00:00"):  # Monday 11:00
            lead = self._lead()
        with self.frozen_at("2026-03-02 13:00:00"):  # Monday 14:00: 11-12 and 13-14 worked, 3 hours passed
            lead.with_user(self.user_qualifier).message_post(body="Called, wants a demo", message_type="comment",
                                                             subtype_xmlid="mail.mt_note")
        self.assertEqual(lead.sla_state, "met")
        self.assertEqual(lead.sla_met_date, utc(2026, 3, 2, 13, 0))
        self.assertAlmostEqual(lead.sla_response_hours, 2.0)
        self.assertAlmostEqual(lead.sla_response_calendar_hours, 3.0)
        self.assertEqual(lead.sla_clock_ids.met_by_id, self.user_qualifier)

    def test_what_is_not_a_first_touch(self):
        with self.frozen_at("2026-03-02 10:00:00"):
            lead = self._lead()
            # Another user's note, the customer's e-mail, an automatic message: still waiting.
            lead.with_user(self.user_lead_manager).message_post(body="Please call", message_type="comment",
                                                                subtype_xmlid="mail.mt_note")
            customer = self.env["res.partner"].create({"name": "Customer", "email": "sla@example.com"})
            lead.message_post(body="Any news?", message_type="email", author_id=customer.id)
            lead._message_log(body="Automatic")
        self.assertEqual(lead.sla_state, "on_track")

    def test_activity_done_by_the_owner(self):
        with self.frozen_at("2026-03-02 10:00:00"):
            lead = self._lead()
            call = lead.activity_schedule("mail.mail_activity_data_call", user_id=self.user_qualifier.id)
            call.with_user(self.user_qualifier).action_feedback(feedback="Left a voicemail")
        self.assertEqual(lead.sla_state, "met")

    def test_activity_done_by_someone_else(self):
        with self.frozen_at("2026-03-02 10:00:00"):
            lead = self._lead()
            call = lead.activity_schedule("mail.mail_activity_data_call", user_id=self.user_lead_manager.id)
            call.with_user(self.user_lead_manager).action_feedback(feedback="Not the owner")
        self.assertEqual(lead.sla_state, "on_track")

    def test_touch_after_the_deadline_stays_breached(self):
        with self.frozen_at("2026-03-02 08:00:00"):
            lead = self._lead()
        with self.frozen_at("2026-03-02 14:00:00"):
            self._cron()
            lead.with_user(self.user_qualifier).message_post(body="Sorry, late", message_type="comment",
                                                             subtype_xmlid="mail.mt_note")
        self.assertEqual(lead.sla_state, "breached")
        self.assertEqual(lead.sla_met_date, utc(2026, 3, 2, 14, 0))
        self.assertAlmostEqual(lead.sla_response_hours, 5.0)

    def test_owner_change_restarts_the_clock(self):
        with self.frozen_at("2026-03-02 08:00:00"):
            lead = self._lead()
        with self.frozen_at("2026-03-02 10:00:00"):
            lead.qualifier_id = self.user_qualifier_2
        old, new = lead.sla_clock_ids.sorted("id")
        self.assertEqual(old.state, "stopped")
        self.assertEqual((new.owner_id, new.start), (self.user_qualifier_2, utc(2026, 3, 2, 10, 0)))
        self.assertEqual(lead.sla_deadline, utc(2026, 3, 2, 15, 0), "11-12, 13-16 in Brussels")

    def test_leaving_the_covered_stages_stops_without_met(self):
        with self.frozen_at("2026-03-02 08:00:00"):
            lead = self._lead()
            lead._lifecycle_move(self._stage("disqualified"), "No budget")
        self.assertEqual(lead.sla_state, "none")
        self.assertEqual(lead.sla_clock_ids.state, "stopped")


class TestHandoffClock(SlaCommon):

    def test_accept_meets_and_reject_restarts_speed_to_lead(self):
        with self.frozen_at("2026-03-02 08:00:00"):  # Monday 09:00
            lead = self._lead(lifecycle_stage_id=self._stage("qualified").id)
            lead.with_user(self.user_qualifier).action_handoff_to_sales()
        self.assertEqual(lead.sla_clock, "handoff")
        self.assertEqual(lead.sla_owner_id, lead.user_id)
        self.assertEqual(lead.sla_deadline, utc(2026, 3, 3, 9, 0), "7 hours Monday, 1 Tuesday")
        speed, handoff = lead.sla_clock_ids.sorted("id")
        self.assertEqual(speed.state, "met", "handing off was the rep's first touch")
        salesman = lead.user_id
        with self.frozen_at("2026-03-02 14:00:00"):  # Monday 15:00
            lead.with_user(salesman)._handoff_reject(self.env.ref("lead_management.rejection_reason_not_ready"))
        self.assertEqual(handoff.state, "met")
        self.assertAlmostEqual(handoff.response_hours, 5.0)
        # Recycled: back with the qualifying rep, whose speed-to-lead clock starts again.
        self.assertEqual(lead.sla_clock, "speed")
        self.assertEqual(lead.sla_owner_id, self.user_qualifier)
        self.assertEqual(lead.sla_state, "on_track")

    def test_waiting_handoffs_count_against_capacity(self):
        """90 a month is 3 a day: a salesperson with a hand-off older than a day still unanswered has room for
        two more today. (The old hand-off is two days old on the clock of Python and of the database alike: with
        only Python's clock frozen, crm dated its assignment from the database's real "now" and counted it among
        today's.)"""
        self.team_member_salesman_2.assignment_optout = True
        self.team_member_salesman.assignment_max = 90  # 3 a day
        with self.frozen_at("2026-03-02 08:00:00"):
            old = self._lead(lifecycle_stage_id=self._stage("qualified").id)
            old.with_user(self.user_lead_manager).action_handoff_to_sales()
        with self.frozen_at("2026-03-04 08:00:00"):
            leads = self.env["crm.lead"].create([{
                "name": f"New {index}", "type": "lead", "team_id": self.team.id, "user_id": False,
                "email_from": f"new{index}@example.com", "lifecycle_stage_id": self._stage("qualified").id}
                for index in range(3)])
            leads.with_user(self.user_lead_manager)._handoff_to_sales()
        self.assertEqual(len(leads.filtered("user_id")), 2, "3 a day, minus the one unanswered")


class TestSlaRules(SlaCommon):

    def test_bad_policies_are_refused(self):
        Policy = self.env["lead.sla.policy"]
        empty = self.env["resource.calendar"].create({"name": "Never", "attendance_ids": [(5, 0, 0)]})
        for values, message in (
            ({"target_hours": 0}, "more than 0"),
            ({"target_hours": 4, "warning_hours": 4}, "before its target"),
            ({"target_hours": 4, "warning_hours": 1, "calendar_id": empty.id}, "no working time"),
            ({"target_hours": 4, "reassign_after_hours": -1}, "negative"),
        ):
            with self.subTest(values=values), self.assertRaisesRegex(ValidationError, message), \
                    self.env.cr.savepoint():
                Policy.create({"name": "Bad", "clock": "speed", **values})
        self.assertFalse(Policy.search([("name", "=", "Bad")]))

    @users("lm_salesman")
    def test_salesperson_sees_the_clocks_of_their_leads(self):
        Lead = self.env["crm.lead"].sudo()
        with self.frozen_at("2026-03-02 08:00:00"):
            mine, hidden = Lead.create([{"name": name, "type": "lead", "team_id": self.team.id, "user_id": False,
                                         "qualifier_id": self.user_qualifier.id, "email_from": "x@example.com"}
                                        for name in ("Mine", "Hidden")])
            mine.lifecycle_stage_id = self._stage("qualified")
            self.team_member_salesman_2.sudo().assignment_optout = True
            mine.with_user(self.user_lead_manager).action_handoff_to_sales()
        Clock = self.env["lead.sla.clock"]
        self.assertEqual(Clock.search([("lead_id", "in", (mine + hidden).ids)]).lead_id, mine)
        self.assertFalse(Clock.search_count([("lead_id", "=", hidden.id)]))

    def test_one_batch_of_the_job_is_bounded(self):
        with self.frozen_at("2026-03-02 08:00:00"):
            leads = self.env["crm.lead"].create([{
                "name": f"Due {index}", "type": "lead", "team_id": self.team.id, "user_id": False,
                "qualifier_id": self.user_qualifier.id, "email_from": f"due{index}@example.com"}
                for index in range(20)])
        self.env.flush_all()
        self.env.invalidate_all()
        # 35 measured: a fixed cost for the batch, not one per clock.
        with self.frozen_at("2026-03-02 10:00:00"), self.assertQueryCount(__system__=40):
            self._cron()
            self.env.cr.flush()
        self.assertEqual(set(leads.mapped("sla_state")), {"at_risk"})

    def test_queue_is_sorted_by_deadline(self):
        with self.frozen_at("2026-03-02 09:00:00"):
            late = self._lead(name="Later")
        with self.frozen_at("2026-03-02 08:00:00"):
            early = self._lead(name="Sooner")
        list_view = self.env.ref("lead_management.crm_lead_view_list_qualification")
        self.assertIn('default_order="sla_deadline', list_view.arch)
        self.assertLess(early.sla_deadline, late.sla_deadline)
        order = self.env["crm.lead"].search([("id", "in", (late + early).ids)], order="sla_deadline").ids
        self.assertEqual(order, [early.id, late.id])
