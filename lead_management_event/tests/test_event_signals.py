# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Registrations, attendance and no-shows of Odoo's events score the lead (issue 18): the lead event_crm's rule
created for the registration, or the open lead with the same e-mail address; each signal once; a type an admin
archived is not recorded."""
from datetime import timedelta

from odoo import fields
from odoo.tests import tagged

from odoo.addons.lead_management.tests.common import LeadManagementCommon

from ..models.event_registration import CHECKPOINT

NOW = "2026-03-04 10:00:00"


@tagged("post_install", "-at_install")
class TestEventSignals(LeadManagementCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.enterClassContext(cls.frozen_at(NOW))
        # The job's first run reads the last 30 days of the fixed clock (not from the install's real-time run).
        cls.env["ir.config_parameter"].set_param(CHECKPOINT, False)
        now = fields.Datetime.now()
        cls.event = cls.env["event.event"].create({
            "name": "Spring webinar", "date_begin": now - timedelta(hours=2), "date_end": now + timedelta(hours=2),
            "date_tz": "UTC"})
        cls.past_event = cls.env["event.event"].create({
            "name": "Winter meetup", "date_begin": now - timedelta(days=3), "date_end": now - timedelta(days=2),
            "date_tz": "UTC"})
        cls.env["event.lead.rule"].search([]).active = False
        cls.rule = cls.env["event.lead.rule"].create({
            "name": "A lead per attendee of the spring webinar", "lead_creation_basis": "attendee",
            "lead_creation_trigger": "create", "event_id": cls.event.id, "lead_type": "lead",
            "lead_sales_team_id": cls.team.id})

    def _cron(self):
        self.env["event.registration"]._cron_lead_signals()

    def _events(self, lead, code=None):
        domain = [("lead_id", "=", lead.id), ("type_id.code", "like", "event_")]
        if code:
            domain.append(("type_id.code", "=", code))
        return self.env["lead.engagement.event"].search(domain)

    def test_registered_then_attended_on_the_lead_the_registration_created(self):
        registration = self.env["event.registration"].create({
            "event_id": self.event.id, "name": "Ada Acme", "email": "ada.webinar@acme.example.com"})
        lead = registration.lead_ids
        self.assertEqual(len(lead), 1, "event_crm's rule made the lead")
        before = lead.engagement_score
        self._cron()
        self.assertEqual(self._events(lead).mapped("type_id.code"), ["event_registration"])
        self.assertIn("Spring webinar", self._events(lead).note)
        self.assertGreater(lead.engagement_score, before)
        registration.action_set_done()
        self._cron()
        self._cron()  # a run that finds it again records nothing more
        self.assertEqual(sorted(self._events(lead).mapped("type_id.code")), ["event_attendance", "event_registration"])

    def test_the_open_lead_with_the_same_address_and_no_shows(self):
        lead = self._create_leads(1, email_from="Grace <grace@hopper.example.com>")
        registration = self.env["event.registration"].create({
            "event_id": self.past_event.id, "name": "Grace", "email": "GRACE@hopper.example.com"})
        self.assertFalse(registration.lead_ids, "no rule for this event")
        self._cron()
        self.assertEqual(sorted(self._events(lead).mapped("type_id.code")), ["event_no_show", "event_registration"])
        # Someone nobody has a lead for: nothing, and no lead made up.
        self.env["event.registration"].create({"event_id": self.past_event.id, "name": "Nobody",
                                               "email": "nobody@example.com"})
        count = self.env["crm.lead"].search_count([])
        self._cron()
        self.assertEqual(self.env["crm.lead"].search_count([]), count)

    def test_an_archived_type_is_not_recorded(self):
        self.env.ref("lead_management_event.engagement_type_event_registration").active = False
        registration = self.env["event.registration"].create({
            "event_id": self.event.id, "name": "Ada", "email": "ada.archived@acme.example.com"})
        self.assertTrue(registration.lead_ids)
        self._cron()
        self.assertFalse(self._events(registration.lead_ids))
