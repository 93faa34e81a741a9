# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""What Odoo's email marketing records scores the lead (issue 18): opens, each click through the real tracked URL
(naming the link), replies, bounces and opt-outs of mailings on leads and on a lead's contact, each once, in batches
by the scheduled action."""
from urllib.parse import urlsplit

from odoo.tests import tagged

from odoo.addons.lead_management.tests.common import LeadManagementCommon, LeadManagementHttpCase

from ..models.mailing_trace import CHECKPOINT

NOW = "2026-03-04 10:00:00"


@tagged("post_install", "-at_install")
class TestMailingSignals(LeadManagementHttpCase, LeadManagementCommon):

    def setUp(self):
        super().setUp()
        # The job's first run reads the last 30 days of the fixed clock (not from the install's real-time run).
        self.env["ir.config_parameter"].set_param(CHECKPOINT, False)
        self.frozen = self.enterContext(self.frozen_at(NOW))

    def _mailing(self, model, records):
        mailing = self.env["mailing.mailing"].create({
            "name": "Spring webinar", "subject": "Spring webinar", "mailing_type": "mail",
            "mailing_model_id": self.env["ir.model"]._get_id(model),
            "mailing_domain": repr([("id", "in", records.ids)]),
            "body_html": '<p>Hello, see our <a href="https://www.example.com/pricing">Pricing</a>.</p>',
        })
        mailing.action_send_mail()
        traces = mailing.mailing_trace_ids
        self.assertEqual(len(traces), len(records))
        traces.mail_mail_id.send()  # gone out (the test mail server): a reader can click it now
        self.assertEqual(set(traces.mapped("trace_status")), {"sent"})
        return mailing, traces

    def _cron(self):
        self.env["mailing.trace"]._cron_lead_signals()

    def _events(self, lead):
        return self.env["lead.engagement.event"].search([("lead_id", "=", lead.id)], order="id")

    def test_opens_clicks_and_bounces_of_a_mailing_on_leads(self):
        read, bounced = self._create_leads(2)
        mailing, traces = self._mailing("crm.lead", read | bounced)
        trace = traces.filtered(lambda each: each.res_id == read.id)
        trace.set_opened()
        # The recipient clicks the link of the e-mail as it went out: the tracked URL of the mailing's link.
        link = self.env["link.tracker"].search([("mass_mailing_id", "=", mailing.id)])
        self.assertEqual(link.url, "https://www.example.com/pricing")
        response = self.url_open(f"/r/{link.code}/m/{trace.id}", allow_redirects=False)
        self.assertIn(response.status_code, (301, 302, 303))
        self.assertEqual(len(trace.links_click_ids), 1, "mass_mailing recorded the click")
        traces.filtered(lambda each: each.res_id == bounced.id).set_bounced()
        before = read.engagement_score
        self._cron()
        self.assertEqual(self._events(read).mapped("type_id.code"), ["email_open", "email_click"])
        self.assertIn("Pricing", self._events(read)[1].note)
        self.assertIn("Spring webinar", self._events(read)[1].note)
        self.assertGreater(read.engagement_score, before)
        self.assertEqual(self._events(bounced).mapped("type_id.code"), ["email_bounce"])
        self.assertEqual(bounced.engagement_score, self.env.ref(
            "lead_management_mass_mailing.engagement_type_email_bounce").points, "a bounce costs its points (-5)")
        # Runs that find them again record nothing more, nor the same reader clicking again (mass_mailing counts
        # one click per link and address).
        self._cron()
        self.url_open(f"/r/{link.code}/m/{trace.id}", allow_redirects=False)
        self._cron()
        self.assertEqual(self._events(read).mapped("type_id.code"), ["email_open", "email_click"])

    def test_a_trace_of_no_mailing_is_read_with_those_of_a_mailing(self):
        """Traces need no mailing (another app's e-mail on the lead): read in the same batch as a mailing's."""
        with_mailing, without = self._create_leads(2)
        _mailing, traces = self._mailing("crm.lead", with_mailing)
        traces.set_opened()
        trace = self.env["mailing.trace"].create({
            "model": "crm.lead", "res_id": without.id, "email": without.email_from, "trace_status": "open",
            "sent_datetime": "2026-03-04 09:00:00", "open_datetime": NOW})
        # A link of no mailing either: clicked by the reader of that e-mail.
        link = self.env["link.tracker"].create({"url": "https://www.example.com/demo", "title": "Demo"})
        self.env["link.tracker.click"].create({"link_id": link.id, "mailing_trace_id": trace.id})
        self._cron()
        self.assertEqual(self._events(with_mailing).mapped("type_id.code"), ["email_open"])
        self.assertEqual(self._events(without).mapped("type_id.code"), ["email_open", "email_click"])
        self.assertFalse(self._events(without).campaign_id)

    def test_a_mailing_on_contacts_scores_the_contacts_lead(self):
        partner = self.env["res.partner"].create({"name": "Grace", "email": "grace@hopper.example.com"})
        lead = self._create_leads(1, partner_id=partner.id)
        _mailing, traces = self._mailing("res.partner", partner)
        traces.set_opened()
        self._cron()
        self.assertEqual(self._events(lead).mapped("type_id.code"), ["email_open"])

    def test_an_opt_out_refuses_marketing_and_an_archived_type_is_not_recorded(self):
        lead = self._create_leads(1)
        self.env.ref("lead_management_mass_mailing.engagement_type_email_open").active = False
        _mailing, traces = self._mailing("crm.lead", lead)
        traces.set_opened()
        # The reader follows the mailing's own one-click unsubscribe link (its List-Unsubscribe header).
        url = urlsplit(_mailing._get_unsubscribe_oneclick_url(lead.email_normalized, lead.id))
        response = self.url_open(f"{url.path}?{url.query}", data={"List-Unsubscribe": "One-Click"})
        self.assertEqual(response.status_code, 200)
        self.assertTrue(self.env["mail.blacklist"].search([("email", "=", lead.email_normalized)]))
        self._cron()
        self.assertEqual(self._events(lead).mapped("type_id.code"), ["unsubscribe"])
        self.assertEqual(lead.marketing_consent, "refused")
        self._cron()
        self.assertEqual(len(self._events(lead)), 1)

    def test_replies_are_recorded_once_where_they_arrive(self):
        """A reply to a mailing whose replies go to a mailbox (not the lead's thread) is the mailing's to tell; one to
        a mailing answered in the lead's thread is the mail gateway's (lead_management), never both."""
        elsewhere, in_thread = self._create_leads(2)
        mailing, traces = self._mailing("crm.lead", elsewhere)
        mailing.write({"reply_to_mode": "new", "reply_to": "events@example.com"})
        traces.set_replied()
        threaded, threaded_traces = self._mailing("crm.lead", in_thread)
        self.assertEqual(threaded.reply_to_mode, "update")
        threaded_traces.set_replied()
        self._cron()
        [reply] = self._events(elsewhere)
        self.assertEqual((reply.type_id.code, reply.note), ("email_reply", "Replied to the mailing “Spring webinar”"))
        self.assertEqual(elsewhere.engagement_score, reply.type_id.points)
        self.assertFalse(self._events(in_thread))
        self._cron()
        self.assertEqual(len(self._events(elsewhere)), 1)
