# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import email_normalize, split_every

CHECKPOINT = "lead_management_event.signals_checkpoint"
# A registration written in a transaction that began before the last run, committed after it, has a write_date
# before that run: each run looks back this far (what it finds again is recorded once: external ids).
LOOK_BACK = timedelta(hours=1)
# The first run (no checkpoint yet: just installed) reads this far back, not the whole history.
FIRST_RUN = timedelta(days=30)
BATCH_SIZE = 1000


class EventRegistration(models.Model):
    _inherit = "event.registration"

    @api.model
    def _cron_lead_signals(self, batch_size=BATCH_SIZE):
        """Record what event attendees did as engagement events of their lead, through the one entry point that
        records events (lead.engagement.event._record_events), in batches: registered (confirmed), attended, and
        did not attend (the event ended with the registration still only confirmed). Each registration's signal
        once, whatever the runs (its external id); a type an admin archived is not recorded. Registrations
        changed since the last run (the first run: the last 30 days), and those of events that ended since, are
        read, a committed batch at a time."""
        Param = self.env["ir.config_parameter"].sudo()
        now = fields.Datetime.now()
        last = Param.get_param(CHECKPOINT)
        since = fields.Datetime.to_datetime(last) - LOOK_BACK if last else now - FIRST_RUN
        Registration = self.sudo()
        changed = Registration.search([("state", "in", ("open", "done"))]
                                      + [("write_date", ">=", since)], order="id")
        ended = Registration.search([("state", "=", "open"), ("event_id.date_end", "<", now)]
                                    + [("event_id.date_end", ">=", since)], order="id")
        ids = (changed | ended).ids
        done = 0
        for batch_ids in split_every(batch_size, ids):
            events = Registration.browse(batch_ids)._lead_signal_events(now)
            if events:
                self.env["lead.engagement.event"].sudo()._record_events(events)
            done += len(batch_ids)
            # One batch at a time, committed (not in tests): a run that stops finds the rest again next time.
            self.env["crm.lead"]._lead_management_batch_done(done, len(ids))
        Param.set_param(CHECKPOINT, fields.Datetime.to_string(now))

    def _lead_signal_leads(self):
        """{registration: the lead its signals score}: the open lead the registration created (event_crm's rules),
        else the newest open lead of the registration's company with the same normalised e-mail address."""
        result, by_email = {}, {}
        for registration in self:
            created = registration.lead_ids.filtered(lambda lead: lead.active and not lead.stage_id.is_won)
            if created:
                result[registration] = created.sorted("id")[-1]
            elif email_normalize(registration.email or ""):
                by_email.setdefault(email_normalize(registration.email), []).append(registration)
        if by_email:
            leads = self.env["crm.lead"].sudo().search([
                ("email_normalized", "in", list(by_email)), ("stage_id.is_won", "=", False)], order="id desc")
            for email, registrations in by_email.items():
                for registration in registrations:
                    lead = leads.filtered(lambda lead, email=email, registration=registration: (
                        lead.email_normalized == email
                        and lead.company_id in (registration.company_id, self.env["res.company"])))[:1]
                    if lead:
                        result[registration] = lead
        return result

    def _lead_signal_events(self, now):
        """The engagement events (values for _record_events) these registrations give as of ``now``."""
        _ = self.env._
        Type = self.env["lead.engagement.type"].sudo()
        types = {}
        events = []
        for registration, lead in self._lead_signal_leads().items():
            event = registration.event_id
            signals = []
            if registration.state in ("open", "done"):
                signals.append(("event_registration", registration.create_date,
                                _("Registered for %s", event.name)))
            if registration.state == "done":
                signals.append(("event_attendance", registration.date_closed or now, _("Attended %s", event.name)))
            elif registration.state == "open" and event.date_end and event.date_end < now:
                signals.append(("event_no_show", event.date_end, _("Did not attend %s", event.name)))
            for code, date, note in signals:
                key = (code, lead.company_id.id)
                if key not in types:
                    types[key] = Type._get_by_code(code, lead.company_id)
                event_type = types[key]
                if not event_type:
                    continue
                events.append({
                    "lead_id": lead.id, "type": event_type, "date": min(date, now),
                    "external_id": f"event.registration:{registration.id}:{code}", "note": note,
                    "campaign": registration.utm_campaign_id, "source": registration.utm_source_id,
                    "medium": registration.utm_medium_id,
                })
        return events
