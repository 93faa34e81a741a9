# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from datetime import datetime

from psycopg2 import IntegrityError

from odoo.exceptions import ValidationError
from odoo.tools import mute_logger

from .common import LeadManagementCommon


class NurtureCommon(LeadManagementCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.grades = {grade.name: grade for grade in cls.env["lead.grade"].search([])}
        cls.template = cls.env["mail.template"].create({
            "name": "Nurture: case study", "model_id": cls.env.ref("crm.model_crm_lead").id,
            "subject": "How Acme halved its lead loss", "email_to": "{{ object.email_from }}",
            "body_html": "<p>Dear {{ object.contact_name }}, here is the case study.</p>"})
        cls.track = cls.env["lead.nurture.track"].create({
            "name": "Grade C: education",
            "step_ids": [
                (0, 0, {"sequence": 1, "name": "Case study", "action": "email", "mail_template_id": cls.template.id,
                        "delay": 1, "delay_unit": "days", "delay_from": "enrolment"}),
                (0, 0, {"sequence": 2, "name": "Call", "action": "activity", "delay": 3, "delay_unit": "days",
                        "activity_type_id": cls.env.ref("mail.mail_activity_data_call").id,
                        "activity_summary": "Ask about their project"}),
                (0, 0, {"sequence": 3, "name": "Rescore", "action": "rescore", "delay": 0}),
                (0, 0, {"sequence": 4, "name": "Engaged", "action": "stage", "delay": 1,
                        "stage_id": cls.env.ref("lead_management.lifecycle_stage_suspect").id}),
            ],
        })
        cls.grades["C"].nurture_track_id = cls.track
        # Grade C: 15 to 39 points; a phone gives 20.
        cls.env["lead.scoring.rule"].create({"name": "Gave a phone", "domain": "[('phone', '!=', False)]",
                                             "points": 20})
        cls._rescore()

    def _lead(self, **values):
        return self.env["crm.lead"].create({
            "name": "Nurtured", "type": "lead", "team_id": self.team.id, "user_id": False,
            "qualifier_id": self.user_qualifier.id, "email_from": "nurtured@example.com", "phone": "+32470000000",
            "contact_name": "Nina", **values})

    def _cron(self):
        self.env["crm.lead"]._cron_nurture()

    def _traces(self, lead):
        return lead.nurture_enrolment_ids.trace_ids.sorted(lambda trace: (trace.scheduled_date, trace.id))


class TestNurtureTrack(NurtureCommon):

    def test_each_step_once_at_its_time(self):
        with self.frozen_at("2026-03-02 09:00:00"):
            lead = self._lead()
        self.assertEqual(lead.grade_id, self.grades["C"])
        self.assertEqual(lead.nurture_track_id, self.track)
        self.assertEqual(lead.nurture_next_step_id.name, "Case study")
        self.assertEqual(lead.nurture_next_date, datetime(2026, 3, 3, 9, 0))
        Mail = self.env["mail.mail"]
        with self.frozen_at("2026-03-03 08:59:00"):
            self._cron()
        self.assertFalse(Mail.search([("model", "=", "crm.lead"), ("res_id", "=", lead.id)]))
        for _run in range(2):
            with self.frozen_at("2026-03-03 09:00:00"):
                self._cron()
        mails = Mail.search([("model", "=", "crm.lead"), ("res_id", "=", lead.id)])
        self.assertEqual(len(mails), 1, "sent once, however often the job runs")
        self.assertEqual(mails.subject, "How Acme halved its lead loss")
        first, second = self._traces(lead)
        self.assertEqual((first.state, first.date_done), ("done", datetime(2026, 3, 3, 9, 0)))
        self.assertEqual((second.step_id.name, second.scheduled_date), ("Call", datetime(2026, 3, 6, 9, 0)))
        with self.frozen_at("2026-03-06 09:00:00"):
            self._cron()
            self._cron()
        calls = lead.activity_ids.filtered(lambda act: act.summary == "Ask about their project")
        self.assertEqual(len(calls), 1)
        self.assertEqual(calls.user_id, self.user_qualifier)
        # Rescore (no delay) then, a day later, the stage move; then the track is finished.
        with self.frozen_at("2026-03-06 09:00:00"):
            self._cron()
        with self.frozen_at("2026-03-07 09:00:00"):
            self._cron()
        self.assertEqual([trace.state for trace in self._traces(lead)], ["done"] * 4)
        self.assertEqual(lead.lifecycle_stage_id, self._stage("suspect"))
        enrolment = lead.nurture_enrolment_ids
        self.assertEqual((enrolment.state, enrolment.exit_reason), ("done", "finished"))
        self.assertFalse(lead.nurture_enrolment_id)
        self.assertIn("Case study", "".join(lead.message_ids.mapped("body")))

    def test_track_counts(self):
        before = self.track.active_count
        with self.frozen_at("2026-03-02 09:00:00"):
            self._lead()
            self._lead(email_from="second@example.com", phone="+32470000004")
        with self.frozen_at("2026-03-03 09:00:00"):
            self._cron()
        case_study, call = self.track.step_ids[:2]
        self.assertEqual((case_study.done_count, call.scheduled_count), (2, 2))
        self.track.invalidate_recordset(["active_count"])
        self.assertEqual(self.track.active_count, before + 2)


class TestNurtureExits(NurtureCommon):

    def test_sales_ready_handed_off_lost(self):
        before = self.track.active_count
        ready, handed, lost = self._lead(), self._lead(), self._lead()
        ready.description = "demo"
        self.env["lead.scoring.rule"].create({"name": "Wants a demo", "domain": "[('description', '=', 'demo')]",
                                             "points": 60})
        self._rescore()
        self.assertEqual(ready.grade_id, self.grades["A"])
        handed.with_user(self.user_lead_manager).action_handoff_to_sales()
        lost.action_set_lost()
        for lead, reason in ((ready, "sales_ready"), (handed, "handed_off"), (lost, "lost")):
            with self.subTest(reason=reason):
                enrolment = lead.with_context(active_test=False).nurture_enrolment_ids
                self.assertEqual((enrolment.state, enrolment.exit_reason), ("exited", reason))
                self.assertEqual(set(enrolment.trace_ids.mapped("state")), {"cancelled"}, "cancelled at once")
                self.assertFalse(lead.nurture_enrolment_id)
        self.track.invalidate_recordset(["active_count"])
        self.assertLessEqual(self.track.active_count, before, "the three left (others may have, too)")

    def test_blacklisted_address_opts_out(self):
        lead = self._lead(email_from="optout@example.com")
        self.env["mail.blacklist"]._add("optout@example.com")
        with self.frozen_at("2099-01-01"):
            self._cron()
        first = self._traces(lead)[:1]
        self.assertEqual(first.state, "skipped")
        self.assertIn("opted out", first.note)
        self.assertEqual(lead.nurture_enrolment_ids.exit_reason, "opted_out")
        self.assertFalse(self.env["mail.mail"].search([("res_id", "=", lead.id), ("model", "=", "crm.lead")]))

    def test_bad_address_fails_the_step_and_the_batch_goes_on(self):
        bad = self._lead(email_from="not an address")
        good = self._lead()
        with self.frozen_at("2099-01-01"):
            self._cron()
        self.assertEqual(self._traces(bad)[:1].state, "failed")
        self.assertIn("no valid e-mail", self._traces(bad)[:1].note)
        self.assertEqual(self._traces(good)[:1].state, "done")
        self.assertTrue(bad.nurture_enrolment_id, "a failed step does not take the lead off its track")

    def test_enrolled_again_after_falling_back(self):
        lead = self._lead()
        lead.description = "demo"
        self.env["lead.scoring.rule"].create({"name": "Wants a demo", "domain": "[('description', '=', 'demo')]",
                                             "points": 60})
        self._rescore()
        self.assertFalse(lead.nurture_enrolment_id)
        lead.description = "no demo after all"
        self.assertEqual(lead.grade_id, self.grades["C"])
        self.assertEqual(len(lead.nurture_enrolment_ids), 2)
        self.assertEqual(lead.nurture_enrolment_id.state, "active")

    def test_taken_off_by_hand(self):
        lead = self._lead()
        lead.with_user(self.user_qualifier).action_nurture_stop()
        self.assertEqual(lead.nurture_enrolment_ids.exit_reason, "manual")


class TestNurtureConfiguration(NurtureCommon):

    def test_bad_steps_are_refused(self):
        Step = self.env["lead.nurture.step"]
        partner_template = self.env["mail.template"].create({
            "name": "For partners", "model_id": self.env.ref("base.model_res_partner").id})
        for values, message in (
            ({"action": "email"}, "choose its template"),
            ({"action": "email", "mail_template_id": partner_template.id}, "not for leads"),
            ({"action": "activity"}, "choose its type"),
            ({"action": "stage"}, "choose the stage"),
            ({"action": "rescore", "delay": -1}, "negative"),
        ):
            with self.subTest(values=values), self.assertRaisesRegex(ValidationError, message), \
                    self.env.cr.savepoint():
                Step.create({"track_id": self.track.id, "name": "Bad", **values})
        self.assertFalse(Step.search([("name", "=", "Bad")]))

    def test_grade_and_inactive_track(self):
        with self.assertRaisesRegex(ValidationError, "still enrols"), self.env.cr.savepoint():
            self.track.active = False
        spare = self.env["lead.nurture.track"].create({
            "name": "Spare", "step_ids": [(0, 0, {"name": "Rescore", "action": "rescore"})]})
        spare.active = False
        with self.assertRaisesRegex(ValidationError, "archived track"), self.env.cr.savepoint():
            self.grades["B"].nurture_track_id = spare
        self.assertFalse(self.grades["B"].nurture_track_id)

    def test_crm_style_leads_are_not_nurtured(self):
        """A lead in a team without qualifying reps is crm's, not marketing's: no track."""
        direct = self.env["crm.team"].create({"name": "Direct"})
        lead = self._lead(team_id=direct.id, qualifier_id=False)
        self.assertFalse(lead.qualifier_id)
        self.assertFalse(lead.nurture_enrolment_id)

    def test_one_batch_of_the_job_is_bounded(self):
        with self.frozen_at("2026-03-02 09:00:00"):
            leads = self.env["crm.lead"].create([{
                "name": f"Batch {index}", "type": "lead", "team_id": self.team.id, "user_id": False,
                "qualifier_id": self.user_qualifier.id, "email_from": f"batch{index}@example.com",
                "phone": "+32470000000"} for index in range(20)])
        self.assertEqual(len(leads.nurture_enrolment_id), 20)
        self.env.flush_all()
        self.env.invalidate_all()
        # 52 measured: a fixed cost for the batch, not one per lead (the blacklist and the person's consent on
        # other leads are one query each for the whole batch; the chunk's lock in a savepoint; a second look for
        # steps made due at once; the lock of the grades' "enrol pending" flags, in a savepoint). Through Email
        # Marketing's engine: its bridge's test.
        with self.frozen_at("2026-03-03 09:00:00"), self.assertQueryCount(__system__=52):
            # One chunk (the ids of the steps may straddle two of the default size).
            self.env["crm.lead"]._cron_nurture(batch_size=10 ** 9)
            self.env.cr.flush()
        self.assertEqual(set(leads.nurture_enrolment_id.trace_ids.mapped("state")), {"done", "scheduled"})


class TestConsentHolds(NurtureCommon):
    """No nurture e-mail to a person who refused marketing e-mails, nor to an address not checked against the
    blacklist (only the blacklist, on the first address of the lead, stopped them)."""

    def _mails(self, lead):
        return self.env["mail.mail"].search([("model", "=", "crm.lead"), ("res_id", "=", lead.id)])

    def _run_first_step(self, lead):
        trace = self._traces(lead)[:1]
        self.assertEqual(trace.step_id.action, "email")
        self.env.flush_all()
        self.env.cr.execute("UPDATE lead_nurture_trace SET scheduled_date = now() AT TIME ZONE 'UTC' "
                            "- interval '1 minute' WHERE id = %s", [trace.id])
        self.env.invalidate_all()
        self._cron()
        return trace

    def test_refused_consent_is_never_nurtured(self):
        refused = self._lead(marketing_consent="refused")
        self.assertFalse(refused.nurture_enrolment_id)
        lead = self._lead(email_from="later@example.com")
        self.assertTrue(lead.nurture_enrolment_id)
        lead.with_user(self.user_qualifier).marketing_consent = "refused"
        self.assertFalse(lead.nurture_enrolment_id)
        self.assertEqual(lead.nurture_enrolment_ids.exit_reason, "opted_out")

    def test_refused_consent_stops_a_due_email(self):
        lead = self._lead()
        self.env.flush_all()
        self.env.cr.execute("UPDATE crm_lead SET marketing_consent = 'refused' WHERE id = %s", [lead.id])
        self.env.invalidate_all()
        trace = self._run_first_step(lead)
        self.assertEqual(trace.state, "skipped")
        self.assertFalse(self._mails(lead))

    def test_every_address_is_checked_against_the_blacklist(self):
        lead = self._lead(email_from="nina@example.com, nina.private@example.com")
        self.env["mail.blacklist"].sudo()._add("nina.private@example.com")
        trace = self._run_first_step(lead)
        self.assertEqual(trace.state, "skipped")
        self.assertIn("nina.private@example.com", trace.note)
        self.assertFalse(self._mails(lead))
        self.assertFalse(lead.nurture_enrolment_id)

    def test_consent_refused_on_another_lead_of_the_person_holds(self):
        """Review of issue 17: consent was read on the nurtured lead only; the person who refused on one lead got
        the e-mails of another lead with the same address, where nobody had asked. The latest statement counts."""
        refused = self._lead(email_from="Rita <rita@example.com>", marketing_consent="refused")
        self.assertFalse(refused.nurture_enrolment_id)
        lead = self._lead(email_from="rita@example.com")
        trace = self._run_first_step(lead)
        self.assertEqual(trace.state, "skipped")
        self.assertIn("refused marketing e-mails on another lead", trace.note)
        self.assertFalse(self._mails(lead))
        self.assertFalse(lead.nurture_enrolment_id)
        # Stated again, given this time, on a later lead: the person agrees now.
        self._lead(email_from="rita@example.com", marketing_consent="given")
        again = self._lead(email_from="rita@example.com")
        self.assertEqual(self._run_first_step(again).state, "done")
        self.assertTrue(self._mails(again))

    def test_consent_is_each_companys_own(self):
        """Review of issue 17: the latest statement was read across every company of the leads being sent to: a
        later "given" to another company of the database overrode the refusal this company had, and the person
        got this company's e-mails."""
        other = self.env["res.company"].create({"name": "Other Co", "nurture_working_hours": False})
        self.user_qualifier.company_ids |= other
        self._lead(email_from="rex@example.com", marketing_consent="refused")
        theirs = self._lead(name="Rex at Other Co", email_from="rex@example.com", company_id=other.id, team_id=False,
                            marketing_consent="given")
        lead = self._lead(email_from="rex@example.com")
        # Both due in one run of the shared track.
        traces = self._traces(theirs)[:1] | self._traces(lead)[:1]
        self.assertEqual(len(traces), 2)
        self.env.flush_all()
        self.env.cr.execute("UPDATE lead_nurture_trace SET scheduled_date = now() AT TIME ZONE 'UTC' "
                            "- interval '1 minute' WHERE id = ANY(%s)", [traces.ids])
        self.env.invalidate_all()
        self._cron()
        self.assertEqual(traces.mapped("state"), ["done", "skipped"], "each company's own consent")
        self.assertFalse(self._mails(lead))
        self.assertTrue(self._mails(theirs))

    def test_template_recipients_are_checked_too(self):
        partner = self.env["res.partner"].create({"name": "Nina's boss", "email": "boss@example.com"})
        self.template.partner_to = str(partner.id)
        self.env["mail.blacklist"].sudo()._add("boss@example.com")
        lead = self._lead()
        trace = self._run_first_step(lead)
        self.assertEqual(trace.state, "skipped")
        self.assertFalse(self._mails(lead))
        # With the boss off the blacklist, the e-mail goes.
        self.env["mail.blacklist"].sudo()._remove("boss@example.com")
        other = self._lead(email_from="other@example.com")
        self.assertEqual(self._run_first_step(other).state, "done")
        self.assertTrue(self._mails(other))


class TestNurtureSendingTimes(NurtureCommon):
    """Nurture e-mails go out in the lead's working hours and no more often than the company's weekly limit
    (issue 18). 2026-03-02 is a Monday; Madrid is UTC+1 and Tokyo UTC+9 in March."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.office = cls.env["resource.calendar"].create({
            "name": "Office 9-17", "tz": "Europe/Brussels", "company_id": cls.company.id,
            "attendance_ids": [(0, 0, {"name": f"Day {day}", "dayofweek": str(day), "hour_from": 9, "hour_to": 17,
                                       "day_period": "morning"}) for day in range(5)]})
        cls.company.write({"resource_calendar_id": cls.office.id, "nurture_working_hours": True})

    def _mails(self, lead):
        return self.env["mail.mail"].search([("model", "=", "crm.lead"), ("res_id", "=", lead.id)])

    def test_held_until_the_leads_working_hours(self):
        with self.frozen_at("2026-03-02 06:00:00"):
            madrid = self._lead(country_id=self.env.ref("base.es").id, email_from="ana@madrid.example.com")
            tokyo = self._lead(country_id=self.env.ref("base.jp").id, email_from="kenji@tokyo.example.com")
        with self.frozen_at("2026-03-03 06:00:00"):  # 07:00 in Madrid, 15:00 in Tokyo
            self._cron()
        self.assertEqual(len(self._mails(tokyo)), 1, "15:00 in Tokyo: sent")
        self.assertFalse(self._mails(madrid), "07:00 in Madrid: held")
        held = self._traces(madrid)
        self.assertEqual((held.state, held.scheduled_date), ("scheduled", datetime(2026, 3, 3, 8, 0)))
        self.assertIn("Europe/Madrid", held.note)
        self.assertEqual(madrid.nurture_next_date, datetime(2026, 3, 3, 8, 0))
        with self.frozen_at("2026-03-03 08:00:00"):
            self._cron()
        self.assertEqual(len(self._mails(madrid)), 1)
        self.assertEqual([trace.state for trace in self._traces(madrid)], ["done", "scheduled"],
                         "the track goes on after the held e-mail, not before")

    def test_a_weekend_waits_for_monday_and_the_setting_lets_it_go(self):
        with self.frozen_at("2026-03-06 10:00:00"):  # Friday
            lead = self._lead(country_id=self.env.ref("base.es").id)
        with self.frozen_at("2026-03-07 10:00:00"):  # Saturday
            self._cron()
        self.assertFalse(self._mails(lead))
        self.assertEqual(self._traces(lead).scheduled_date, datetime(2026, 3, 9, 8, 0), "Monday 09:00 in Madrid")
        with self.frozen_at("2026-03-09 08:00:00"):
            self._cron()
        self.assertEqual(len(self._mails(lead)), 1)
        # Without the setting, a Saturday's e-mail goes on Saturday.
        self.company.nurture_working_hours = False
        with self.frozen_at("2026-03-13 10:00:00"):
            other = self._lead(country_id=self.env.ref("base.es").id, email_from="luis@madrid.example.com")
        with self.frozen_at("2026-03-14 10:00:00"):
            self._cron()
        self.assertEqual(len(self._mails(other)), 1)

    def test_weekly_limit_per_address_across_tracks(self):
        self.company.write({"nurture_working_hours": False, "nurture_weekly_cap": 2})
        steps = [(0, 0, {"sequence": day, "name": f"E-mail {day}", "action": "email", "delay": 1,
                         "mail_template_id": self.template.id}) for day in (1, 2, 3)]
        self.track.step_ids = steps + [(2, step.id) for step in self.track.step_ids]
        with self.frozen_at("2026-03-02 09:00:00"):
            lead = self._lead()
        for day in (3, 4, 5):
            with self.frozen_at(f"2026-03-0{day} 09:00:00"):
                self._cron()
        self.assertEqual(len(self._mails(lead)), 2, "the third e-mail of the week waits")
        third = self._traces(lead)[-1]
        self.assertEqual((third.state, third.scheduled_date), ("scheduled", datetime(2026, 3, 10, 9, 0)),
                         "until the first of the two is 7 days old")
        self.assertIn("limit is 2", third.note)
        # An hour before that moment, still held; at that moment, sent.
        with self.frozen_at("2026-03-10 08:00:00"):
            self._cron()
        self.assertEqual(len(self._mails(lead)), 2)
        with self.frozen_at("2026-03-10 09:00:00"):
            self._cron()
        self.assertEqual(len(self._mails(lead)), 3)
        self.assertEqual(self._traces(lead)[-1].state, "done")

    def test_every_track_of_the_address_counts_against_its_limit(self):
        self.company.write({"nurture_working_hours": False, "nurture_weekly_cap": 1})
        awareness = self.env["lead.nurture.track"].create({"name": "Grade D: awareness", "step_ids": [
            (0, 0, {"sequence": 1, "name": "Newsletter", "action": "email", "mail_template_id": self.template.id,
                    "delay": 1, "delay_unit": "days", "delay_from": "enrolment"})]})
        self.grades["D"].nurture_track_id = awareness
        with self.frozen_at("2026-03-02 09:00:00"):
            lead = self._lead()
            twin = self._lead(name="Nina's second form", phone=False)
        self.assertEqual((lead.nurture_enrolment_id.track_id, twin.nurture_enrolment_id.track_id),
                         (self.track, awareness))
        with self.frozen_at("2026-03-03 09:00:00"):
            self._cron()
        self.assertEqual((len(self._mails(lead)), len(self._mails(twin))), (1, 0),
                         "one marketing e-mail a week to the address, whichever track sends it")
        held = self._traces(twin)
        self.assertEqual((held.state, held.scheduled_date), ("scheduled", datetime(2026, 3, 10, 9, 0)))
        self.assertIn("limit is 1", held.note)

    def test_two_leads_of_one_address_in_one_run_share_the_limit(self):
        self.company.write({"nurture_working_hours": False, "nurture_weekly_cap": 1})
        with self.frozen_at("2026-03-02 09:00:00"):
            first = self._lead(email_from="shared@example.com")
            second = self._lead(email_from="Shared <SHARED@example.com>", phone="+32470000001")
        with self.frozen_at("2026-03-03 09:00:00"):
            self._cron()
        self.assertEqual(len(self._mails(first) | self._mails(second)), 1)
        self.assertEqual(self._traces(second)[:1].scheduled_date, datetime(2026, 3, 10, 9, 0))

    def test_settings_are_refused_when_absurd(self):
        with self.assertRaisesRegex(IntegrityError, "nurture_weekly_cap_positive"), self.env.cr.savepoint(), \
                mute_logger("odoo.sql_db"):
            self.company.nurture_weekly_cap = -1
            self.env.flush_all()


class TestNurtureWaitsForSignals(NurtureCommon):
    """A step waits for what the lead does, with a time-out, and goes one way or the other (issue 18)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.clicked = cls.env["lead.engagement.type"].create({"name": "Clicked (test)", "code": "test_click",
                                                              "points": 0})
        cls.visited = cls.env["lead.engagement.type"].create({"name": "Visited (test)", "code": "test_visit",
                                                              "points": 0})
        Step = cls.env["lead.nurture.step"]
        old_steps = cls.track.step_ids
        cls.invite = Step.create({"track_id": cls.track.id, "sequence": 1, "name": "Invite", "action": "email",
                                  "mail_template_id": cls.template.id, "delay": 0})
        cls.wait = Step.create({"track_id": cls.track.id, "sequence": 2, "name": "Clicked?", "action": "wait",
                                "delay": 3, "wait_type_ids": [(6, 0, cls.clicked.ids)]})
        cls.reminder = Step.create({"track_id": cls.track.id, "sequence": 3, "name": "Reminder", "action": "email",
                                    "mail_template_id": cls.template.id, "delay": 0})
        cls.call = Step.create({"track_id": cls.track.id, "sequence": 4, "name": "Call", "action": "activity",
                                "delay": 0, "activity_type_id": cls.env.ref("mail.mail_activity_data_call").id,
                                "activity_summary": "They clicked: call them"})
        cls.wait.signal_step_id = cls.call
        old_steps.unlink()

    def _signal(self, lead, event_type, date):
        self.env["lead.engagement.event"]._record_events([{"lead_id": lead.id, "type": event_type, "date": date,
                                                           "note": "Clicked “Pricing” in “Invite”"}])

    def _steps(self, lead):
        return [(trace.step_id.name, trace.state) for trace in self._traces(lead)]

    def test_a_signal_in_time_takes_the_signal_branch(self):
        with self.frozen_at("2026-03-02 09:00:00"):
            lead = self._lead()
            self._cron()  # the invitation goes out; the wait begins, up to Thursday
            wait = self._traces(lead)[-1]
            self.assertEqual((wait.step_id, wait.scheduled_date), (self.wait, datetime(2026, 3, 5, 9, 30)),
                             "its time-out, decided half an hour later (the bridges' jobs record what came before)")
        with self.frozen_at("2026-03-03 10:00:00"):
            self._signal(lead, self.visited, "2026-03-03 10:00:00")  # not what it waits for
            self.assertFalse(wait.signal_event_id)
            self._signal(lead, self.clicked, "2026-03-03 10:00:00")
            self.assertEqual(wait.scheduled_date, datetime(2026, 3, 3, 10, 0), "ends now, not at its time-out")
            self._cron()
            self._cron()
        self.assertEqual(self._steps(lead), [("Invite", "done"), ("Clicked?", "done"), ("Call", "done")])
        self.assertIn("signal: Clicked “Pricing”", wait.note)
        self.assertTrue(lead.activity_ids.filtered(lambda act: act.summary == "They clicked: call them"))
        self.assertEqual(lead.nurture_enrolment_ids.exit_reason, "finished")

    def test_no_signal_times_out_to_the_next_step_or_ends(self):
        with self.frozen_at("2026-03-02 09:00:00"):
            lead = self._lead()
            self._cron()
            # A click dated before the wait began is not a signal for it.
            self._signal(lead, self.clicked, "2026-03-02 08:00:00")
        with self.frozen_at("2026-03-05 09:29:00"):
            self._cron()
        self.assertEqual(self._steps(lead)[-1], ("Clicked?", "scheduled"))
        with self.frozen_at("2026-03-05 09:30:00"):
            self._cron()
            self._cron()
        self.assertEqual(self._steps(lead)[1:3], [("Clicked?", "done"), ("Reminder", "done")])
        self.assertIn("no signal", self._traces(lead)[1].note)
        # Ending the track on time-out.
        self.wait.timeout_action = "finish"
        with self.frozen_at("2026-03-09 09:00:00"):
            other = self._lead(email_from="other@example.com", phone="+32470000002")
            self._cron()
        with self.frozen_at("2026-03-12 09:30:00"):
            self._cron()
        self.assertEqual(self._steps(other), [("Invite", "done"), ("Clicked?", "done")])
        self.assertEqual(other.nurture_enrolment_ids.exit_reason, "finished")

    def test_bad_waits_are_refused(self):
        Step = self.env["lead.nurture.step"]
        for values, message in (
            ({"delay": 2}, "choose the signals"),
            ({"delay": 0, "wait_type_ids": [(6, 0, self.clicked.ids)]}, "time-out"),
            ({"delay": 2, "wait_type_ids": [(6, 0, self.clicked.ids)], "signal_step_id": self.invite.id},
             "later step"),
            ({"delay": 2, "wait_type_ids": [(6, 0, self.clicked.ids)], "timeout_action": "step"}, "choose the step"),
        ):
            with self.subTest(values=values), self.assertRaisesRegex(ValidationError, message), \
                    self.env.cr.savepoint():
                Step.create({"track_id": self.track.id, "sequence": 3, "name": "Bad wait", "action": "wait",
                             **values})
        # Moving the target before the wait is refused too.
        with self.assertRaisesRegex(ValidationError, "later step"), self.env.cr.savepoint():
            self.call.sequence = 1

    def test_time_out_to_a_step_a_late_recorded_signal_and_a_future_one(self):
        self.wait.write({"timeout_action": "step", "timeout_step_id": self.call.id})
        with self.frozen_at("2026-03-02 09:00:00"):
            lead = self._lead()
            other = self._lead(email_from="other@example.com", phone="+32470000003")
            self._cron()
            # Dated in the future: no signal (a wait ends on what the lead did, by its time-out).
            self._signal(other, self.clicked, "2026-03-20 09:00:00")
        with self.frozen_at("2026-03-05 09:20:00"):
            # A bridge's job records, just after the time-out (09:00), a click made before it: the signal branch.
            self._signal(lead, self.clicked, "2026-03-05 08:55:00")
            # ... and a click made after the time-out: no signal.
            self._signal(other, self.clicked, "2026-03-05 09:05:00")
        with self.frozen_at("2026-03-05 09:30:00"):
            self._cron()
            self._cron()
        self.assertEqual(self._steps(lead), [("Invite", "done"), ("Clicked?", "done"), ("Call", "done")])
        self.assertIn("signal", self._traces(lead)[1].note)
        self.assertEqual(self._steps(other), [("Invite", "done"), ("Clicked?", "done"), ("Call", "done")],
                         "timed out: straight to the call, no reminder")
        self.assertIn("no signal", self._traces(other)[1].note)

    def test_a_branch_target_cannot_be_deleted_alone(self):
        with self.assertRaisesRegex(ValidationError, "change that step first"), self.env.cr.savepoint():
            self.call.unlink()
        (self.wait | self.call).unlink()  # both at once: fine
        self.assertFalse(self.wait.exists())
