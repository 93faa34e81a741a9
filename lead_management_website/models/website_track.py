# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import math
from collections import defaultdict
from datetime import timedelta
from urllib.parse import unquote, urlsplit

import pytz

from odoo import api, fields, models

CHECKPOINT = "lead_management_website.signals_checkpoint"
EXTERNAL_ID_PREFIX = "website.track:"
# An open lead: active (not lost) and not won; the active test of the searches applies the first.
OPEN_LEAD = [("stage_id.is_won", "=", False)]


class WebsiteTrack(models.Model):
    _inherit = "website.track"

    # The scheduled action reads the views made since its last run, every 15 minutes.
    visit_datetime = fields.Datetime(index=True)

    @api.model
    def _cron_lead_signals(self, batch_size=2000):
        """Record the page views of website visitors linked to open leads (website_crm: a website form, a live
        chat) as engagement events of each of those leads (lead.engagement.event's _record_signals, in committed
        batches), never in the request of the view: the type whose page URL matches the page, else the generic
        page view. The views made since the last run are read, and every view of the visitors linked to a lead
        since: what someone read before becoming a lead counts once they are one. Each view once per lead,
        whatever the runs; a type an admin archived is not recorded."""
        self.env["lead.engagement.event"]._record_signals(CHECKPOINT, self._name, batch_size)

    @api.model
    def _lead_signal_find(self, since, now):
        """The views made since ``since`` by visitors linked to open leads, and every view of the visitors linked to a
        lead since."""
        Track = self.sudo()
        Visitor = self.env["website.visitor"].sudo()
        recent = Track.search([("visit_datetime", ">=", since), ("visitor_id.lead_ids", "any", OPEN_LEAD)],
                              order="id")
        # A form writes the new lead on its visitor (moving its write date); a live chat's lead is created with its
        # visitor (website_crm_livechat's chatbot), so the lead's create date tells.
        linked = Visitor.search([("lead_ids", "any", OPEN_LEAD), "|", ("write_date", ">=", since),
                                 ("lead_ids", "any", [("create_date", ">=", since)])])
        earlier = Track.search([("visitor_id", "in", linked.ids)], order="id") if linked else Track
        return sorted((recent | earlier).ids)

    def _lead_signal_events(self, now):
        """The engagement events (values for _record_events) these page views give: one per view and open lead
        of its visitor, but for those already recorded."""
        _ = self.env._
        Type = self.env["lead.engagement.type"].sudo()
        types = {}  # per batch: Type._get_by_url_cached
        url_codes = set(self.env["res.lang"]._get_active_by("url_code"))
        views = [(track, lead) for track in self for lead in track.visitor_id.lead_ids
                 if lead.active and not lead.stage_id.is_won]
        recorded = self._lead_signal_recorded({lead for _track, lead in views}, now)
        events = []
        for track, lead in views:
            if (track.id, lead.id) in recorded:
                continue
            path = track._lead_signal_path(url_codes)
            event_type = Type._get_by_url_cached(types, path, lead.company_id)
            if not event_type:
                continue
            events.append({
                "lead_id": lead.id, "type": event_type, "date": min(track.visit_datetime, now),
                # Per lead: the external ids of a company's events are unique per type, and a visitor may have
                # two leads in one company.
                "external_id": f"{EXTERNAL_ID_PREFIX}{track.id}:{lead.id}", "note": _("Visited %s", path),
                "company": lead.company_id,
            })
        return self._lead_signal_within_caps(events)

    def _lead_signal_within_caps(self, events):
        """``events`` but for the views a lead's day has no room for: once a type's views of one day (the company's
        day, as scoring counts it) reach its daily cap, more views add no point, and are not recorded (a visitor
        reloading a page a million times writes a million page views, not a million events)."""
        capped_types = {event["type"] for event in events if event["type"].daily_cap > 0 and event["type"].points > 0}
        if not capped_types:
            return [{key: value for key, value in event.items() if key != "company"} for event in events]

        def day(event):
            company = event["company"] or self.env.company
            tz = pytz.timezone(company.resource_calendar_id.tz or company.partner_id.tz or "UTC")
            return pytz.utc.localize(event["date"]).astimezone(tz).date()

        Event = self.env["lead.engagement.event"].sudo()
        since = min(event["date"] for event in events) - timedelta(days=1)
        counts = defaultdict(int)  # (lead id, type, day): events recorded
        for recorded in Event.search_fetch([("lead_id", "in", list({event["lead_id"] for event in events})),
                                            ("type_id", "in", [each.id for each in capped_types]),
                                            ("date", ">=", since)], ["lead_id", "type_id", "date", "company_id"]):
            counts[recorded.lead_id.id, recorded.type_id, day(
                {"company": recorded.company_id, "date": recorded.date})] += 1
        kept = []
        for event in sorted(events, key=lambda event: event["date"]):
            event_type = event["type"]
            if event_type in capped_types:
                key = (event["lead_id"], event_type, day(event))
                if counts[key] >= math.ceil(event_type.daily_cap / event_type.points):
                    continue
                counts[key] += 1
            kept.append({key: value for key, value in event.items() if key != "company"})
        return kept

    def _lead_signal_recorded(self, leads, now):
        """{(track id, lead id)}: the views of these tracks already recorded for these leads, whatever their type
        (an admin may have added a page URL since) and whichever lead they were recorded for (a merged lead's
        events move to the lead that stays)."""
        if not leads:
            return set()
        Event = self.env["lead.engagement.event"].sudo()
        events = Event.search_fetch([
            ("lead_id", "in", [lead.id for lead in leads]), ("external_id", "=like", f"{EXTERNAL_ID_PREFIX}%"),
            ("date", ">=", min(*self.mapped("visit_datetime"), now)),
        ], ["lead_id", "external_id"])
        recorded = set()
        for event in events:
            track_id = event.external_id.removeprefix(EXTERNAL_ID_PREFIX).split(":")[0]
            if track_id.isdigit():
                recorded.add((int(track_id), event.lead_id.id))
        return recorded

    def _lead_signal_path(self, url_codes):
        """The path of the page viewed, decoded, without the language prefix (/fr/pricing is /pricing)."""
        self.ensure_one()
        path = unquote(urlsplit(self.url or self.page_id.url or "").path) or "/"
        first, _slash, rest = path.lstrip("/").partition("/")
        if first in url_codes:
            path = f"/{rest}"
        return path
