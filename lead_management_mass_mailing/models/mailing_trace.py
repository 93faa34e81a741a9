# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from collections import defaultdict

from odoo import api, models
from odoo.tools import SQL, email_normalize

CHECKPOINT = "lead_management_mass_mailing.signals_checkpoint"
TRACED_MODELS = ("crm.lead", "res.partner")
# What a trace's events are made of (_lead_signal_rows).
TRACE_COLUMNS = ("model", "res_id", "mass_mailing_id", "open_datetime", "reply_datetime", "trace_status",
                 "write_date", "sent_datetime", "email")


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

    def _lead_signal_rows(self):
        """(traces, clicks): the columns of these traces that their events are made of (dicts, by trace id), and the
        clicks on them ({trace id: [(link id, date)]}, in the order they came). Read in two statements: a batch is
        thousands of traces, and reading them as records, field by field, was most of the job's time."""
        if not self:
            return {}, {}
        self.flush_recordset(list(TRACE_COLUMNS))
        self.env["link.tracker.click"].flush_model(["mailing_trace_id", "link_id", "create_date"])
        ids = tuple(self.ids)
        traces = {row["id"]: row for row in self.env.execute_query_dict(SQL(
            "SELECT id, %s FROM mailing_trace WHERE id IN %s ORDER BY id",
            SQL(", ").join(SQL.identifier(column) for column in TRACE_COLUMNS), ids))}
        clicks = defaultdict(list)
        for trace_id, link_id, date in self.env.execute_query(SQL(
                "SELECT mailing_trace_id, link_id, create_date FROM link_tracker_click"
                " WHERE mailing_trace_id IN %s ORDER BY id", ids)):
            clicks[trace_id].append((link_id, date))
        return traces, clicks

    @api.model
    def _lead_signal_leads(self, traces):
        """{trace id: (lead id, company id)} of ``traces`` (_lead_signal_rows): the open lead a mailing on leads went
        to, or the newest open lead of the contact a mailing on contacts went to."""
        Lead = self.env["crm.lead"].sudo()
        open_lead = [("stage_id.is_won", "=", False)]

        def leads(domain, *columns):
            return self.env.execute_query(Lead._search(domain + open_lead, order="id desc").select(*columns))

        lead_ids = {trace["res_id"] for trace in traces.values() if trace["model"] == "crm.lead"}
        partner_ids = {trace["res_id"] for trace in traces.values() if trace["model"] == "res.partner"}
        by_lead = {lead_id: (lead_id, company_id) for lead_id, company_id in leads(
            [("id", "in", list(lead_ids))], SQL("crm_lead.id"), SQL("crm_lead.company_id"))} if lead_ids else {}
        by_partner = {}
        for partner_id, lead_id, company_id in leads(
                [("partner_id", "in", list(partner_ids))], SQL("crm_lead.partner_id"), SQL("crm_lead.id"),
                SQL("crm_lead.company_id")) if partner_ids else ():
            by_partner.setdefault(partner_id, (lead_id, company_id))
        found = {"crm.lead": by_lead, "res.partner": by_partner}
        return {trace_id: found[trace["model"]][trace["res_id"]] for trace_id, trace in traces.items()
                if trace["res_id"] in found.get(trace["model"], {})}

    def _lead_signal_events(self, now):
        """The engagement events (values for _record_events) these traces give as of ``now``."""
        _ = self.env._
        Type = self.env["lead.engagement.type"].sudo()
        Company = self.env["res.company"].sudo()
        types = {}  # per batch: Type._get_by_code_cached
        traces, clicks_of = self._lead_signal_rows()
        # Mailings and links are few: records, read once for the batch.
        mailings = self.env["mailing.mailing"].sudo().browse(
            {trace["mass_mailing_id"] for trace in traces.values()} - {None})
        links = self.env["link.tracker"].sudo().browse(
            {link_id for clicks in clicks_of.values() for link_id, _date in clicks})
        mailing_of = {mailing.id: mailing for mailing in mailings}
        link_of = {link.id: link for link in links}
        names = {mailing.id: mailing.subject or mailing.display_name for mailing in mailings}
        labels = {link.id: link.label or link.title or link.url for link in links}
        events = []
        for trace_id, (lead_id, company_id) in self._lead_signal_leads(traces).items():
            trace = traces[trace_id]
            mailing = mailing_of.get(trace["mass_mailing_id"], mailings.browse())
            name = names.get(mailing.id, "")
            signals = []
            if trace["open_datetime"]:
                signals.append(("email_open", f"mailing.trace:{trace_id}:open", trace["open_datetime"],
                                _("Opened the mailing “%s”", name)))
            # A click counts when it is on a link of this mailing, after it went out (the tracked URL is public:
            # /r/<code>/m/<trace> with another mailing's code, or before the send, is no reader's click), once
            # per link and reader.
            first_clicks = {}  # link id: the date of its first click
            for link_id, date in clicks_of.get(trace_id, ()):
                if (link_of[link_id].mass_mailing_id == mailing and trace["sent_datetime"]
                        and date >= trace["sent_datetime"]):
                    first_clicks.setdefault(link_id, date)
            for link_id, date in first_clicks.items():
                signals.append(("email_click", f"mailing.trace:{trace_id}:click:{link_id}", date,
                                _("Clicked “%(link)s” in the mailing “%(mailing)s”", link=labels[link_id],
                                  mailing=name)))
            # Replies logged in a lead's own thread are the mail gateway's to record (lead_management), once.
            if trace["reply_datetime"] and not (trace["model"] == "crm.lead" and mailing.reply_to_mode == "update"):
                signals.append(("email_reply", f"mailing.trace:{trace_id}:reply", trace["reply_datetime"],
                                _("Replied to the mailing “%s”", name)))
            if trace["trace_status"] == "bounce":
                signals.append(("email_bounce", f"mailing.trace:{trace_id}:bounce", trace["write_date"] or now,
                                _("The mailing “%(mailing)s” bounced from %(email)s", mailing=name,
                                  email=trace["email"] or "")))
            for code, external_id, date, note in signals:
                event_type = Type._get_by_code_cached(types, code, Company.browse(company_id))
                if not event_type:
                    continue
                events.append({
                    "lead_id": lead_id, "type": event_type, "date": min(date, now), "external_id": external_id,
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
