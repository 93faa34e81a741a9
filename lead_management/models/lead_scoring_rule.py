# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from dataclasses import dataclass

from markupsafe import Markup

from odoo import api, fields, models, tools
from odoo.exceptions import AccessError, ValidationError
from odoo.osv import expression

from ..tools import check_domain_readable, for_activities, parse_lead_domain


@dataclass(frozen=True)
class RuleSpec:
    """What scoring needs of a fit rule, without reading the rule."""

    id: int
    points: int
    domain: list

    def _get_domain(self):
        return self.domain


class LeadScoringRule(models.Model):
    _name = "lead.scoring.rule"
    _description = "Lead Fit Scoring Rule"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    domain = fields.Char(
        required=True, default="[]", tracking=True,
        help="Leads that match get the points: industry, company size, country, job title, tags…")
    points = fields.Integer(required=True, tracking=True, help="Negative points lower the fit score.")
    active = fields.Boolean(default=True, tracking=True)
    company_id = fields.Many2one("res.company", index=True,
                                 help="Leave empty to score the leads of every company.")
    is_valid = fields.Boolean("Valid", default=True, readonly=True,
                              help="False when the rule stopped working (a field it reads was removed): skipped.")
    invalid_reason = fields.Char(readonly=True)
    # What-if
    preview_impact = fields.Boolean(
        store=False, groups="lead_management.group_lead_manager",
        help="Show how many open leads would change grade with this rule as edited, before saving it.")
    preview_html = fields.Html("Impact", compute="_compute_preview_html", sanitize=False,
                               groups="lead_management.group_lead_manager")

    @api.depends("preview_impact", "domain", "points", "active", "company_id")
    def _compute_preview_html(self):
        # A computed field runs for anyone who can open the form: the preview counts only what the user
        # may read, and only Lead Managers get it (field groups, and _scoring_preview checks again).
        for rule in self:
            rule.preview_html = rule.preview_impact and rule._preview_html() or False

    @api.constrains("domain")
    def _check_domain(self):
        # As the user who saves it: the rule may name only fields they can read.
        for rule in self:
            check_domain_readable(self.env["crm.lead"], rule._get_domain())

    @api.model
    def _check_vals(self, vals):
        """Refuse bad input before anything is written."""
        if "domain" in vals:
            domain = self.new({"name": vals.get("name") or self[:1].name or "", "domain": vals["domain"]})._get_domain()
            check_domain_readable(self.env["crm.lead"], domain)
        points = vals.get("points")
        if "points" in vals and (isinstance(points, bool) or not isinstance(points, int | float)
                                 or points != int(points)):
            raise ValidationError(self.env._(
                "The points of a scoring rule must be a whole number (negative allowed), not “%s”.", vals["points"]))

    # ------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._check_vals(vals)
        rules = super().create(vals_list)
        self._scoring_changed()
        return rules

    def write(self, vals):
        self._check_vals(vals)
        if "domain" in vals:
            vals = dict(vals, is_valid=True, invalid_reason=False)
        result = super().write(vals)
        if {"domain", "points", "active", "company_id", "is_valid"} & set(vals):
            self._scoring_changed()
        return result

    def unlink(self):
        result = super().unlink()
        self._scoring_changed()
        return result

    # ------------------------------------------------------------
    # BUSINESS
    # ------------------------------------------------------------

    def _get_domain(self):
        """The rule's domain on crm.lead, restricted to its company; a clear ValidationError when broken."""
        self.ensure_one()
        try:
            domain = parse_lead_domain(self.env, self.domain)
        except Exception as error:
            raise ValidationError(self.env._(
                "The domain of scoring rule “%(rule)s” is not a valid condition on leads (%(error)s). "
                "Build it with the domain editor, e.g. [(\"country_id.code\", \"=\", \"BE\")].",
                rule=self.name, error=error)) from error
        if self.company_id:
            domain = expression.AND([domain, [("company_id", "in", [self.company_id.id, False])]])
        return domain

    def _scoring_changed(self):
        self.env["crm.lead"]._scoring_schedule_rescore()

    @api.model
    def _get_valid_rules(self):
        """Active rules that still work; a rule that broke (e.g. a field removed by an uninstall) is flagged,
        skipped and reported to the lead managers instead of blocking leads."""
        rules = self.sudo().browse(self._get_valid_rule_ids())
        broken = rules.browse()
        for rule in rules:
            try:
                rule._get_domain()
            except ValidationError as error:
                broken |= rule
                rule.write({"is_valid": False, "invalid_reason": str(error)})
        if broken:
            broken._notify_invalid()
        return rules - broken

    @api.model
    def _get_valid_rule_specs(self):
        """The valid rules as RuleSpec (id, points, domain), read from a cache: scoring a new lead reads no
        rule. A rule whose domain no longer works is flagged through _get_valid_rules."""
        specs = []
        for rule_id, points, text, company_id in self._get_valid_rule_data():
            try:
                domain = parse_lead_domain(self.env, text)
            except Exception:  # flagged, reported and skipped by the slow path
                return [RuleSpec(rule.id, rule.points, rule._get_domain()) for rule in self._get_valid_rules()]
            if company_id:
                domain = expression.AND([domain, [("company_id", "in", [company_id, False])]])
            specs.append(RuleSpec(rule_id, points, domain))
        return specs

    @api.model
    @tools.ormcache()
    def _get_valid_rule_data(self):
        return tuple((rule.id, rule.points, rule.domain, rule.company_id.id)
                     for rule in self.sudo().browse(self._get_valid_rule_ids()))

    @api.model
    @tools.ormcache()
    def _get_valid_rule_ids(self):
        # Cached: every new lead is scored, most companies change their rules rarely (a change clears it).
        return tuple(self.sudo().search([("is_valid", "=", True)]).ids)

    def _notify_invalid(self):
        managers = self.env.ref("lead_management.group_lead_manager").users.filtered(
            lambda user: user.active and not user.share)
        for rule in self:
            rule.message_post(body=Markup("<p>%s</p>") % self.env._(
                "This rule no longer works and is skipped until it is fixed: %s", rule.invalid_reason))
            for manager in managers[:5]:
                for_activities(rule, notify=True).activity_schedule(
                    "mail.mail_activity_data_todo", user_id=manager.id,
                    summary=self.env._("Fix the scoring rule “%s”", rule.name))

    def _is_readable_by_user(self):
        """Whether the current user may read every field, along every path, that this rule's domain reads
        (explanations name only such rules)."""
        self.ensure_one()
        try:
            check_domain_readable(self.env["crm.lead"], self._get_domain())
        except (AccessError, ValidationError):
            return False
        return True

    def _preview_html(self):
        """Grade moves among the open leads the user may read if the rule were saved as edited."""
        self.ensure_one()
        original = self._origin
        try:
            new_domain = self._get_domain() if self.active else None
            if new_domain is not None:
                check_domain_readable(self.env["crm.lead"], new_domain)
        except (AccessError, ValidationError) as error:
            return Markup("<p class='text-danger'>%s</p>") % error.args[0]
        moves = self.env["crm.lead"]._scoring_preview_rule(
            original if original and original.active and original.is_valid else None,
            new_domain, self.points)
        return self.env["lead.grade"]._render_moves(moves)
