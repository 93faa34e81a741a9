# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from collections import defaultdict

import pytz
from markupsafe import Markup

from odoo import api, fields, models
from odoo.tools import SQL

from ..tools import for_activities
from .crm_lead_batch import id_buckets

SLA_STATES = [
    ("none", "No SLA"),
    ("on_track", "On Track"),
    ("at_risk", "At Risk"),
    ("breached", "Breached"),
    ("met", "Met"),
]
RUNNING = ("on_track", "at_risk", "breached")
SLA_BATCH_SIZE = 500


class CrmLead(models.Model):
    _inherit = "crm.lead"

    # SLA: one clock at a time. Speed to lead: the qualifying rep's first touch on a new or recycled lead;
    # hand-off: the salesperson's answer to a lead handed off to them. Written by the SLA step and the SLA
    # job only (lead.sla.clock keeps every run).
    sla_clock_id = fields.Many2one("lead.sla.clock", "Current SLA Clock", readonly=True, copy=False)
    sla_policy_id = fields.Many2one("lead.sla.policy", "SLA Policy", readonly=True, copy=False,
                                    index="btree_not_null")
    sla_clock = fields.Selection([("speed", "Speed to Lead"), ("handoff", "Hand-off Answer")], "SLA Clock",
                                 readonly=True, copy=False)
    sla_owner_id = fields.Many2one("res.users", "SLA Owner", readonly=True, copy=False,
                                   help="Whose first touch the clock waits for.")
    sla_start = fields.Datetime("SLA Clock Started", readonly=True, copy=False)
    sla_deadline = fields.Datetime("SLA Deadline", readonly=True, copy=False, index="btree_not_null")
    sla_warning_date = fields.Datetime("SLA Warning", readonly=True, copy=False)
    sla_state = fields.Selection(SLA_STATES, "SLA", readonly=True, copy=False, index=True)
    sla_met_date = fields.Datetime("First Touch On", readonly=True, copy=False)
    sla_response_hours = fields.Float("Response (Working Hours)", readonly=True, copy=False, aggregator="avg")
    sla_response_calendar_hours = fields.Float("Response (Hours)", readonly=True, copy=False, aggregator="avg")
    sla_paused_since = fields.Datetime("SLA Paused Since", readonly=True, copy=False)
    sla_time_left = fields.Char("Time Left", compute="_compute_sla_time_left",
                                help="Time left before the SLA deadline, or how long it is overdue.")
    sla_clock_ids = fields.One2many("lead.sla.clock", "lead_id", "SLA Clocks", readonly=True)

    @api.depends("sla_state", "sla_deadline", "sla_paused_since")
    def _compute_sla_time_left(self):
        now = fields.Datetime.now()
        for lead in self:
            if lead.sla_paused_since and lead.sla_state in RUNNING:
                lead.sla_time_left = self.env._("Paused")
                continue
            if lead.sla_state not in RUNNING or not lead.sla_deadline:
                lead.sla_time_left = False
                continue
            delta = lead.sla_deadline - now
            hours = abs(delta.total_seconds()) / 3600
            text = (self.env._("%(h)dh%(m)02d", h=int(hours), m=int(hours * 60) % 60) if hours < 48
                    else self.env._("%s days", int(hours // 24)))
            lead.sla_time_left = text if delta.total_seconds() >= 0 else self.env._("%s overdue", text)

    # ------------------------------------------------------------
    # PIPELINE STEP 7: SLA
    # ------------------------------------------------------------

    def _sla_step(self, changes):
        """Start, restart, pause, resume or stop the clocks these changes call for."""
        if not self.env["lead.sla.policy"]._get_policy_ids():
            return
        vals = changes.values or {}
        if changes.created:
            self._sla_start("speed")
            return
        running = self.filtered(lambda lead: lead.sla_state in RUNNING) if vals else self.browse()
        if vals.get("handoff_state") in ("accepted", "rejected"):
            # Met by the salesperson's own answer only; a sales manager answering for them stops the clock.
            answered = running.filtered(lambda lead: lead.sla_clock == "handoff")
            by_owner = answered.filtered(lambda lead: lead.sla_owner_id == self.env.user)
            by_owner._sla_met(self.env.user, self.env._("Answered by sales"))
            (answered - by_owner)._sla_stop(self.env._("Answered by %s", self.env.user.name))
        if vals.get("handoff_state") == "pending":
            # Handing a lead off is its qualifying rep's doing: a touch, then the salesperson's clock.
            running.filtered(lambda lead: lead.sla_clock == "speed")._sla_touch(self.env.user)
            self._sla_start("handoff")
            return
        if vals.get("active") is False:
            running._sla_stop(self.env._("Lost"))
            return
        recycled = changes.moved.filtered(lambda lead: lead.lifecycle_code == "recycled")
        recycled._sla_start("speed")
        (changes.moved - recycled)._sla_follow_stage()
        if "qualifier_id" in vals:
            self.filtered(lambda lead: lead.sla_clock == "speed" and lead.sla_state in RUNNING
                          and lead.sla_owner_id != lead.qualifier_id)._sla_start("speed")
        if "user_id" in vals:
            self.filtered(lambda lead: lead.sla_clock == "handoff" and lead.sla_state in RUNNING
                          and lead.sla_owner_id != lead.user_id)._sla_start("handoff")

    def _message_post_after_hook(self, message, msg_vals):
        # An e-mail sent or a note logged from the chatter by the SLA owner is a first touch; a message from
        # the customer (an incoming e-mail), another user's or an automatic one is not.
        result = super()._message_post_after_hook(message, msg_vals)
        if (message.message_type == "comment" and not self.env.su and not self.env.user._is_public()
                and message.author_id == self.env.user.partner_id):
            self._sla_touch(self.env.user)
        return result

    # ------------------------------------------------------------
    # BUSINESS
    # ------------------------------------------------------------

    def _sla_owner(self, clock):
        self.ensure_one()
        return self.qualifier_id if clock == "speed" else self.user_id

    def _sla_start(self, clock):
        """(Re)start the ``clock`` of these leads for their current owner; the running clock, if any, ends."""
        if not self:
            return
        self = self.sudo()
        now = fields.Datetime.now()
        Policy = self.env["lead.sla.policy"]
        self.filtered(lambda lead: lead.sla_state in RUNNING)._sla_stop(self.env._("Restarted"), keep=True)
        groups = defaultdict(lambda: self.browse())
        for lead in self:
            # Only leads someone owns for this clock: a qualifying rep (marketing holds the lead) or the
            # salesperson it was handed to.
            owner = lead._sla_owner(clock)
            policy = Policy._sla_find(lead, clock) if owner and lead.active else Policy
            groups[policy, owner] |= lead
        Clock = self.env["lead.sla.clock"]
        for (policy, owner), leads in groups.items():
            if not policy:
                cleared = leads.filtered("sla_state")
                if cleared:
                    cleared._write_pipeline({"sla_state": "none", "sla_clock_id": False, "sla_paused_since": False},
                                            by_hand=False)
                continue
            plan = policy._sla_plan(owner, leads[:1], now)
            clocks = Clock.create([{
                "lead_id": lead.id, "company_id": lead.company_id.id, "policy_id": policy.id, "clock": clock,
                "owner_id": owner.id, "start": now, "resumed": now, **plan,
            } for lead in leads])
            leads._write_pipeline({
                "sla_policy_id": policy.id, "sla_clock": clock, "sla_owner_id": owner.id, "sla_start": now,
                "sla_deadline": plan["deadline"], "sla_warning_date": plan["warning_date"], "sla_state": "on_track",
                "sla_met_date": False, "sla_response_hours": 0.0, "sla_response_calendar_hours": 0.0,
                "sla_paused_since": False,
            }, by_hand=False)
            for lead, record in zip(leads, clocks, strict=True):
                lead._write_pipeline({"sla_clock_id": record.id}, by_hand=False)
            if plan["next_check"]:
                self.env.ref("lead_management.ir_cron_sla").sudo()._trigger(at=plan["next_check"])

    def _sla_stop(self, reason, keep=False):
        """End the running clocks without a first touch: the lead left the covered stages, was lost, or
        (``keep``) a new clock replaces it. A breached clock keeps its outcome."""
        clocks = self.sudo().sla_clock_id.filtered(lambda clock: not clock.closed)
        clocks.filtered(lambda clock: clock.state == "breached").write(
            {"closed": True, "next_check": False, "end_reason": reason})
        clocks.filtered(lambda clock: clock.state != "breached").write(
            {"state": "stopped", "closed": True, "next_check": False, "end_reason": reason})
        if not keep:
            self.sudo()._write_pipeline({"sla_state": "none", "sla_paused_since": False}, by_hand=False)

    def _sla_met(self, user, reason):
        """The owner touched the lead (or sales answered the hand-off): the clock ends met, or breached when
        the deadline has passed; the response time is kept in working and in calendar hours."""
        now = fields.Datetime.now()
        for lead in self.sudo().filtered(lambda lead: lead.sla_state in RUNNING):
            clock = lead.sla_clock_id
            working = clock.consumed_hours + (0.0 if clock.paused_since else clock.policy_id._sla_working_hours(
                clock.owner_id, clock.resumed, now, lead))
            state = "breached" if clock.deadline and now > clock.deadline and not clock.paused_since else "met"
            calendar_hours = (now - clock.start).total_seconds() / 3600
            clock.write({"state": state, "closed": True, "met_date": now, "met_by_id": user.id, "next_check": False,
                         "response_hours": working, "response_calendar_hours": calendar_hours, "end_reason": reason})
            lead._write_pipeline({"sla_state": state, "sla_met_date": now, "sla_response_hours": working,
                                  "sla_response_calendar_hours": calendar_hours, "sla_paused_since": False},
                                 by_hand=False)

    def _sla_touch(self, user):
        """Something ``user`` did on these leads (an activity done, an e-mail or a note from the chatter,
        handing it off): a first touch for the clocks waiting for them; anybody else's action changes nothing."""
        self.filtered(lambda lead: lead.sla_state in RUNNING and lead.sla_owner_id == user)._sla_met(
            user, self.env._("First touch"))

    def _sla_follow_stage(self):
        """Leads moved to another stage: a pausing stage pauses the clock (the working time used is kept), a
        covered stage resumes it (the rest planned from now), any other stage stops it."""
        now = fields.Datetime.now()
        for lead in self.sudo().filtered(lambda lead: lead.sla_state in RUNNING):
            clock, policy = lead.sla_clock_id, lead.sla_clock_id.policy_id
            stage = lead.lifecycle_stage_id
            if stage in policy.pause_stage_ids:
                if not clock.paused_since:
                    used = clock.consumed_hours + policy._sla_working_hours(clock.owner_id, clock.resumed, now, lead)
                    clock.write({"paused_since": now, "consumed_hours": used, "next_check": False})
                    lead._write_pipeline({"sla_paused_since": now}, by_hand=False)
            elif policy._covers_stage(stage):
                if clock.paused_since:
                    plan = policy._sla_plan(clock.owner_id, lead, now, consumed=clock.consumed_hours,
                                            escalation=clock.escalation)
                    clock.write({"paused_since": False, "resumed": now, **plan})
                    lead._write_pipeline({"sla_paused_since": False, "sla_deadline": plan["deadline"],
                                          "sla_warning_date": plan["warning_date"]}, by_hand=False)
                    if plan["next_check"]:
                        self.env.ref("lead_management.ir_cron_sla").sudo()._trigger(at=plan["next_check"])
            else:
                lead._sla_stop(self.env._("Left the stages of its SLA"))

    # ------------------------------------------------------------
    # ESCALATION
    # ------------------------------------------------------------

    @api.model
    def _sla_escalate(self, clocks, now):
        """Climb the ladder of these due clocks as far as ``now`` calls for, in batch: each rung once per
        clock, each in the chatter. 1: at the warning, the owner gets an activity (an owner away when the
        deadline falls is escalated at once); 2: at the deadline, a message and an activity for the team
        leader; 3: after the reassignment delay, the lead goes to the next owner with room."""
        _ = self.env._
        warned = clocks.filtered(lambda c: c.escalation < 1 and c.warning_date and now >= c.warning_date)
        if warned:
            reminded = warned.filtered(lambda c: c.policy_id.warn_owner)
            for (owner, day), group in reminded.grouped(
                    lambda c: (c.owner_id, fields.Date.context_today(c, c.deadline))).items():
                for_activities(group.lead_id).activity_schedule(  # one activity per lead, without an e-mail each
                    "mail.mail_activity_data_todo", user_id=owner.id, date_deadline=day,
                    summary=_("SLA at risk: contact this lead"))
            away = warned.filtered(lambda c: c.deadline_nominal and c.deadline and c.deadline > c.deadline_nominal)
            for clock in away:
                self._sla_tell_leader(clock, _("%s is away when the SLA deadline falls", clock.owner_id.name))
            warned.lead_id._message_log_batch(bodies={clock.lead_id.id: Markup("<p>%s</p>") % (
                _("SLA at risk: %(owner)s has until %(deadline)s for a first touch.", owner=clock.owner_id.name,
                  deadline=self._sla_format(clock.deadline))
                + (" " + _("%s is away when the deadline falls: escalated at once.", clock.owner_id.name)
                   if clock in away else "")) for clock in warned})
            (warned - away).write({"state": "at_risk", "escalation": 1})
            away.write({"state": "at_risk", "escalation": 2})
            warned.lead_id._write_pipeline({"sla_state": "at_risk"}, by_hand=False)
        breached = clocks.filtered(lambda c: c.escalation < 2 and c.deadline and now >= c.deadline)
        breached |= clocks.filtered(lambda c: c.state != "breached" and c.deadline and now >= c.deadline)
        if breached:
            to_tell = breached.filtered(lambda c: c.escalation < 2)
            to_tell.lead_id._message_log_batch(bodies={clock.lead_id.id: Markup("<p>%s</p>") % _(
                "SLA breached: no first touch by %(owner)s before %(deadline)s.", owner=clock.owner_id.name,
                deadline=self._sla_format(clock.deadline)) for clock in to_tell})
            for clock in to_tell:
                self._sla_tell_leader(clock, _("SLA breached: no first touch by %s", clock.owner_id.name))
            breached.write({"state": "breached"})
            to_tell.write({"escalation": 2})
            breached.lead_id._write_pipeline({"sla_state": "breached"}, by_hand=False)
        reassigned = clocks.filtered(lambda c: c.state == "breached" and c.escalation < 3 and c.reassign_date
                                     and now >= c.reassign_date)
        for clock in reassigned:
            clock.write({"escalation": 3})
            clock.lead_id._sla_reassign(clock)
        for clock in clocks.filtered(lambda c: not c.closed):
            clock.next_check = clock._next_check()

    @api.model
    def _sla_tell_leader(self, clock, summary):
        leader = clock.lead_id.team_id.user_id
        if clock.policy_id.escalate_to_leader and leader and leader.active:
            for_activities(clock.lead_id).activity_schedule(
                "mail.mail_activity_data_todo", user_id=leader.id, summary=summary,
                note=self.env._("%(owner)s owns this lead. Follow it up, or give it to someone with time.",
                                owner=clock.owner_id.name))

    def _sla_reassign(self, clock):
        """The last rung: the lead goes to the next qualifying rep (speed to lead) or salesperson (hand-off)
        with room, by the capacity rules of ownership and hand-off; the clock restarts for them."""
        _ = self.env._
        old = clock.owner_id
        if clock.clock == "speed":
            who = self._assign_qualifiers(exclude=old).qualifier_id
        else:
            handed, _refused, _chosen = self._handoff_to_sales(exclude=old)
            who = handed.user_id
        body = (_("SLA: reassigned from %(old)s to %(new)s, no first touch after the deadline.", old=old.name,
                  new=who.name) if who else _("SLA: nobody with room to take this lead over from %s.", old.name))
        self._message_log(body=Markup("<p>%s</p>") % body)

    @api.model
    def _sla_format(self, value):
        tz = pytz.timezone(self.env.user.tz or "UTC")
        return pytz.utc.localize(value).astimezone(tz).strftime("%Y-%m-%d %H:%M")

    # ------------------------------------------------------------
    # CRON
    # ------------------------------------------------------------

    @api.model
    def _cron_sla(self, batch_size=SLA_BATCH_SIZE):
        """Escalate the clocks that are due: selected by their indexed next check, in chunks of ``batch_size`` clock
        ids (_lead_management_run: committed one after the other, or jobs of queue_job), each clock locked (SKIP
        LOCKED: two Odoo processes never act on one clock), checked again once locked, escalated. A crash loses at
        most the chunk being done, which the next run does again. The job is then woken at the next due moment."""
        now = fields.Datetime.now()
        self.env.flush_all()
        self.env.cr.execute(SQL("SELECT id FROM lead_sla_clock WHERE %s ORDER BY id", self._sla_due(now)))
        due = [row[0] for row in self.env.cr.fetchall()]
        self._lead_management_run("crm.lead", "_sla_run_chunk", id_buckets(due, batch_size), now=now)
        self.env.cr.execute(
            "SELECT MIN(next_check) FROM lead_sla_clock WHERE closed IS NOT TRUE AND paused_since IS NULL")
        upcoming = self.env.cr.fetchone()[0]
        if upcoming:
            self.env.ref("lead_management.ir_cron_sla").sudo()._trigger(at=max(upcoming, now))

    @api.model
    def _sla_due(self, now):
        return SQL("closed IS NOT TRUE AND paused_since IS NULL AND next_check <= %s", now)

    @api.model
    def _sla_run_chunk(self, low, high, now):
        """Escalate the clocks of ids in [low, high) due at ``now``: locked (those another process holds are left to
        it), checked again once locked."""
        now = fields.Datetime.to_datetime(now)
        self.env.flush_all()
        clocks = self.env["lead.sla.clock"].sudo().browse(self._lead_management_lock(SQL(
            "SELECT id FROM lead_sla_clock WHERE %s AND id >= %s AND id < %s ORDER BY next_check, id "
            "FOR UPDATE SKIP LOCKED", self._sla_due(now), low, high)))
        if not clocks:
            return
        # Checked again once locked: another process may have moved them on meanwhile.
        clocks.invalidate_recordset()
        clocks = clocks.filtered(lambda c: not c.closed and not c.paused_since and c.next_check
                                 and c.next_check <= now)
        current = clocks.filtered(lambda c: c.lead_id.sla_clock_id == c)
        # Clocks whose lead moved on (another clock runs now) are no longer due.
        (clocks - current).write({"closed": True, "next_check": False, "end_reason": self.env._("Replaced")})
        self.sudo()._sla_escalate(current, now)
