# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models


class LeadGradePreview(models.TransientModel):
    _name = "lead.grade.preview"
    _description = "Grade Thresholds with Preview"

    line_ids = fields.One2many("lead.grade.preview.line", "preview_id", "Grades")
    preview_html = fields.Html("Impact", compute="_compute_preview_html", sanitize=False)

    @api.model
    def default_get(self, fields_list):
        defaults = super().default_get(fields_list)
        defaults["line_ids"] = [fields.Command.create({"grade_id": grade.id, "min_score": grade.min_score})
                                for grade in self.env["lead.grade"].search([])]
        return defaults

    @api.depends("line_ids.min_score")
    def _compute_preview_html(self):
        Lead = self.env["crm.lead"]
        for preview in self:
            thresholds = {line.grade_id.id: line.min_score for line in preview.line_ids}
            preview.preview_html = self.env["lead.grade"]._render_moves(
                Lead._scoring_preview(thresholds=thresholds))

    def action_apply(self):
        self.ensure_one()
        Grade = self.env["lead.grade"]
        for _company, lines in self.line_ids.grouped(lambda line: line.grade_id.company_id).items():
            Grade._validate_ranges(lines.grade_id, {line.grade_id: line.min_score for line in lines})
        # Validated as a whole: written one by one without the per-grade check of intermediate states.
        for line in self.line_ids.filtered(lambda line: line.grade_id.min_score != line.min_score):
            line.grade_id.with_context(lead_management_scoring_off=True, lead_management_grades_checked=True).write(
                {"min_score": line.min_score})
        self.env["crm.lead"]._scoring_recompute(fit=False, engagement=False)
        return {"type": "ir.actions.act_window_close"}


class LeadGradePreviewLine(models.TransientModel):
    _name = "lead.grade.preview.line"
    _description = "Grade Threshold"

    preview_id = fields.Many2one("lead.grade.preview", required=True, ondelete="cascade")
    grade_id = fields.Many2one("lead.grade", required=True, readonly=True)
    min_score = fields.Integer("Minimum Score", required=True)
