# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""With Email Marketing installed, nurture e-mails are sent through its engine (issue 18): a trace per lead, tracked
links, and what the recipient does scores the lead and ends a wait for that signal; mailings count against the
weekly limit of marketing e-mails."""
from datetime import datetime

from odoo.exceptions import UserError
from odoo.tests import HttpCase, tagged

from odoo.addons.lead_management.tests.test_nurture import NurtureCommon
from odoo.addons.lead_management_mass_mailing.models.mailing_trace import CHECKPOINT
from odoo.addons.mail.tests.common import mail_new_test_user


@tagged("post_install", "-at_install")
class TestNurtureThroughMailings(HttpCase, NurtureCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.template.body_html = ('<p>Dear {{ object.contact_name }}, see our '
                                  '<a href="https://www.example.com/pricing">Pricing</a>.</p>')
        Step = cls.env["lead.nurture.step"]
        old_steps = cls.track.step_ids
        cls.invite = Step.create({"track_id": cls.track.id, "sequence": 1, "name": "Invite", "action": "email",
                                  "mail_template_id": cls.template.id, "delay": 0})
        cls.wait = Step.create({
            "track_id": cls.track.id, "sequence": 2, "name": "Clicked?", "action": "wait", "delay": 3,
            "wait_type_ids": [(6, 0, cls.env.ref("lead_management.engagement_type_email_click").ids)],
            "timeout_action": "finish"})
        cls.call = Step.create({"track_id": cls.track.id, "sequence": 3, "name": "Call", "action": "activity",
                                "delay": 0, "activity_type_id": cls.env.ref("mail.mail_activity_data_call").id,
                                "activity_summary": "They clicked Pricing: call them"})
        old_steps.unlink()

    def _batch_queries(self, count):
        """Queries of one run of the nurture job sending the e-mail step to ``count`` leads enrolled the day before."""
        with self.frozen_at("2026-03-02 09:00:00"):
            leads = self.env["crm.lead"].create([{
                "name": f"Batch {index}", "type": "lead", "team_id": self.team.id, "user_id": False,
                "qualifier_id": self.user_qualifier.id, "email_from": f"batch{count}.{index}@example.com",
                "phone": "+32470000000"} for index in range(count)])
        self.assertEqual(len(leads.nurture_enrolment_id), count)
        self.env.flush_all()
        self.env.invalidate_all()
        with self.frozen_at("2026-03-03 09:00:00"):
            before = self.env.cr.sql_log_count
            # One chunk (the ids of the steps may straddle two of the default size).
            self.env["crm.lead"]._cron_nurture(batch_size=10 ** 9)
            self.env.cr.flush()
            queries = self.env.cr.sql_log_count - before
        self.assertEqual(len(self.invite.mailing_id.mailing_trace_ids.filtered(
            lambda trace: trace.res_id in leads.ids)), count)
        return queries

    def test_one_batch_through_the_engine_is_bounded(self):
        """Through Email Marketing's engine (the step's mailing, its links, a trace per lead, the ones it cancelled)
        one run of the job has a fixed cost per batch; per lead, only Email Marketing's own look-up of each tracked
        link in the e-mail it renders for that lead (as for any of its mailings)."""
        self._batch_queries(1)  # the step's mailing and its links, made once
        twenty, forty = self._batch_queries(20), self._batch_queries(40)
        links = self.env["link.tracker"].search_count([("mass_mailing_id", "=", self.invite.mailing_id.id)])
        self.assertEqual(links, 1)
        self.assertEqual(forty - twenty, 20 * links, "per lead: Email Marketing's link look-up, nothing of ours")
        self.assertLessEqual(twenty, 94, "94 measured for 20 leads: 74 for the batch, 20 link look-ups")

    def _mail(self, lead):
        return self.env["mail.mail"].search([("model", "=", "crm.lead"), ("res_id", "=", lead.id)])

    def test_sent_with_a_trace_and_tracked_links_and_a_click_ends_the_wait(self):
        with self.frozen_at("2026-03-02 09:00:00"):
            lead = self._lead()
            self._cron()
        mailing = self.invite.mailing_id
        self.assertTrue(mailing, "the step's mailing in Email Marketing")
        self.assertEqual((mailing.state, mailing.mailing_model_real), ("done", "crm.lead"),
                         "never to be sent to every lead from Email Marketing")
        trace = mailing.mailing_trace_ids
        self.assertEqual((trace.model, trace.res_id, trace.email), ("crm.lead", lead.id, "nurtured@example.com"))
        mail = self._mail(lead)
        self.assertEqual((mail.nurture_step_id, mail.mailing_id), (self.invite, mailing))
        link = self.env["link.tracker"].search([("mass_mailing_id", "=", mailing.id)])
        self.assertEqual(link.url, "https://www.example.com/pricing")
        self.assertIn(f"/r/{link.code}", mail.body_html, "the link is tracked")
        # As it goes out: the nurture unsubscribe link, once, and its headers (not mass mailing's).
        [outgoing] = mail._prepare_outgoing_list()
        self.assertIn("/lead_management/unsubscribe?", outgoing["headers"]["List-Unsubscribe"])
        self.assertEqual(outgoing["body"].count("/lead_management/unsubscribe?"), 1)
        self.assertIn(f"/r/{link.code}/m/{trace.id}", outgoing["body"])
        with self.frozen_at("2026-03-02 09:05:00"):
            mail.send()
        self.assertEqual(trace.trace_status, "sent")
        # The tracked URL is public: another mailing's link on this trace is nobody's click.
        newsletter = self.env["mailing.mailing"].create({
            "name": "Other", "subject": "Other", "mailing_model_id": self.env["ir.model"]._get_id("crm.lead"),
            "mailing_domain": "[('id', '=', 0)]", "body_html": "<p>Other</p>"})
        other_link = self.env["link.tracker"].create({"url": "https://www.example.com/other",
                                                      "mass_mailing_id": newsletter.id})
        # The reader clicks the tracked URL of the e-mail.
        with self.frozen_at("2026-03-03 10:00:00"):
            self.url_open(f"/r/{other_link.code}/m/{trace.id}", allow_redirects=False)
            response = self.url_open(f"/r/{link.code}/m/{trace.id}", allow_redirects=False)
            self.assertIn(response.status_code, (301, 302, 303))
            self.assertEqual(len(trace.links_click_ids), 2)
            self.env["ir.config_parameter"].set_param(CHECKPOINT, False)  # first run: 30 days back from this day
            self.env["mailing.trace"]._cron_lead_signals()
            click = lead.engagement_event_ids.filtered(lambda event: event.type_id.code == "email_click")
            self.assertEqual(len(click), 1)
            self.assertIn("Pricing", click.note)
            wait = self._traces(lead).filtered(lambda each: each.step_id == self.wait)
            self.assertEqual(wait.signal_event_id, click)
            self._cron()
            self._cron()
        self.assertEqual([(each.step_id.name, each.state) for each in self._traces(lead)],
                         [("Invite", "done"), ("Clicked?", "done"), ("Call", "done")])
        self.assertTrue(lead.activity_ids.filtered(lambda act: act.summary == "They clicked Pricing: call them"))
        breakdown = lead.get_score_breakdown()
        notes = [detail["note"] for line in breakdown["engagement"] for detail in line["details"]]
        self.assertTrue(any("Pricing" in note and "How Acme halved its lead loss" in note for note in notes), notes)

    def test_mailings_count_against_the_weekly_limit(self):
        self.company.write({"nurture_weekly_cap": 1})
        with self.frozen_at("2026-03-02 09:00:00"):
            lead = self._lead()
            newsletter = self.env["mailing.mailing"].create({
                "name": "Newsletter", "subject": "Newsletter", "mailing_model_id": self.env["ir.model"]._get_id(
                    "crm.lead"), "mailing_domain": repr([("id", "=", lead.id)]), "body_html": "<p>News</p>"})
            newsletter.action_send_mail()
            self.assertEqual(len(newsletter.mailing_trace_ids), 1)
            self._cron()
        self.assertFalse(self.invite.mailing_id, "the newsletter was this week's e-mail: nothing sent yet")
        held = self._traces(lead)
        self.assertEqual((held.state, held.scheduled_date), ("scheduled", datetime(2026, 3, 9, 9, 0)))

    def test_a_mailing_on_leads_skips_addresses_at_the_weekly_limit(self):
        self.company.write({"nurture_weekly_cap": 1})
        with self.frozen_at("2026-03-02 09:00:00"):
            nurtured = self._lead()
            self._cron()
        self.assertEqual(len(self.invite.mailing_id.mailing_trace_ids), 1, "this week's e-mail to nurtured@")
        with self.frozen_at("2026-03-04 09:00:00"):
            other = self._lead(name="Not nurtured", email_from="other@example.com", phone=False)
            newsletter = self.env["mailing.mailing"].create({
                "name": "Newsletter", "subject": "Newsletter", "mailing_model_id": self.env["ir.model"]._get_id(
                    "crm.lead"), "mailing_domain": repr([("id", "in", (nurtured | other).ids)]),
                "body_html": "<p>News</p>"})
            newsletter.action_send_mail()
        traces = {trace.res_id: trace for trace in newsletter.mailing_trace_ids}
        skipped = traces[nurtured.id]
        self.assertEqual((skipped.trace_status, skipped.failure_type), ("cancel", "mail_optout"),
                         "nurtured@ had its one marketing e-mail of the week")
        self.assertIn(traces[other.id].trace_status, ("outgoing", "sent"))
        # Without a limit, everyone gets it.
        self.company.write({"nurture_weekly_cap": 0})
        with self.frozen_at("2026-03-04 10:00:00"):
            again = newsletter.copy()
            again.action_send_mail()
        self.assertNotIn("cancel", again.mailing_trace_ids.mapped("trace_status"))

    def test_enrolled_again_the_lead_gets_the_email_again_and_nobody_resends_the_mailing(self):
        with self.frozen_at("2026-03-02 09:00:00"):
            lead = self._lead()
            self._cron()
            lead.action_nurture_stop()
            lead.invalidate_recordset()
            lead._nurture_enrol()
            self._cron()
        mailing = self.invite.mailing_id
        self.assertEqual(len(mailing.mailing_trace_ids.filtered(lambda trace: trace.trace_status != "cancel")), 2,
                         "a second enrolment writes again (no 'already sent' across runs)")
        invites = lead.nurture_enrolment_ids.trace_ids.filtered(lambda trace: trace.step_id == self.invite)
        self.assertEqual(invites.mapped("state"), ["done", "done"])
        # Email Marketing's users cannot turn the step's mailing into a mailing to every lead, nor point a step at
        # another mailing.
        marketing = mail_new_test_user(self.env, login="lm_marketing", groups="mass_mailing.group_mass_mailing_user")
        with self.assertRaisesRegex(UserError, "sent by a nurture step"):
            mailing.with_user(marketing).write({"mailing_domain": "[]"})
        with self.assertRaisesRegex(UserError, "sent by a nurture step"):
            mailing.with_user(marketing).action_put_in_queue()
        self.invite.with_user(self.user_lead_manager).write({"mailing_id": False})
        self.assertEqual(self.invite.mailing_id, mailing)

    def test_a_bounce_through_the_mail_gateway(self):
        with self.frozen_at("2026-03-02 09:00:00"):
            lead = self._lead()
            self._cron()
            trace = self.invite.mailing_id.mailing_trace_ids
            self._mail(lead).send()
            self.assertEqual(trace.trace_status, "sent")
            self.assertTrue(trace.message_id)
        with self.frozen_at("2026-03-02 09:05:00"):
            # The recipient's server answers with a delivery status notification (RFC 3464), read by the mail gateway.
            self.env["mail.thread"].message_process(False, BOUNCE % {"message_id": trace.message_id})
            self.assertEqual(trace.trace_status, "bounce")
            self.env["ir.config_parameter"].set_param(CHECKPOINT, False)
            before = lead.engagement_score
            self.env["mailing.trace"]._cron_lead_signals()
        bounce = lead.engagement_event_ids.filtered(lambda event: event.type_id.code == "email_bounce")
        self.assertEqual(len(bounce), 1)
        self.assertIn("nurtured@example.com", bounce.note)
        self.assertAlmostEqual(lead.engagement_score, before + bounce.type_id.points, places=2,
                               msg="a bounce costs its points (-5)")
        self.assertEqual(bounce.type_id.points, -5)
        self.assertEqual(lead.message_bounce, 1, "and flags the address (mail's bounce counter)")


BOUNCE = """From: Mail Delivery System <MAILER-DAEMON@mx.example.com>
To: nurture-sender@example.com
Subject: Undelivered Mail Returned to Sender
Message-Id: <dsn-1@mx.example.com>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="BOUNDARY"

--BOUNDARY
Content-Type: text/plain; charset=us-ascii

Your message could not be delivered: the mailbox does not exist.

--BOUNDARY
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.com

Final-Recipient: rfc822; nurtured@example.com
Action: failed
Status: 5.1.1

--BOUNDARY
Content-Type: text/rfc822-headers

Message-Id: %(message_id)s
From: sales@example.com
To: nurtured@example.com
Subject: How Acme halved its lead loss

--BOUNDARY--
"""
