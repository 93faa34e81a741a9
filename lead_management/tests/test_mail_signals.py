# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""What Odoo's own mail tells about a lead (issue 18): nurture e-mails are marketing e-mails, with an unsubscribe link
and RFC 8058 headers that blacklist the address and end the track at once; a reply from the lead's address on its
thread is an engagement event, counted once."""
from urllib.parse import urlsplit

from odoo.tests import HttpCase, tagged

from .test_nurture import NurtureCommon


@tagged("post_install", "-at_install")
class TestNurtureUnsubscribe(HttpCase, NurtureCommon):

    def _sent(self, lead):
        """The nurture e-mail of the lead's first step, as it goes out: (mail.mail, [outgoing values])."""
        trace = lead.nurture_enrolment_id.trace_ids.sorted("scheduled_date")[:1]
        self.env.flush_all()
        self.env.cr.execute("UPDATE lead_nurture_trace SET scheduled_date = now() AT TIME ZONE 'UTC' "
                            "- interval '1 minute' WHERE id = %s", [trace.id])
        self.env.invalidate_all()
        self._cron()
        self.assertEqual(trace.state, "done")
        mail = self.env["mail.mail"].search([("model", "=", "crm.lead"), ("res_id", "=", lead.id)])
        self.assertEqual(mail.nurture_step_id, trace.step_id)
        return mail, mail._prepare_outgoing_list()

    def _path(self, url):
        parts = urlsplit(url)
        return f"{parts.path}?{parts.query}"

    def test_a_nurture_email_carries_its_unsubscribe_link_and_headers(self):
        lead = self._lead(email_from="Nina <nina@example.com>")
        _mail, [outgoing] = self._sent(lead)
        url = self.env["crm.lead"]._nurture_unsubscribe_url(lead.id, "nina@example.com")
        self.assertEqual(outgoing["headers"]["List-Unsubscribe"], f"<{url}>")
        self.assertEqual(outgoing["headers"]["List-Unsubscribe-Post"], "List-Unsubscribe=One-Click")
        self.assertIn(url.replace("&", "&amp;"), outgoing["body"])
        self.assertIn(url, outgoing["body_alternative"])
        # An e-mail that is not a nurture step's carries none.
        other = self.env["mail.mail"].create({"model": "crm.lead", "res_id": lead.id, "email_to": "x@example.com",
                                              "body_html": "<p>Hi</p>", "subject": "Hi"})
        [plain] = other._prepare_outgoing_list()
        self.assertNotIn("List-Unsubscribe", plain["headers"])

    def test_one_click_unsubscribes_and_ends_the_track_at_once(self):
        lead = self._lead(email_from="Nina <nina@example.com>")
        twin = self._lead(name="Nina again", email_from="nina@example.com", phone="+32470000002")
        self.assertTrue(lead.nurture_enrolment_id and twin.nurture_enrolment_id)
        _mail, [outgoing] = self._sent(lead)
        path = self._path(outgoing["headers"]["List-Unsubscribe"][1:-1])
        # Opening the link (a mail scanner does) only asks.
        page = self.url_open(path)
        self.assertEqual(page.status_code, 200)
        self.assertIn("Stop marketing e-mails", page.text)
        self.assertFalse(self.env["mail.blacklist"].search([("email", "=", "nina@example.com")]))
        # The mail client's one-click POST (RFC 8058), without session or CSRF token.
        response = self.url_open(path, data={"List-Unsubscribe": "One-Click"})
        self.assertEqual(response.status_code, 200, response.text)
        self.assertIn("You are unsubscribed", response.text)
        self.assertTrue(self.env["mail.blacklist"].search([("email", "=", "nina@example.com")]))
        for each in (lead, twin):
            with self.subTest(lead=each.name):
                self.assertEqual(each.marketing_consent, "refused")
                self.assertFalse(each.nurture_enrolment_id)
                self.assertEqual(each.nurture_enrolment_ids.exit_reason, "opted_out")
        event = self.env["lead.engagement.event"].search([("lead_id", "=", lead.id)])
        self.assertEqual(event.type_id.code, "unsubscribe")
        told = lead.message_ids.filtered(lambda message: "unsubscribed" in (message.body or ""))
        self.assertEqual(len(told), 1)
        # Again: nothing more.
        self.assertEqual(self.url_open(path, data={"List-Unsubscribe": "One-Click"}).status_code, 200)
        self.assertEqual(self.env["lead.engagement.event"].search_count([("lead_id", "=", lead.id)]), 1)
        self.assertEqual(lead.message_ids.filtered(lambda message: "unsubscribed" in (message.body or "")), told)

    def test_each_recipient_gets_its_own_link_and_opts_out_alone(self):
        """Review of issue 18: mail gives every recipient's copy one headers dict: each copy carried the last
        recipient's link; and a colleague's unsubscribe refused the lead's own person."""
        boss = self.env["res.partner"].create({"name": "Nina's boss", "email": "boss@example.com"})
        self.template.partner_to = str(boss.id)
        lead = self._lead(email_from="nina@example.com")
        _mail, outgoing = self._sent(lead)
        links = {values["email_to"][0]: values["headers"]["List-Unsubscribe"] for values in outgoing}
        self.assertEqual(len(links), 2)
        for address, link in links.items():
            with self.subTest(address=address):
                email = "boss@example.com" if "boss" in address else "nina@example.com"
                self.assertEqual(link, f"<{self.env['crm.lead']._nurture_unsubscribe_url(lead.id, email)}>")
        boss_link = next(link for address, link in links.items() if "boss" in address)
        self.assertEqual(self.url_open(self._path(boss_link[1:-1]), data={"List-Unsubscribe": "One-Click"})
                         .status_code, 200)
        self.assertTrue(self.env["mail.blacklist"].search([("email", "=", "boss@example.com")]))
        self.assertEqual((lead.marketing_consent, bool(lead.nurture_enrolment_id)), (False, True),
                         "the lead's own person said nothing")

    def test_an_altered_link_changes_nothing(self):
        lead = self._lead(email_from="nina@example.com")
        url = self.env["crm.lead"]._nurture_unsubscribe_url(lead.id, "nina@example.com")
        for altered in (url.replace("nina%40example.com", "boss%40example.com"),
                        url.replace(f"lead_id={lead.id}", f"lead_id={lead.id + 1}"), url[:-4] + "beef"):
            with self.subTest(url=altered):
                self.assertEqual(self.url_open(self._path(altered)).status_code, 404)
                self.assertEqual(self.url_open(self._path(altered), data={"List-Unsubscribe": "One-Click"})
                                 .status_code, 404)
        self.assertFalse(self.env["mail.blacklist"].search([]).filtered(
            lambda entry: entry.email in ("nina@example.com", "boss@example.com")))
        self.assertTrue(lead.nurture_enrolment_id)


@tagged("post_install", "-at_install")
class TestReplies(NurtureCommon):

    def _reply(self, lead, sender, message_id):
        parent = lead.message_post(body="How is your project going?", message_type="comment")
        raw = (f"From: Nina <{sender}>\r\nTo: sales@example.com\r\nSubject: Re: your project\r\n"
               f"Message-Id: {message_id}\r\nIn-Reply-To: {parent.message_id}\r\nReferences: {parent.message_id}\r\n"
               "Date: Mon, 02 Mar 2026 10:00:00 +0000\r\nContent-Type: text/plain\r\n\r\nTell me more.\r\n")
        return self.env["mail.thread"].message_process("crm.lead", raw)

    def _replies(self, lead):
        return self.env["lead.engagement.event"].search([("lead_id", "=", lead.id),
                                                         ("type_id.code", "=", "email_reply")])

    def test_a_reply_from_the_leads_address_is_counted_once(self):
        lead = self._lead(email_from="Nina <nina@example.com>")
        before = lead.engagement_score
        self.assertEqual(self._reply(lead, "nina@example.com", "<reply-1@example.com>"), lead.id)
        self.assertEqual(len(self._replies(lead)), 1)
        self.assertGreater(lead.engagement_score, before)
        # The same e-mail handled twice (mail's gateway drops a known Message-Id itself): once.
        lead.sudo()._engagement_record_replies({"email_from": "nina@example.com",
                                                "message_id": "<reply-1@example.com>", "subject": "Re"})
        self.assertEqual(len(self._replies(lead)), 1)

    def test_only_the_lead_replying_through_the_gateway_counts(self):
        lead = self._lead(email_from="nina@example.com")
        self._reply(lead, "colleague@example.com", "<reply-2@example.com>")
        self.assertFalse(self._replies(lead), "someone else writing on the thread is not the lead replying")
        # A user calling the gateway's method over RPC with an e-mail of their own making records nothing.
        lead.with_user(self.user_qualifier).message_update(
            {"email_from": "nina@example.com", "message_id": "<forged@example.com>", "subject": "Re"})
        self.assertFalse(self._replies(lead))
