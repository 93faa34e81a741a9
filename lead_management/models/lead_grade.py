# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import ValidationError


class LeadGrade(models.Model):
    _name = "lead.grade"
    _description = "Lead Grade"
    _order = "min_score desc, id"

    name = fields.Char(required=True, help="A, B, C, D…")
    min_score = fields.Integer("Minimum Score", required=True,
                               help="Leads scoring at least this (and less than the next grade up) get this grade. "
                                    "The lowest grade also takes every score below its minimum.")
    disposition = fields.Selection(
        [("handoff", "Hand off to sales"), ("nurture", "Nurture"), ("none", "Nothing")],
        required=True, default="nurture",
        help="What a lead of this grade is for: sales-ready leads go to sales, the others stay with marketing.")
    color = fields.Integer()
    active = fields.Boolean(default=True)
    company_id = fields.Many2one("res.company", index=True)
    lead_count = fields.Integer(compute="_compute_lead_count")

    def _compute_lead_count(self):
        counts = dict(self.env["crm.lead"]._read_group([("grade_id", "in", self.ids)], ["grade_id"], ["__count"]))
        for grade in self:
            grade.lead_count = counts.get(grade, 0)

    @api.constrains("min_score", "active", "company_id", "name")
    def _check_ranges(self):
        if self.env.context.get("lead_management_grades_checked"):
            return
        for company_id in {grade.company_id.id for grade in self}:
            self._validate_ranges(self.search([("company_id", "=", company_id)]))

    @api.model
    def _validate_ranges(self, grades, thresholds=None):
        """Ranges must be ordered A > B > C > D, without overlap (two grades, one minimum).
        ``thresholds``: proposed {grade: min_score} to validate before saving them."""
        thresholds = thresholds or {grade: grade.min_score for grade in grades}
        ordered = sorted(grades, key=lambda grade: grade.name)
        for higher, lower in zip(ordered, ordered[1:], strict=False):
            if thresholds[higher] == thresholds[lower]:
                raise ValidationError(self.env._(
                    "Grades %(a)s and %(b)s overlap: both start at %(score)s. Give each grade its own minimum score.",
                    a=higher.name, b=lower.name, score=thresholds[higher]))
            if thresholds[higher] < thresholds[lower]:
                raise ValidationError(self.env._(
                    "Grade %(a)s starts at %(a_min)s, below grade %(b)s (%(b_min)s): grades must be ordered, "
                    "%(a)s above %(b)s.", a=higher.name, a_min=thresholds[higher], b=lower.name,
                    b_min=thresholds[lower]))

    def write(self, vals):
        if "min_score" in vals and not self.env.context.get("lead_management_grades_checked"):
            # Refuse before writing: nothing half-written.
            for company_id in {grade.company_id.id for grade in self}:
                grades = self.search([("company_id", "=", company_id)])
                self._validate_ranges(grades, {grade: vals["min_score"] if grade in self else grade.min_score
                                               for grade in grades})
        result = super().write(vals)
        if {"min_score", "active", "company_id"} & set(vals):
            self.env["crm.lead"]._scoring_recompute(fit=False, engagement=False)
        return result

    @api.model_create_multi
    def create(self, vals_list):
        grades = super().create(vals_list)
        self.env["crm.lead"]._scoring_recompute(fit=False, engagement=False)
        return grades

    def unlink(self):
        result = super().unlink()
        self.env["crm.lead"]._scoring_recompute(fit=False, engagement=False)
        return result

    @api.model
    def _render_moves(self, moves):
        """An HTML table of grade moves: {(from grade name, to grade name): count}."""
        changes = {key: count for key, count in moves.items() if key[0] != key[1]}
        if not changes:
            return Markup("<p>%s</p>") % self.env._("No open lead would change grade.")
        rows = Markup("").join(
            Markup("<tr><td>%s</td><td>→</td><td>%s</td><td class='text-end'>%s</td></tr>") % (
                src or "—", dst or "—", count)
            for (src, dst), count in sorted(changes.items(), key=lambda item: (str(item[0][0]), str(item[0][1]))))
        total = sum(changes.values())
        return Markup("<p>%s</p><table class='table table-sm w-auto'>%s</table>") % (
            self.env._("%s open lead(s) would change grade:", total), rows)
