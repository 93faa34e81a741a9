# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The closed loop on the real apps (issue 18): one lead visits the website, clicks a mailing through its tracked
URL, registers for an event and attends it; each bridge's job scores it by the configured points, and the
qualifying rep sees on the lead's form what each event was."""
import uuid
from datetime import timedelta

from odoo import fields
from odoo.tests import tagged

from odoo.addons.lead_management.tests.common import LeadManagementHttpCase

from .test_entry_points import FullCommon

NOW = "2026-03-02 12:00:00"
CHECKPOINTS = ("lead_management_event.signals_checkpoint", "lead_management_mass_mailing.signals_checkpoint",
               "lead_management_website.signals_checkpoint")


@tagged("post_install", "-at_install")
class TestClosedLoop(LeadManagementHttpCase, FullCommon):
    readonly_enabled = False

    def _points(self, xmlid, points, daily_cap=0):
        engagement_type = self.env.ref(xmlid)
        engagement_type.write({"points": points, "daily_cap": daily_cap, "active": True})
        return engagement_type

    def test_every_channel_scores_the_lead_and_the_rep_sees_why(self):
        expected = {
            self._points("lead_management_website.engagement_type_pricing_page_view", 5, daily_cap=15): 15,
            self._points("lead_management.engagement_type_email_click", 6): 6,
            self._points("lead_management_mass_mailing.engagement_type_email_open", 2): 2,
            self._points("lead_management_event.engagement_type_event_registration", 10): 10,
            self._points("lead_management_event.engagement_type_event_attendance", 25): 25,
        }
        self.env["event.lead.rule"].search([]).active = False
        for checkpoint in CHECKPOINTS:
            self.env["ir.config_parameter"].set_param(checkpoint, False)
        with self.frozen_at(NOW):
            now = fields.Datetime.now()
            lead = self.env["crm.lead"].create({
                "name": "Ada at Acme reads everything", "type": "lead", "team_id": self.team.id, "user_id": False,
                "qualifier_id": self.user_qualifier.id, "email_from": "Ada <ada@acme.example.com>",
                "contact_name": "Ada"})
            fit = lead.lead_score
            # The website: four views of the pricing page (the daily cap keeps three of them).
            visitor = self.env["website.visitor"].create({
                "access_token": uuid.uuid4().hex, "website_id": self.env["website"].search([], limit=1).id,
                "lead_ids": [(6, 0, lead.ids)]})
            self.env["website.track"].create([{"visitor_id": visitor.id, "url": "https://www.example.com/pricing",
                                               "visit_datetime": now - timedelta(minutes=minutes)}
                                              for minutes in (40, 30, 20, 10)])
            # A mailing: Ada clicks its link as it went out (the tracked URL), which opens it too.
            mailing = self.env["mailing.mailing"].create({
                "name": "Spring webinar", "subject": "Spring webinar", "mailing_type": "mail",
                "mailing_model_id": self.env["ir.model"]._get_id("crm.lead"),
                "mailing_domain": repr([("id", "=", lead.id)]),
                "body_html": '<p>See our <a href="https://www.example.com/pricing">Pricing</a>.</p>'})
            mailing.action_send_mail()
            mailing.mailing_trace_ids.mail_mail_id.send()
            link = self.env["link.tracker"].search([("mass_mailing_id", "=", mailing.id)])
            response = self.url_open(f"/r/{link.code}/m/{mailing.mailing_trace_ids.id}", allow_redirects=False)
            self.assertIn(response.status_code, (301, 302, 303))
            # An event: registered, then checked in.
            event = self.env["event.event"].create({
                "name": "Lead Management Meetup", "date_tz": "UTC", "date_begin": now - timedelta(hours=1),
                "date_end": now + timedelta(hours=2)})
            registration = self.env["event.registration"].create({
                "event_id": event.id, "name": "Ada", "email": "ada@acme.example.com"})
            registration.action_set_done()
            self.assertEqual(lead.engagement_score, 0, "never in the request of the view, the click or the check-in")
            self.env["website.track"]._cron_lead_signals()
            self.env["mailing.trace"]._cron_lead_signals()
            self.env["event.registration"]._cron_lead_signals()
            lines = {line["type_id"]: line for line in lead.get_score_breakdown()["engagement"]}
            # (minutes of decay: a hundredth of a point at most)
            self.assertEqual({engagement_type: round(lines[engagement_type.id]["score"], 1)
                              for engagement_type in expected if engagement_type.id in lines}, expected)
            self.assertAlmostEqual(lead.engagement_score, sum(expected.values()), delta=0.05)
            self.assertAlmostEqual(lead.lead_score, fit + sum(expected.values()), delta=0.5)
            self.start_tour("/odoo", "lead_management_channel_events_tour", login="lm_qualifier")

    def test_a_channel_event_regrades_through_the_pipeline(self):
        """The regrade a bridge's batch causes runs the pipeline as any other: a lead made A by attending an event is
        promoted by the stage's score criteria and handed off to sales, in the job's batch (one INSERT of its
        events)."""
        self._points("lead_management_event.engagement_type_event_registration", 0)
        self._points("lead_management_event.engagement_type_event_attendance", 25)
        self.env["event.lead.rule"].search([]).active = False
        self.env["ir.config_parameter"].set_param("lead_management_event.signals_checkpoint", False)
        self._stage("qualified").entry_domain = "[('lead_score', '>=', 70)]"
        self._set_company(lead_auto_handoff=True)
        germany = self.env.ref("base.de")
        with self.frozen_at(NOW):
            now = fields.Datetime.now()
            leads = self.env["crm.lead"].create([{
                "name": f"Engineer {index} at Kraftwerk", "type": "lead", "team_id": self.team.id, "user_id": False,
                "email_from": f"engineer{index}@kraftwerk.example.com", "phone": f"+49 30 901820{index}",
                "country_id": germany.id} for index in range(2)])
            self.assertEqual(leads.mapped("lead_score"), [45, 45], "a phone (20) and Germany (25): grade B")
            self.assertEqual(set(leads.mapped("grade_id.name")), {"B"})
            event = self.env["event.event"].create({
                "name": "Energy Summit", "date_tz": "UTC", "date_begin": now - timedelta(hours=3),
                "date_end": now - timedelta(hours=1)})
            registrations = self.env["event.registration"].create([{
                "event_id": event.id, "name": lead.name, "email": lead.email_from} for lead in leads])
            registrations.action_set_done()
            self.env["event.registration"]._cron_lead_signals()
        for lead in leads:
            with self.subTest(lead=lead.name):
                self.assertEqual((lead.lead_score, lead.grade_id.name), (70, "A"))
                self.assertEqual(lead.lifecycle_stage_id, self._stage("qualified"))
                self.assertEqual(lead.handoff_state, "pending")
                self.assertTrue(lead.user_id, "a salesperson of the team has it")
