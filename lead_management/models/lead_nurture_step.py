# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import ValidationError

# A wait's time-out is decided this long after it passes: the bridges' jobs (every 15 minutes) record then what the
# lead did before it. Only what happened before the time-out is a signal.
WAIT_GRACE = timedelta(minutes=30)


class LeadNurtureStep(models.Model):
    _name = "lead.nurture.step"
    _description = "Lead Nurture Step"
    _order = "track_id, sequence, id"

    track_id = fields.Many2one("lead.nurture.track", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="track_id.company_id")
    sequence = fields.Integer(default=10)
    name = fields.Char(required=True, translate=True)
    # When
    delay = fields.Float(default=1.0, help="How long after the enrolment or the previous step.")
    delay_unit = fields.Selection([("days", "Days"), ("hours", "Working Hours")], required=True, default="days")
    delay_from = fields.Selection([("enrolment", "Enrolment"), ("previous", "Previous Step")], required=True,
                                  default="previous")
    # What
    action = fields.Selection([
        ("email", "Send an E-mail"),
        ("activity", "Schedule an Activity"),
        ("rescore", "Rescore the Lead"),
        ("stage", "Move the Lifecycle Stage"),
        ("wait", "Wait for a Signal"),
    ], required=True, default="email",
        help="Wait for a Signal: the lead's track waits, up to the step's delay (its time-out), until the lead does "
             "one of the step's signals (opens or clicks an e-mail, visits a page, registers for an event…), then "
             "goes one way or the other.")
    mail_template_id = fields.Many2one("mail.template", "E-mail Template", domain="[('model', '=', 'crm.lead')]")
    activity_type_id = fields.Many2one("mail.activity.type")
    activity_summary = fields.Char(translate=True)
    stage_id = fields.Many2one("lead.lifecycle.stage", "Move to Stage", domain="[('side', '=', 'marketing')]")
    # Wait for a signal (the delay is the time-out)
    wait_type_ids = fields.Many2many(
        "lead.engagement.type", string="Signals",
        help="What the lead may do to end the wait: any engagement event of these types recorded after the wait "
             "began (an opened or clicked mailing, a page visit, an event registration…).")
    signal_step_id = fields.Many2one(
        "lead.nurture.step", "On Signal, Go To", domain="[('track_id', '=', track_id)]",
        help="The step that follows when the lead gives a signal in time (empty: the next step).")
    timeout_action = fields.Selection([
        ("next", "Go on with the next step"), ("step", "Go to a step"), ("finish", "End the track"),
    ], "On Time-out", required=True, default="next", help="What happens when the time-out passes without a signal.")
    timeout_step_id = fields.Many2one("lead.nurture.step", "On Time-out, Go To",
                                      domain="[('track_id', '=', track_id)]")
    # Figures
    scheduled_count = fields.Integer("Waiting", compute="_compute_counts",
                                     help="Leads whose next step this is.")
    done_count = fields.Integer("Done", compute="_compute_counts")

    def _compute_counts(self):
        Trace = self.env["lead.nurture.trace"]
        groups = Trace._read_group([("step_id", "in", self.ids), ("state", "in", ("scheduled", "done"))],
                                   ["step_id", "state"], ["__count"])
        counts = {(step, state): count for step, state, count in groups}
        for step in self:
            step.scheduled_count = counts.get((step, "scheduled"), 0)
            step.done_count = counts.get((step, "done"), 0)

    @api.constrains("action", "mail_template_id", "activity_type_id", "stage_id", "delay", "wait_type_ids",
                    "signal_step_id", "timeout_action", "timeout_step_id", "sequence", "track_id")
    def _check_action(self):
        for step in self:
            if step.delay < 0:
                raise ValidationError(self.env._(
                    "Step “%s” cannot wait a negative time: use 0 for at once.", step.name))
            if step.action == "email" and not step.mail_template_id:
                raise ValidationError(self.env._("Step “%s” sends an e-mail: choose its template.", step.name))
            if step.action == "email" and step.mail_template_id.model != "crm.lead":
                raise ValidationError(self.env._(
                    "The template “%(template)s” of step “%(step)s” is for %(model)s, not for leads: choose a template "
                    "of the Lead/Opportunity model.", template=step.mail_template_id.name, step=step.name,
                    model=step.mail_template_id.model))
            if step.action == "activity" and not step.activity_type_id:
                raise ValidationError(self.env._("Step “%s” schedules an activity: choose its type.", step.name))
            if step.action == "stage" and not step.stage_id:
                raise ValidationError(self.env._("Step “%s” moves the lifecycle stage: choose the stage.", step.name))
        # The waits of these steps and of those that go to them (a reorder may put a target before its wait).
        sources = self.search(["|", ("signal_step_id", "in", self.ids), ("timeout_step_id", "in", self.ids)])
        for step in (self | sources).filtered(lambda step: step.action == "wait"):
            step._check_wait()

    @api.ondelete(at_uninstall=False)
    def _unlink_except_branch_target(self):
        # A step a wait of another step goes to cannot go alone (the track would end where it should branch).
        sources = self.search(["|", ("signal_step_id", "in", self.ids), ("timeout_step_id", "in", self.ids),
                               ("id", "not in", self.ids)])
        if sources:
            raise ValidationError(self.env._(
                "“%(step)s” is where “%(wait)s” goes: change that step first.",
                step=(sources.signal_step_id | sources.timeout_step_id).filtered(lambda step: step in self)[:1].name,
                wait=sources[:1].name))

    def _check_wait(self):
        _ = self.env._
        if not self.wait_type_ids:
            raise ValidationError(_("Step “%s” waits for a signal: choose the signals (engagement types) it waits "
                                    "for.", self.name))
        if not self.delay:
            raise ValidationError(_("Step “%s” waits for a signal: give it a time-out (its delay), more than 0.",
                                    self.name))
        if self.timeout_action == "step" and not self.timeout_step_id:
            raise ValidationError(_("Step “%s” goes to a step on time-out: choose the step.", self.name))
        for target in (self.signal_step_id, self.timeout_step_id if self.timeout_action == "step" else self.browse()):
            if target and target.track_id != self.track_id:
                raise ValidationError(_("Step “%(step)s” can only go to a step of its own track, not to “%(target)s”.",
                                        step=self.name, target=target.name))
            # Forward only: a track always ends (no loop of e-mails).
            if target and (target.sequence, target.id) <= (self.sequence, self.id):
                raise ValidationError(_("Step “%(step)s” can only go to a later step of the track: “%(target)s” comes "
                                        "before it. Reorder the steps or choose another.", step=self.name,
                                        target=target.name))

    def _nurture_following(self):
        """The step after this one in its track's order (empty after the last)."""
        self.ensure_one()
        return self.track_id.step_ids.filtered(
            lambda other: (other.sequence, other.id) > (self.sequence, self.id))[:1]

    def _nurture_due(self, after, lead):
        """When this step runs for ``lead`` if its delay counts from ``after``: days are calendar days;
        working hours are the lead owner's (their schedule, else the company's). A wait runs at its time-out plus
        WAIT_GRACE (see _nurture_time_out)."""
        self.ensure_one()
        grace = WAIT_GRACE if self.action == "wait" else timedelta()
        if self.delay_unit == "days" or not self.delay:
            return after + timedelta(days=self.delay) + grace
        owner = lead.qualifier_id or lead.user_id
        company = lead.company_id or self.env.company
        resource = owner.sudo().resource_ids[:1]
        calendar = resource.calendar_id or company.resource_calendar_id
        return (calendar.plan_hours(self.delay, after, compute_leaves=True, resource=resource or None) or after) + grace
