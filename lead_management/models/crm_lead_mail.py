# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""What Odoo's own mail tells about a lead: a reply from the lead's address on its thread is an engagement event
(``email_reply``), and a nurture e-mail's unsubscribe link opts the address out (``unsubscribe``)."""
from urllib.parse import urlencode

from markupsafe import Markup

from odoo import api, models, tools
from odoo.tools import consteq, email_normalize, email_split

UNSUBSCRIBE_SCOPE = "lead_management.unsubscribe"
UNSUBSCRIBE_ROUTE = "/lead_management/unsubscribe"


class CrmLead(models.Model):
    _inherit = "crm.lead"

    def message_update(self, msg_dict, update_vals=None):
        # Called by the mail gateway (as superuser) for an e-mail received on an existing lead's thread. Called
        # directly over RPC it records nothing. (mail's message_process, which routes as superuser, trusts the
        # e-mail's From as the gateway does: a forged reply posts in the chatter and scores as a reply.)
        result = super().message_update(msg_dict, update_vals=update_vals)
        if self.env.su:
            self._engagement_record_replies(msg_dict)
        return result

    def _engagement_record_replies(self, msg_dict):
        """An e-mail received on these leads' thread from one of the lead's own addresses is the person replying:
        an ``email_reply`` event, once per e-mail (its Message-Id), when that engagement type is active."""
        sender = email_normalize(msg_dict.get("email_from") or "")
        if not sender:
            return
        Event = self.env["lead.engagement.event"].sudo()
        Type = self.env["lead.engagement.type"].sudo()
        types = {}
        events = []
        for lead in self.sudo():
            event_type = Type._get_by_code_cached(types, "email_reply", lead.company_id)
            addresses = {email_normalize(address) for address in email_split(lead.email_from or "")}
            if not event_type or sender not in addresses:
                continue
            events.append({"lead_id": lead.id, "type": event_type, "external_id": msg_dict.get("message_id"),
                           "note": (msg_dict.get("subject") or "")[:200] or False})
        if events:
            Event._record_events(events)

    # ------------------------------------------------------------
    # UNSUBSCRIBE (nurture e-mails)
    # ------------------------------------------------------------

    @api.model
    def _nurture_unsubscribe_token(self, lead_id, email):
        return tools.hmac(self.env(su=True), UNSUBSCRIBE_SCOPE, (int(lead_id), email))

    @api.model
    def _nurture_unsubscribe_url(self, lead_id, email):
        """The link of a nurture e-mail to ``email`` about lead ``lead_id`` that opts the address out: the same in the
        body and in the List-Unsubscribe header (RFC 8058 one-click: a POST to it)."""
        query = urlencode({"lead_id": int(lead_id), "email": email,
                           "token": self._nurture_unsubscribe_token(lead_id, email)})
        return f"{self.get_base_url()}{UNSUBSCRIBE_ROUTE}?{query}"

    @api.model
    def _nurture_unsubscribe_lead(self, lead_id, email, token):
        """The lead an unsubscribe link names, when its token is right (else an empty recordset)."""
        try:
            lead_id = int(lead_id)
        except (TypeError, ValueError):
            return self.browse()
        if not email or not token or not consteq(str(token), self._nurture_unsubscribe_token(lead_id, email)):
            return self.browse()
        return self.sudo().with_context(active_test=False).browse(lead_id).exists()

    def _nurture_unsubscribe(self, email):
        """The person behind ``email`` followed the unsubscribe link of a nurture e-mail of this lead."""
        self.ensure_one()
        return self._marketing_opt_out(email, self.env._("through the link of a nurture e-mail"))

    def _marketing_opt_out(self, email, how):
        """The person behind ``email`` opted out of marketing e-mails (``how``: a phrase, told in the chatter):
        the address is blacklisted, every lead of the company with it refuses marketing e-mails from now on (so they
        leave their tracks at once); when it is this lead's own address, this lead records an ``unsubscribe`` event
        (once). This lead's chatter says so, once."""
        self.ensure_one()
        lead = self.sudo()
        normalized = email_normalize(email) or email
        Blacklist = self.env["mail.blacklist"].sudo()
        newly = not Blacklist.search_count([("email", "=", normalized)], limit=1)
        if newly:
            Blacklist._add(normalized, message=self.env._(
                "Opted out of marketing e-mails %(how)s (lead %(lead)s).", how=how, lead=lead.id))
        # The leads of that address (the link may be a Cc'd colleague's: the lead's own person stays as they said).
        leads = lead.with_context(active_test=False).search([
            ("email_normalized", "=", normalized), ("company_id", "in", [lead.company_id.id, False])])
        consenting = leads.filtered(lambda each: each.marketing_consent != "refused")
        consenting._write_pipeline({"marketing_consent": "refused"}, by_hand=False)
        leads.filtered("nurture_enrolment_id")._nurture_exit("opted_out")
        event_type = self.env["lead.engagement.type"].sudo()._get_by_code("unsubscribe", lead.company_id)
        if event_type and lead in leads:  # the lead's own person opted out
            self.env["lead.engagement.event"].sudo()._record_events([{
                "lead_id": lead.id, "type": event_type, "external_id": f"unsubscribe:{normalized}",
                "note": normalized}])
        if newly or consenting:  # told once: opting out again changes nothing
            lead._message_log(body=Markup("<p>%s</p>") % self.env._(
                "%(email)s unsubscribed from marketing e-mails %(how)s.", email=normalized, how=how))
        return True
