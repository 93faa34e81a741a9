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
        self.env["lead.grade"]._write_min_scores({line.grade_id: line.min_score for line in self.line_ids})
        return {"type": "ir.actions.act_window_close"}


class LeadGradePreviewLine(models.TransientModel):
    _name = "lead.grade.preview.line"
    _description = "Grade Threshold"

    preview_id = fields.Many2one("lead.grade.preview", required=True, ondelete="cascade")
    grade_id = fields.Many2one("lead.grade", required=True, readonly=True)
    min_score = fields.Integer("Minimum Score", required=True)
