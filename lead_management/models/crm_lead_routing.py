# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Routing that knows who is at work: the qualifier assignment and the hand-off pass over people on time off, and, when
the lead's SLA clock would start with them, people outside their working hours; each choice (or the lack of one) is
logged with its reason (lead.routing.log), shown on the lead and in the Routing report."""
from collections import defaultdict
from datetime import timedelta

import pytz

from odoo import api, fields, models
from odoo.tools import SQL

ON_LEAVE = "leave"
OFF_HOURS = "off_hours"


class CrmLead(models.Model):
    _inherit = "crm.lead"

    routing_log_ids = fields.One2many("lead.routing.log", "lead_id", "Routing", readonly=True)
    routing_note = fields.Char("Why This Owner", compute="_compute_routing_note",
                               help="Why the lead went to its qualifying rep or salesperson, and who was passed over.")

    @api.depends("routing_log_ids")
    def _compute_routing_note(self):
        for lead in self:
            lead.routing_note = lead.routing_log_ids[:1].reason or False

    # ------------------------------------------------------------
    # BUSINESS
    # ------------------------------------------------------------

    @api.model
    def _routing_presence(self, users, companies):
        """{(user, company): ON_LEAVE, OFF_HOURS or None} now: on leave when a time off of theirs (or a closing day of
        their schedule) covers this moment, outside working hours when their schedule (their resource's, else the
        company's) has no working time now. Users without a schedule of their own work the company's hours."""
        now = fields.Datetime.now()
        presence = {}
        if not users:
            return presence
        Leave = self.env["resource.calendar.leaves"].sudo()
        setups = {}  # (user, company): (calendar, resource, tz)
        for user in users:
            for company in companies:
                resource = user.sudo().resource_ids.filtered(
                    lambda res, company=company: res.company_id in (company, self.env["res.company"]))[:1]
                calendar = resource.calendar_id or company.resource_calendar_id
                setups[user, company] = (calendar, resource, pytz.timezone(
                    resource.tz or user.tz or calendar.tz or "UTC"))
        resources = [resource.id for _calendar, resource, _tz in setups.values() if resource]
        calendars = [calendar.id for calendar, _resource, _tz in setups.values() if calendar]
        leaves = Leave.search_fetch([
            ("date_from", "<=", now), ("date_to", ">", now), ("time_type", "=", "leave"),
            "|", ("resource_id", "in", resources),
            "&", ("resource_id", "=", False), ("calendar_id", "in", calendars + [False])],
            ["resource_id", "calendar_id", "company_id"])
        # Working time now: one reading per schedule for the people with a resource (in its time zone), one per
        # schedule and time zone for the others.
        start = pytz.utc.localize(now)
        readings = defaultdict(lambda: self.env["resource.resource"])
        for calendar, resource, tz in setups.values():
            if calendar:
                readings[calendar, None if resource else tz] |= resource
        working = {}
        for (calendar, tz), resources_of in readings.items():
            work = calendar._work_intervals_batch(start, start + timedelta(minutes=1), resources=resources_of or None,
                                                  tz=tz)
            working.update({(calendar, tz, resource_id): bool(intervals) for resource_id, intervals in work.items()})
        for (user, company), (calendar, resource, tz) in setups.items():
            own = leaves.filtered(lambda leave, resource=resource, calendar=calendar, company=company: (
                resource and leave.resource_id == resource) or (
                not leave.resource_id and leave.calendar_id in (calendar, self.env["resource.calendar"])
                and leave.company_id in (company, self.env["res.company"])))
            if own:
                presence[user, company] = ON_LEAVE
            elif calendar and not working[calendar, None if resource else tz, resource.id]:
                presence[user, company] = OFF_HOURS
            else:
                presence[user, company] = None
        return presence

    @api.model
    def _routing_pick(self, candidates, presence, company, needs_hours, full, load_of, describe):
        """(chosen user or False, reason, skipped counts) among ``candidates`` (users, in preference order) for a lead
        of ``company``: those on leave, those ``full`` says are at capacity and, when an SLA clock would start
        (``needs_hours``), those outside working hours are passed over (one reason each, in that order); the least
        loaded (``load_of``) of the others is chosen; when only people outside their hours are left, the least loaded
        of them. ``describe(user)`` says why the chosen one."""
        _ = self.env._
        skipped = {"leave": [], "hours": [], "capacity": []}
        at_work, off_hours = [], []
        for user in candidates:
            state = presence.get((user, company))
            if state == ON_LEAVE:
                skipped["leave"].append(user)
            elif full(user):
                skipped["capacity"].append(user)
            elif state == OFF_HOURS and needs_hours:
                off_hours.append(user)
            else:
                at_work.append(user)
        pool = at_work or off_hours
        chosen = min(pool, key=lambda user: (load_of(user), candidates.index(user))) if pool else False
        if at_work:
            skipped["hours"] = off_hours
        notes = [_("%s on leave", user.name) for user in skipped["leave"]]
        notes += [_("%s outside working hours", user.name) for user in skipped["hours"]]
        notes += [_("%s at capacity", user.name) for user in skipped["capacity"]]
        if chosen and not at_work:
            head = _("to %(user)s: %(why)s, though outside working hours (nobody is at work)", user=chosen.name,
                     why=describe(chosen))
        elif chosen:
            head = _("to %(user)s: %(why)s", user=chosen.name, why=describe(chosen))
        else:
            head = _("to nobody: nobody is available")
        reason = "; ".join([head, *notes]) if candidates else _("to nobody: nobody takes these leads")
        counts = {"skipped_leave": len(skipped["leave"]), "skipped_hours": len(skipped["hours"]),
                  "skipped_capacity": len(skipped["capacity"])}
        return chosen, reason, counts

    @api.model
    def _routing_log(self, entries):
        """Write the routing decisions: ``entries`` are (lead, kind, user or False, reason, skipped counts). A lead
        nobody could take again, for the same reason as the last time (the scheduled assignment retries it every
        hour), gets no new row."""
        unrouted = [lead.id for lead, _kind, user, _reason, _counts in entries if not user]
        last = {}
        if unrouted:
            self.env["lead.routing.log"].flush_model()
            self.env.cr.execute(SQL("""
                SELECT DISTINCT ON (lead_id, kind) lead_id, kind, user_id, reason FROM lead_routing_log
                 WHERE lead_id = ANY(%s) ORDER BY lead_id, kind, date DESC, id DESC
            """, unrouted))
            last = {(lead_id, kind): (user_id, reason) for lead_id, kind, user_id, reason in self.env.cr.fetchall()}
        values = [{
            "lead_id": lead.id, "company_id": lead.company_id.id, "kind": kind, "user_id": user.id if user else False,
            "reason": reason, "routed_count": 1 if user else 0, **counts,
        } for lead, kind, user, reason, counts in entries if user or last.get((lead.id, kind)) != (None, reason)]
        if values:
            self.env["lead.routing.log"].sudo().create(values)
