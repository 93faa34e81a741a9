# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from collections import defaultdict

from odoo import api, models
from odoo.tools import email_normalize

CHECKPOINT = "lead_management_mass_mailing.signals_checkpoint"
TRACED_MODELS = ("crm.lead", "res.partner")


class MailingTrace(models.Model):
    _inherit = "mailing.trace"

    def init(self):
        # The scheduled action reads what changed since its last run, every 15 minutes; the weekly limit of marketing
        # e-mails counts an address's mailings: without these, each a scan of every trace ever written.
        self.env.cr.execute("""
            CREATE INDEX IF NOT EXISTS mailing_trace_lm_write_date_index ON mailing_trace (write_date);
            CREATE INDEX IF NOT EXISTS mailing_trace_lm_lower_email_index ON mailing_trace (lower(email));
            CREATE INDEX IF NOT EXISTS link_tracker_click_lm_create_date_index ON link_tracker_click (create_date)
             WHERE mailing_trace_id IS NOT NULL;
        """)

    @api.model
    def _cron_lead_signals(self, batch_size=2000):
        """Record what recipients of mailings on leads (or on a lead's contact) did as engagement events of the
        lead (lead.engagement.event's _record_signals, in committed batches), never in the request of the open
        or the click: opened, clicked (each click, naming the link), replied (when the reply does not reach the
        lead's thread, where Odoo's mail gateway records it), bounced. Addresses blacklisted since the last run (a
        mailing's unsubscribe, or by hand) opt out. Each signal once, whatever the runs (its external id); a type
        an admin archived is not recorded."""
        self.env["lead.engagement.event"]._record_signals(CHECKPOINT, self._name, batch_size)

    @api.model
    def _lead_signal_find(self, since, now):
        """The traces to read: those written since ``since``, and those clicked since (the opt-outs since then first,
        within the run: the checkpoint moves only once they are done too)."""
        self._lead_signal_opt_outs(since)
        Trace = self.sudo()
        traces = Trace.search([("model", "in", TRACED_MODELS), ("write_date", ">=", since)])
        clicks = self.env["link.tracker.click"].sudo().search(
            [("mailing_trace_id", "!=", False), ("create_date", ">=", since)])
        traces |= clicks.mailing_trace_id.filtered(lambda trace: trace.model in TRACED_MODELS)
        return sorted(traces.ids)

    def _lead_signal_leads(self):
        """{trace: the open lead it is about}: the lead a mailing on leads went to, or the newest open lead of the
        contact a mailing on contacts went to."""
        Lead = self.env["crm.lead"].sudo()
        lead_ids = {trace.res_id for trace in self if trace.model == "crm.lead"}
        partner_ids = {trace.res_id for trace in self if trace.model == "res.partner"}
        # Records of one search: they prefetch together (a lead's company is read once for the batch, not per trace).
        # Only their company is read (not every column of crm_lead).
        open_leads = {lead.id: lead for lead in Lead.search_fetch(
            [("id", "in", list(lead_ids)), ("stage_id.is_won", "=", False)], ["company_id"])} if lead_ids else {}
        by_partner = {}
        if partner_ids:
            for lead in Lead.search_fetch([("partner_id", "in", list(partner_ids)), ("stage_id.is_won", "=", False)],
                                          ["partner_id", "company_id"], order="id desc"):
                by_partner.setdefault(lead.partner_id.id, lead)
        result = {}
        for trace in self:
            if trace.model == "crm.lead" and trace.res_id in open_leads:
                result[trace] = open_leads[trace.res_id]
            elif trace.model == "res.partner" and trace.res_id in by_partner:
                result[trace] = by_partner[trace.res_id]
        return result

    def _lead_signal_events(self, now):
        """The engagement events (values for _record_events) these traces give as of ``now``."""
        _ = self.env._
        Type = self.env["lead.engagement.type"].sudo()
        types = {}  # per batch: Type._get_by_code_cached
        events = []
        # The batch's clicks at once, by trace (not a filter of each trace's clicks).
        clicks_of = defaultdict(list)
        for click in self.links_click_ids.sorted("id"):
            clicks_of[click.mailing_trace_id.id].append(click)
        for trace, lead in self._lead_signal_leads().items():
            mailing = trace.mass_mailing_id
            name = mailing.subject or mailing.display_name
            signals = []
            if trace.open_datetime:
                signals.append(("email_open", f"mailing.trace:{trace.id}:open", trace.open_datetime,
                                _("Opened the mailing “%s”", name)))
            # A click counts when it is on a link of this mailing, after it went out (the tracked URL is public:
            # /r/<code>/m/<trace> with another mailing's code, or before the send, is no reader's click), once
            # per link and reader.
            first_clicks = {}  # link: its first click
            for click in clicks_of[trace.id]:
                if (click.link_id.mass_mailing_id == mailing and trace.sent_datetime
                        and click.create_date >= trace.sent_datetime):
                    first_clicks.setdefault(click.link_id, click)
            for link, click in first_clicks.items():
                label = link.label or link.title or link.url
                signals.append(("email_click", f"mailing.trace:{trace.id}:click:{link.id}", click.create_date,
                                _("Clicked “%(link)s” in the mailing “%(mailing)s”", link=label, mailing=name)))
            # Replies logged in a lead's own thread are the mail gateway's to record (lead_management), once.
            if trace.reply_datetime and not (trace.model == "crm.lead" and mailing.reply_to_mode == "update"):
                signals.append(("email_reply", f"mailing.trace:{trace.id}:reply", trace.reply_datetime,
                                _("Replied to the mailing “%s”", name)))
            if trace.trace_status == "bounce":
                signals.append(("email_bounce", f"mailing.trace:{trace.id}:bounce", trace.write_date or now,
                                _("The mailing “%(mailing)s” bounced from %(email)s", mailing=name,
                                  email=trace.email or "")))
            for code, external_id, date, note in signals:
                event_type = Type._get_by_code_cached(types, code, lead.company_id)
                if not event_type:
                    continue
                events.append({
                    "lead_id": lead.id, "type": event_type, "date": min(date, now), "external_id": external_id,
                    "note": note, "campaign": mailing.campaign_id, "source": mailing.source_id,
                    "medium": mailing.medium_id,
                })
        return events

    @api.model
    def _lead_signal_opt_outs(self, since):
        """Addresses blacklisted since ``since``: their open leads opt out."""
        entries = self.env["mail.blacklist"].sudo().search([("write_date", ">=", since)])
        emails = {email_normalize(entry.email) for entry in entries if email_normalize(entry.email)}
        if not emails:
            return
        leads = self.env["crm.lead"].sudo().search(
            [("email_normalized", "in", list(emails)), ("stage_id.is_won", "=", False)], order="id desc")
        seen = set()
        for lead in leads:
            key = (lead.company_id.id, lead.email_normalized)
            if key not in seen:
                seen.add(key)
                lead._marketing_opt_out(lead.email_normalized, self.env._("(its address was put on the blacklist)"))
