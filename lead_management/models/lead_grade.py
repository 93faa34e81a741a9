# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import ValidationError


class LeadGrade(models.Model):
    _name = "lead.grade"
    _description = "Lead Grade"
    _order = "min_score desc, id"
    _check_company_auto = True

    name = fields.Char(required=True, help="A, B, C, D…")
    min_score = fields.Integer("Minimum Score", required=True,
                               help="Leads scoring at least this (and less than the next grade up) get this grade. "
                                    "The lowest grade also takes every score below its minimum.")
    disposition = fields.Selection(
        [("handoff", "Hand off to sales"), ("nurture", "Nurture"), ("none", "Nothing")],
        required=True, default="nurture",
        help="What a lead of this grade is for: sales-ready leads go to sales, the others stay with marketing.")
    nurture_track_id = fields.Many2one(
        "lead.nurture.track", check_company=True,
        help="Leads that get this grade (when its disposition is Nurture) are enrolled on this track.")
    nurture_enrol_pending = fields.Boolean(
        readonly=True, copy=False,
        help="The grade was just mapped to a track: the nurture job enrols its leads, in the background.")
    color = fields.Integer()
    active = fields.Boolean(default=True)
    company_id = fields.Many2one("res.company", index=True)
    lead_count = fields.Integer(compute="_compute_lead_count")

    def _compute_lead_count(self):
        counts = dict(self.env["crm.lead"]._read_group([("grade_id", "in", self.ids)], ["grade_id"], ["__count"]))
        for grade in self:
            grade.lead_count = counts.get(grade, 0)

    @api.constrains("nurture_track_id")
    def _check_nurture_track(self):
        for grade in self.filtered(lambda grade: grade.nurture_track_id and not grade.nurture_track_id.active):
            raise ValidationError(self.env._(
                "Grade %(grade)s cannot enrol leads on the archived track “%(track)s”: choose an active track.",
                grade=grade.name, track=grade.nurture_track_id.name))

    @api.constrains("min_score", "active", "company_id")
    def _check_ranges(self):
        companies = {grade.company_id.id for grade in self}
        self._validate_ranges(self.search([("company_id", "in", list(companies))]))

    @api.model
    def _validate_ranges(self, grades, thresholds=None, companies=None):
        """Grades are ordered by their minimum score, whatever their names: two active grades of one company
        (or two shared grades) cannot start at the same score. ``thresholds`` ({grade: min score}) and
        ``companies`` ({grade: company id}) give proposed values, validated before they are saved."""
        thresholds, companies = thresholds or {}, companies or {}
        seen = {}
        for grade in grades.filtered("active"):
            score = thresholds.get(grade, grade.min_score)
            other = seen.setdefault((companies.get(grade, grade.company_id.id), score), grade)
            if other != grade:
                raise ValidationError(self.env._(
                    "Grades %(a)s and %(b)s overlap: both start at %(score)s. Give each grade its own minimum score.",
                    a=other.name, b=grade.name, score=score))

    @api.model_create_multi
    def create(self, vals_list):
        grades = super().create(vals_list)
        self.env["crm.lead"]._scoring_schedule_rescore()
        grades.filtered("nurture_track_id")._nurture_schedule_enrolment()
        return grades

    def write(self, vals):
        if {"min_score", "active", "company_id"} & set(vals):
            # Refused before anything is written.
            companies = {grade.company_id.id for grade in self} | {vals.get("company_id", False) or False}
            scope = self.search([("company_id", "in", list(companies))])
            if vals.get("active") is False:
                scope -= self
            elif vals.get("active"):
                scope |= self
            self._validate_ranges(
                scope, dict.fromkeys(self, vals["min_score"]) if "min_score" in vals else None,
                dict.fromkeys(self, vals["company_id"] or False) if "company_id" in vals else None)
        result = super().write(vals)
        if {"min_score", "active", "company_id"} & set(vals):
            self.env["crm.lead"]._scoring_schedule_rescore()
        if vals.get("nurture_track_id") or vals.get("disposition") == "nurture":
            self.filtered("nurture_track_id")._nurture_schedule_enrolment()
        return result

    def _nurture_schedule_enrolment(self):
        """The leads that already have these grades join their new track: in the background, by the nurture
        job (a grade may hold most leads of a company)."""
        if not self:
            return False
        # The flag only: not through this model's write, which would schedule again.
        result = super().write({"nurture_enrol_pending": True})
        cron = self.env.ref("lead_management.ir_cron_nurture", raise_if_not_found=False)
        if cron:
            cron.sudo()._trigger()
        return result

    def unlink(self):
        result = super().unlink()
        self.env["crm.lead"]._scoring_schedule_rescore()
        return result

    @api.model
    def _write_min_scores(self, thresholds):
        """Set several minimum scores at once ({grade: min score}), validated as a whole first. Written one
        grade at a time in an order where no two grades ever share a minimum (a free score breaks cycles such
        as two grades swapping), so every intermediate state is valid too."""
        for company, grades in self.browse([grade.id for grade in thresholds]).grouped("company_id").items():
            scope = self.search([("company_id", "=", company.id)])
            self._validate_ranges(scope, thresholds)
            todo = {grade: thresholds[grade] for grade in grades if grade.min_score != thresholds[grade]}
            while todo:
                taken = {grade.min_score: grade for grade in scope if grade.active}
                free = next((grade for grade, score in todo.items() if taken.get(score, grade) == grade), None)
                if free:
                    free.min_score = todo.pop(free)
                else:
                    grade = next(iter(todo))
                    grade.min_score = max([*taken, *todo.values()]) + 1

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
