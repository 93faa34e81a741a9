# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, models
from odoo.tools import email_normalize

CHECKPOINT = "lead_management_event.signals_checkpoint"


class EventRegistration(models.Model):
    _inherit = "event.registration"

    def init(self):
        # The scheduled action reads the registrations changed since its last run.
        self.env.cr.execute("CREATE INDEX IF NOT EXISTS event_registration_lm_write_date_index "
                            "ON event_registration (write_date)")

    @api.model
    def _cron_lead_signals(self, batch_size=1000):
        """Record what event attendees did as engagement events of their lead (lead.engagement.event's
        _record_signals, in committed batches): registered (confirmed), attended, and did not attend (the event
        ended with the registration still only confirmed). Each registration's signal once, whatever the runs (its
        external id); a type an admin archived is not recorded. Registrations changed since the last run, and
        those of events that ended since, are read."""
        self.env["lead.engagement.event"]._record_signals(CHECKPOINT, self._name, batch_size)

    @api.model
    def _lead_signal_find(self, since, now):
        """The registrations changed since ``since``, and those of events that ended since."""
        Registration = self.sudo()
        changed = Registration.search([("state", "in", ("open", "done")), ("write_date", ">=", since)])
        ended = Registration.search([("state", "=", "open"), ("event_id.date_end", "<", now),
                                     ("event_id.date_end", ">=", since)])
        return sorted((changed | ended).ids)

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
            leads_of = {}  # e-mail: its open leads, newest first
            for lead in self.env["crm.lead"].sudo().search([
                    ("email_normalized", "in", list(by_email)), ("stage_id.is_won", "=", False)], order="id desc"):
                leads_of.setdefault(lead.email_normalized, []).append(lead)
            for email, registrations in by_email.items():
                for registration in registrations:
                    lead = next((lead for lead in leads_of.get(email, ())
                                 if lead.company_id in (registration.company_id, self.env["res.company"])), None)
                    if lead:
                        result[registration] = lead
        return result

    def _lead_signal_events(self, now):
        """The engagement events (values for _record_events) these registrations give as of ``now``."""
        _ = self.env._
        Type = self.env["lead.engagement.type"].sudo()
        types = {}  # per batch: Type._get_by_code_cached
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
                event_type = Type._get_by_code_cached(types, code, lead.company_id)
                if not event_type:
                    continue
                events.append({
                    "lead_id": lead.id, "type": event_type, "date": min(date, now),
                    "external_id": f"event.registration:{registration.id}:{code}", "note": note,
                    "campaign": registration.utm_campaign_id, "source": registration.utm_source_id,
                    "medium": registration.utm_medium_id,
                })
        return events
