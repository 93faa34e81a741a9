# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from collections import defaultdict
from datetime import timedelta

from markupsafe import Markup

from odoo import api, fields, models
from odoo.tools import SQL, format_datetime

from ..tools import for_activities
from .lead_nurture_step import WAIT_GRACE
from .resource_calendar import LOOK_AHEAD


class LeadNurtureTrace(models.Model):
    """One step of a track for one lead: scheduled at a date, then done, skipped, failed or cancelled (as
    Odoo's marketing automation traces). The nurture job selects due rows by the indexed scheduled date."""

    _name = "lead.nurture.trace"
    _inherit = ["lead.access.mixin"]
    _description = "Lead Nurture Step Trace"
    _order = "scheduled_date, id"
    _rec_name = "step_id"

    enrolment_id = fields.Many2one("lead.nurture.enrolment", required=True, ondelete="cascade", index=True,
                                   readonly=True)
    lead_id = fields.Many2one("crm.lead", required=True, index=True, ondelete="cascade", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True, index=True)
    step_id = fields.Many2one("lead.nurture.step", required=True, readonly=True, ondelete="cascade")
    scheduled_date = fields.Datetime(required=True, readonly=True)
    state = fields.Selection([
        ("scheduled", "Scheduled"), ("done", "Done"), ("skipped", "Skipped"), ("failed", "Failed"),
        ("cancelled", "Cancelled"),
    ], required=True, default="scheduled", readonly=True)
    date_done = fields.Datetime("Done On", readonly=True)
    note = fields.Char(readonly=True, help="What happened, or why the step was skipped, failed or held.")
    # A step that waits for a signal: the event that ended the wait (empty: it timed out, or still waits).
    signal_event_id = fields.Many2one("lead.engagement.event", "Signal", readonly=True, ondelete="set null")

    def init(self):
        # The job's only way in: due scheduled rows, by date.
        self.env.cr.execute("""
            CREATE INDEX IF NOT EXISTS lead_nurture_trace_due
                ON lead_nurture_trace (scheduled_date) WHERE state = 'scheduled'
        """)

    def _nurture_note_suffix(self):
        return " (%s)" % self.note if self.note else ""

    def _nurture_run(self, now):
        """Run these due steps (of active enrolments): e-mail, activity, rescore or stage move, step by
        step in batch; then schedule each enrolment's next step or finish it. A step that cannot be done for
        a lead is marked skipped or failed with the reason, and the batch goes on."""
        _ = self.env._
        for step, traces in self.grouped("step_id").items():
            leads = traces.lead_id
            handler = getattr(traces, f"_nurture_run_{step.action}")
            try:
                with self.env.cr.savepoint():
                    handler(step, leads)
            except Exception as error:
                traces.write({"state": "failed", "date_done": now, "note": str(error)[:250]})
            # A step held for later (an e-mail outside the lead's working hours, or over its weekly limit) stays
            # scheduled, at its new date.
            sent = traces.filtered(lambda trace: trace.state == "scheduled" and trace.scheduled_date <= now)
            # What a held e-mail waited for is history once it went ("held until …" no longer says what happened).
            sent.filtered(lambda trace: trace.note and trace.step_id.action == "email").write({"note": False})
            sent.write({"state": "done", "date_done": now})
            logged = traces.filtered(lambda trace: trace.state in ("done", "skipped", "failed"))
            states = dict(self._fields["state"]._description_selection(self.env))
            logged.lead_id._message_log_batch(bodies={
                trace.lead_id.id: Markup("<p>%s</p>") % _(
                    "Nurture “%(track)s”, step “%(step)s”: %(state)s%(note)s.", track=trace.step_id.track_id.name,
                    step=trace.step_id.name, state=states[trace.state], note=trace._nurture_note_suffix())
                for trace in logged})
        # Next steps (scheduled together, step by step), or the end of the track.
        following_of = defaultdict(lambda: self.env["lead.nurture.enrolment"])
        finished = self.env["crm.lead"]
        for trace in self.filtered(lambda trace: trace.enrolment_id.state == "active" and trace.state != "scheduled"):
            enrolment = trace.enrolment_id
            following = trace._nurture_next_step()
            if following:
                following_of[following] |= enrolment
            elif enrolment.lead_id.nurture_enrolment_id == enrolment:
                finished |= enrolment.lead_id
        for following, enrolments in following_of.items():
            enrolments._nurture_schedule(following, now)
        finished._nurture_exit("finished")

    def _nurture_next_step(self):
        """The step this lead goes to after this one (empty: its track ends): the next one, or where a wait for a
        signal branches (on the signal, on the time-out)."""
        self.ensure_one()
        step = self.step_id
        if step.action == "wait":
            if self.signal_event_id:
                return step.signal_step_id or step._nurture_following()
            if step.timeout_action == "finish":
                return step.browse()
            if step.timeout_action == "step":
                return step.timeout_step_id
        return step._nurture_following()

    def _nurture_run_email(self, step, leads):
        """Send the step's template to the leads that may receive it. A lead whose consent is refused, or one of
        whose recipients (every address the template would write to: the lead's, its copies, its partners') is on
        the e-mail blacklist, opted out: the step is skipped and the lead leaves the track. A lead without a valid
        address fails this step."""
        _ = self.env._
        by_lead = {trace.lead_id: trace for trace in self}
        refused = leads.filtered(lambda lead: lead.marketing_consent == "refused")
        for lead in refused:
            by_lead[lead].write({"state": "skipped", "note": _("opted out: the person refused marketing e-mails")})
        no_address = (leads - refused).filtered(lambda lead: not lead.email_normalized)
        for lead in no_address:
            by_lead[lead].write({"state": "failed", "note": _("no valid e-mail address")})
        candidates = leads - refused - no_address
        recipients = step.mail_template_id._nurture_recipients(candidates)
        # Asked now, not read from a cached value: an address may have been blacklisted a minute ago.
        addresses = set().union(*recipients.values())
        blacklisted = set(self.env["mail.blacklist"].sudo().search([("email", "in", list(addresses))]).mapped("email"))
        # Consent is the person's: an address whose latest statement, on any lead of the company, is a refusal is
        # not written to from another lead of theirs where nobody asked.
        # Each company's own: a statement made to another company of the database neither stops nor allows it.
        refusing = defaultdict(set)  # company id: addresses whose latest statement there is a refusal
        for company_id, address in self._nurture_refusing_addresses(
                addresses, (candidates.company_id | self.env.company).ids):
            refusing[company_id].add(address)

        def refused_here(lead):
            return recipients[lead.id] & refusing[(lead.company_id or self.env.company).id]

        opted_out = candidates.filtered(lambda lead: recipients[lead.id] & blacklisted or refused_here(lead))
        for lead in opted_out:
            if recipients[lead.id] & blacklisted:
                note = _("opted out: %s is blacklisted", ", ".join(sorted(recipients[lead.id] & blacklisted)))
            else:
                note = _("opted out: %s refused marketing e-mails on another lead",
                         ", ".join(sorted(refused_here(lead))))
            by_lead[lead].write({"state": "skipped", "note": note})
        receivers = self._nurture_hold(candidates - opted_out)
        if receivers:
            self._nurture_send(step, receivers)
        if refused | opted_out:
            (refused | opted_out)._nurture_exit("opted_out")

    def _nurture_send(self, step, leads):
        """Send the e-mail of ``step`` to ``leads``: a marketing e-mail, each copy with its unsubscribe link and
        headers (mail.mail._prepare_outgoing_list). Email Marketing's bridge sends it through its engine."""
        step.mail_template_id.send_mail_batch(leads.ids, email_values={"nurture_step_id": step.id})

    def _nurture_hold(self, leads):
        """Of ``leads`` (of these traces), those that may get a marketing e-mail now. The others' steps are held,
        still scheduled, until they may (their note says why): outside the working days and hours of the company's
        schedule in the lead's time zone, or when their address got the company's weekly limit of marketing e-mails
        in the last 7 days (counted across tracks, companies and, with Email Marketing, mailings)."""
        _ = self.env._
        now = fields.Datetime.now()
        by_lead = {trace.lead_id: trace for trace in self}
        held = {}  # lead: (until, note)
        for company, group in leads.grouped(lambda lead: lead.company_id or self.env.company).items():
            calendar = company.resource_calendar_id
            if not company.nurture_working_hours or not calendar:
                continue
            for tz_name, local in group.grouped(lambda lead: lead._nurture_tz()).items():
                # No working time in the next two weeks (a long closure): held to the end of them, then asked again.
                start = calendar._nurture_next_working_moment(now, tz_name) or now + LOOK_AHEAD
                if start > now:
                    local_start = format_datetime(self.env, start, tz=tz_name, dt_format="short")
                    for lead in local:
                        held[lead] = (start, _("held until %(start)s (%(tz)s): outside the lead's working hours",
                                               start=local_start, tz=tz_name))
        caps = {company: company.nurture_weekly_cap for company in (leads.company_id | self.env.company)}
        capped = leads.filtered(lambda lead: lead not in held and caps[lead.company_id or self.env.company])
        sent = self._nurture_marketing_sent({lead.email_normalized for lead in capped}, now - timedelta(days=7))
        for lead in capped.sorted("id"):
            cap = caps[lead.company_id or self.env.company]
            dates = sorted(sent.setdefault(lead.email_normalized, []))
            if len(dates) >= cap:
                # Under the limit again when the oldest of the last ``cap`` e-mails is 7 days old.
                until = max(dates[len(dates) - cap] + timedelta(days=7), now + timedelta(minutes=1))
                held[lead] = (until, _("held until %(until)s (UTC): %(count)s marketing e-mails to %(email)s in 7 "
                                       "days (the limit is %(cap)s)",
                                       until=format_datetime(self.env, until, tz="UTC", dt_format="short"),
                                       count=len(dates), email=lead.email_normalized, cap=cap))
            else:
                sent[lead.email_normalized].append(now)
        groups = defaultdict(lambda: self.browse())
        for lead, (until, note) in held.items():
            groups[until, note] |= by_lead[lead]
        for (until, note), traces in groups.items():
            traces.write({"scheduled_date": until, "note": note})
        return leads.filtered(lambda lead: lead not in held)

    @api.model
    def _nurture_marketing_sent(self, addresses, since):
        """{address: [when]}: the marketing e-mails each of ``addresses`` (normalised) got after ``since``: nurture
        e-mails of every track and company (Email Marketing's bridge adds its mailings)."""
        sent = defaultdict(list)
        if not addresses:
            return sent
        self.env.cr.execute(SQL("""
            SELECT lead.email_normalized, trace.date_done
              FROM lead_nurture_trace trace
              JOIN lead_nurture_step step ON step.id = trace.step_id
              JOIN crm_lead lead ON lead.id = trace.lead_id
             WHERE trace.state = 'done' AND step.action = 'email' AND trace.date_done > %s
               AND lead.email_normalized = ANY(%s)
        """, since, list(addresses)))
        for address, date in self.env.cr.fetchall():
            sent[address].append(date)
        return sent

    def _nurture_run_wait(self, step, leads):
        """A wait ends: on its signal (recorded by _nurture_signal), or at its time-out — when no event of its types
        dated within the wait was recorded meanwhile (a bridge's job records what happened a while ago: a click
        before the time-out recorded just after it is still a signal)."""
        _ = self.env._
        for trace in self.filtered(lambda trace: not trace.signal_event_id):
            signal = self.env["lead.engagement.event"].sudo().search([
                ("lead_id", "=", trace.lead_id.id), ("type_id", "in", step.wait_type_ids.ids),
                ("date", ">=", trace.create_date.replace(microsecond=0)), ("date", "<=", trace._nurture_time_out()),
            ], order="date, id", limit=1)
            if signal:
                trace.signal_event_id = signal
        for trace in self:
            if trace.signal_event_id:
                event = trace.signal_event_id
                trace.note = _("signal: %s", event.note or event.type_id.name)
            else:
                trace.note = _("no signal in time")

    def _nurture_time_out(self):
        """The moment this wait times out (it runs WAIT_GRACE later, or at once on a signal)."""
        self.ensure_one()
        if self.signal_event_id:
            return self.signal_event_id.date
        return self.scheduled_date - WAIT_GRACE

    @api.model
    def _nurture_signal(self, events, leads=None):
        """Engagement events were recorded (for ``leads``, when the caller knows them): the steps of their leads that
        wait for one of those types (recorded since the wait began) end now, on that signal; the nurture job goes on
        with them at once."""
        events = events.sudo()
        leads = events.lead_id if leads is None else leads
        waiting = self.sudo().search([("lead_id", "in", leads.ids), ("state", "=", "scheduled"),
                                      ("step_id.action", "=", "wait"), ("signal_event_id", "=", False)])
        if not waiting:
            return
        events = events.filtered(lambda event: event.lead_id in waiting.lead_id)
        now = fields.Datetime.now()
        signalled = False
        for trace in waiting:
            # Within the wait: from its start (to the second, as event dates are) to now (an event dated in the
            # future is no signal yet).
            signal = events.filtered(lambda event, trace=trace: event.lead_id == trace.lead_id
                                     and event.type_id in trace.step_id.wait_type_ids
                                     and trace.create_date.replace(microsecond=0) <= event.date
                                     <= min(now, trace._nurture_time_out())).sorted("date")[:1]
            if signal:
                trace.write({"signal_event_id": signal.id, "scheduled_date": min(trace.scheduled_date, now)})
                signalled = True
        if signalled:
            self.env.ref("lead_management.ir_cron_nurture").sudo()._trigger()

    @api.model
    def _nurture_refusing_addresses(self, addresses, company_ids):
        """{(company id, address)} for those of ``addresses`` (normalised) whose latest stated consent, on any lead
        of that company (or of none), is a refusal; for each of ``company_ids``."""
        if not addresses:
            return set()
        self.env["crm.lead"].flush_model(["email_normalized", "marketing_consent", "marketing_consent_date",
                                          "company_id"])
        self.env.cr.execute(SQL("""
            SELECT company, email_normalized FROM (
                SELECT DISTINCT ON (company.id, lead.email_normalized)
                       company.id AS company, lead.email_normalized, lead.marketing_consent
                  FROM unnest(%s::int[]) AS company(id)
                  JOIN crm_lead lead ON lead.company_id = company.id OR lead.company_id IS NULL
                 WHERE lead.email_normalized = ANY(%s) AND lead.marketing_consent IS NOT NULL
                 ORDER BY company.id, lead.email_normalized, lead.marketing_consent_date DESC NULLS LAST, lead.id DESC
            ) latest
             WHERE marketing_consent = 'refused'
        """, list(company_ids), list(addresses)))
        return {(company_id, address) for company_id, address in self.env.cr.fetchall()}

    def _nurture_run_activity(self, step, leads):
        for owner, owned in leads.grouped(lambda lead: lead.qualifier_id or lead.user_id).items():
            for_activities(owned).activity_schedule(
                activity_type_id=step.activity_type_id.id, summary=step.activity_summary or step.name,
                user_id=owner.id or self.env.uid)

    def _nurture_run_rescore(self, step, leads):
        leads._scoring_rescored(*leads._scoring_recompute())

    def _nurture_run_stage(self, step, leads):
        leads._lifecycle_move(step.stage_id, self.env._("Nurture step “%s”", step.name))
