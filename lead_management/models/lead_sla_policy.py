# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import pytz

from odoo import api, fields, models, tools
from odoo.exceptions import ValidationError


class LeadSlaPolicy(models.Model):
    """How fast a lead must be followed up, on working hours, and what happens when it is not.

    Two clocks: *speed to lead* waits for the qualifying rep's first touch on a new or recycled lead;
    *hand-off answer* waits for the salesperson's answer (accept, reject or a first touch) to a lead
    handed off to them. The first active policy (by sequence) whose criteria match a lead sets its clock."""

    _name = "lead.sla.policy"
    _inherit = ["lead.cached.mixin"]  # _get_policy_ids
    _description = "Lead SLA Policy"
    _order = "sequence, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one("res.company", index=True, default=lambda self: self.env.company,
                                 help="Leave empty to apply to every company (then only shared stages, grades and "
                                      "working hours can be chosen).")
    clock = fields.Selection([("speed", "Speed to Lead"), ("handoff", "Hand-off Answer")], required=True,
                             default="speed",
                             help="Speed to Lead: the qualifying rep's first touch on a new or recycled lead. "
                                  "Hand-off Answer: the salesperson's accept, reject or first touch.")
    # Which leads
    stage_ids = fields.Many2many(
        "lead.lifecycle.stage", "lead_sla_policy_stage_rel", "policy_id", "stage_id", "Lifecycle Stages",
        check_company=True, help="Stages the clock runs in (empty: every stage of marketing's side for Speed to "
                                 "Lead, every stage for Hand-off Answer). Leaving them stops the clock.")
    pause_stage_ids = fields.Many2many(
        "lead.lifecycle.stage", "lead_sla_policy_pause_stage_rel", "policy_id", "stage_id", "Pausing Stages",
        check_company=True, help="Stages where the lead waits on the customer: the clock pauses, keeps the "
                                 "working time already used, and plans the rest when the lead leaves them.")
    grade_ids = fields.Many2many("lead.grade", string="Grades", check_company=True,
                                 help="Empty: leads of every grade.")
    team_ids = fields.Many2many("crm.team", string="Sales Teams", check_company=True,
                                help="Empty: leads of every team.")
    # How fast
    target_hours = fields.Float("Target (Working Hours)", required=True, default=4.0,
                                help="Working hours the owner has for the first touch.")
    warning_hours = fields.Float("Warning After (Working Hours)", default=2.0,
                                 help="When the lead turns At Risk and the owner is reminded (0: no warning).")
    calendar_id = fields.Many2one(
        "resource.calendar", "Working Hours", check_company=True,
        help="Used when the owner has no working schedule of their own; else the team's, else the company's.")
    # Escalation ladder
    warn_owner = fields.Boolean("Remind the Owner at Warning", default=True)
    escalate_to_leader = fields.Boolean("Tell the Team Leader at Breach", default=True)
    reassign_after_hours = fields.Float(
        "Reassign After (Working Hours)",
        help="Working hours after the breach when the lead goes to the next qualifying rep or salesperson with "
             "room (0: never).")
    # Figures
    lead_count = fields.Integer("Running Clocks", compute="_compute_counts")
    breached_count = fields.Integer("Breached", compute="_compute_counts")

    def _compute_counts(self):
        Clock = self.env["lead.sla.clock"]
        running = dict(Clock._read_group([("policy_id", "in", self.ids), ("closed", "=", False)],
                                         ["policy_id"], ["__count"]))
        breached = dict(Clock._read_group([("policy_id", "in", self.ids), ("closed", "=", False),
                                           ("state", "=", "breached")], ["policy_id"], ["__count"]))
        for policy in self:
            policy.lead_count = running.get(policy, 0)
            policy.breached_count = breached.get(policy, 0)

    @api.constrains("target_hours", "warning_hours", "reassign_after_hours", "calendar_id")
    def _check_hours(self):
        for policy in self:
            if policy.target_hours <= 0:
                raise ValidationError(self.env._(
                    "SLA policy “%s” needs a target of more than 0 working hours: the time the owner has.",
                    policy.name))
            if policy.warning_hours < 0 or policy.warning_hours >= policy.target_hours:
                raise ValidationError(self.env._(
                    "The warning of SLA policy “%(policy)s” must come before its target: between 0 and %(target)s "
                    "working hours (0: no warning), not %(warning)s.",
                    policy=policy.name, target=policy.target_hours, warning=policy.warning_hours))
            if policy.reassign_after_hours < 0:
                raise ValidationError(self.env._(
                    "SLA policy “%s” cannot reassign a negative number of hours after the breach: use 0 for never.",
                    policy.name))
            if policy.calendar_id and not policy.calendar_id.attendance_ids:
                raise ValidationError(self.env._(
                    "The working hours “%(calendar)s” of SLA policy “%(policy)s” have no working time: add "
                    "working hours to them or choose other ones.",
                    calendar=policy.calendar_id.name, policy=policy.name))

    # ------------------------------------------------------------
    # BUSINESS
    # ------------------------------------------------------------

    @api.model
    @tools.ormcache("clock")
    def _get_policy_ids(self, clock=None):
        """Active policies (of ``clock``), by sequence. Cached: every lead created or moved asks."""
        domain = [("clock", "=", clock)] if clock else []
        return tuple(self.sudo().search(domain).ids)

    @api.model
    def _sla_find(self, lead, clock):
        """The first active policy of ``clock`` covering ``lead``."""
        policies = self.sudo().browse(self._get_policy_ids(clock))
        return next((policy for policy in policies if policy._matches(lead)), self.browse())

    def _matches(self, lead):
        """Whether this policy covers ``lead`` where it stands now (pausing stages included)."""
        self.ensure_one()
        stage = lead.lifecycle_stage_id
        # A lead without company (one company, crm's default) is the current company's.
        if self.company_id and self.company_id != (lead.company_id or self.env.company):
            return False
        if self.grade_ids and lead.grade_id not in self.grade_ids:
            return False
        if self.team_ids and lead.team_id not in self.team_ids:
            return False
        return stage in self.pause_stage_ids or self._covers_stage(stage)

    def _covers_stage(self, stage):
        """Whether the clock runs in ``stage``: the policy's stages, by default the stages where marketing
        works a lead (all of marketing's side but Disqualified) for speed to lead, any stage for a hand-off."""
        if self.stage_ids:
            return stage in self.stage_ids
        if self.clock == "speed":
            return stage.side == "marketing" and stage.code != "disqualified"
        return bool(stage)

    def _sla_calendar(self, owner, lead=None):
        """(calendar, resource, tz) the clock of ``owner`` runs on: their own schedule and time off when they
        have one, else the policy's, the team's or the company's working hours, in the owner's time zone."""
        self.ensure_one()
        company = (lead and lead.company_id) or self.company_id or self.env.company
        resource = owner.sudo().resource_ids.filtered(
            lambda res: res.company_id in (company, self.env["res.company"]))[:1]
        calendar = (resource.calendar_id or self.calendar_id or (lead and lead.team_id.resource_calendar_id)
                    or company.resource_calendar_id)
        tz = pytz.timezone(resource.tz or owner.tz or calendar.tz or "UTC")
        return calendar, resource, tz

    def _sla_plan(self, owner, lead, start, consumed=0.0, escalation=0):
        """Deadline, warning and reassignment moments of a clock of ``owner`` running from ``start`` with
        ``consumed`` working hours already used, planned on working hours with resource.calendar.plan_hours."""
        self.ensure_one()
        calendar, resource, tz = self._sla_calendar(owner, lead)
        planner = calendar.with_context(employee_timezone=None if resource else tz)

        def plan(hours, resource=resource):
            if hours <= 0:
                return start
            return planner.plan_hours(hours, start, compute_leaves=True, resource=resource or None) or False

        deadline = plan(self.target_hours - consumed)
        nominal = plan(self.target_hours - consumed, resource=self.env["resource.resource"]) if resource else deadline
        # An owner away when the deadline falls (their time off pushes it later): the warning comes when it
        # would without their time off, and escalates at once.
        away_from = self.env["resource.resource"] if deadline and nominal and deadline > nominal else resource
        warning = (plan(self.warning_hours - consumed, resource=away_from)
                   if self.warning_hours and self.warning_hours > consumed else False)
        if away_from != resource and not warning:
            warning = start
        reassign = (planner.plan_hours(self.reassign_after_hours, deadline, compute_leaves=True,
                                       resource=resource or None) if self.reassign_after_hours and deadline else False)
        values = {"deadline": deadline, "warning_date": warning or False, "deadline_nominal": nominal,
                  "reassign_date": reassign, "escalation": escalation}
        values["next_check"] = (warning if escalation < 1 and warning else
                                deadline if escalation < 2 else reassign or False)
        return values

    def _sla_working_hours(self, owner, start, end, lead=None):
        """Working hours of ``owner`` between two moments, on the calendar their clock runs on."""
        self.ensure_one()
        if not start or not end or end <= start:
            return 0.0
        calendar, resource, tz = self._sla_calendar(owner, lead)
        intervals = calendar._work_intervals_batch(pytz.utc.localize(start), pytz.utc.localize(end),
                                                   resources=resource, tz=None if resource else tz)[resource.id]
        return sum((stop - begin).total_seconds() / 3600 for begin, stop, _meta in intervals)
