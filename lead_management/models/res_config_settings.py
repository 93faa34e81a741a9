# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    # Ownership and hand-off, per company
    lead_management_qualifier_cap = fields.Integer(related="company_id.lead_qualifier_cap", readonly=False)
    lead_management_auto_handoff = fields.Boolean(related="company_id.lead_auto_handoff", readonly=False)
    lead_management_lost_stage_id = fields.Many2one(related="company_id.lead_lost_stage_id", readonly=False)
    # Follow-up targets, per company
    lead_management_followup_target = fields.Float(related="company_id.lead_followup_target", readonly=False)
    lead_management_close_target = fields.Float(related="company_id.lead_close_target", readonly=False)
    lead_management_duplicate_policy = fields.Selection(related="company_id.lead_duplicate_policy", readonly=False)
    # Nurture e-mails, per company
    lead_management_nurture_working_hours = fields.Boolean(related="company_id.nurture_working_hours", readonly=False)
    lead_management_nurture_weekly_cap = fields.Integer(related="company_id.nurture_weekly_cap", readonly=False)
    # Scoring
    lead_management_calibration_warning = fields.Char(compute="_compute_lead_management_calibration_warning")

    def _compute_lead_management_calibration_warning(self):
        warning = self.env["lead.scoring.calibration.report"]._calibration_warning()
        for settings in self:
            settings.lead_management_calibration_warning = warning

    def action_lead_management_rescore(self):
        """Recompute every score in the background: the nightly job runs now, in batches, with progress."""
        return self.env["crm.lead"]._scoring_schedule_rescore()
