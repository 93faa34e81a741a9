# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models

from .crm_lead_ownership import DEFAULT_QUALIFIER_CAP


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    # Ownership and hand-off
    lead_management_qualifier_cap = fields.Integer(
        "Open Leads per Qualifying Rep", config_parameter="lead_management.qualifier_cap",
        default=DEFAULT_QUALIFIER_CAP,
        help="A qualifying rep receives no new lead while owning this many open leads (0: no cap).")
    lead_management_auto_handoff = fields.Boolean(
        "Hand Off Sales-Ready Leads Automatically", config_parameter="lead_management.auto_handoff",
        help="A lead that becomes sales-ready goes to a salesperson at once, within the team members' capacity.")
    lead_management_lost_stage_id = fields.Many2one(
        "lead.lifecycle.stage", "Lifecycle Stage of Lost Leads", config_parameter="lead_management.lost_stage_id",
        domain="[('is_side_exit', '=', True)]",
        help="Where a lost lead goes when its lost reason names no stage of its own (default: Recycled).")
    # Scoring
    lead_management_calibration_warning = fields.Char(compute="_compute_lead_management_calibration_warning")

    def _compute_lead_management_calibration_warning(self):
        warning = self.env["lead.scoring.calibration.report"]._calibration_warning()
        for settings in self:
            settings.lead_management_calibration_warning = warning

    def set_values(self):
        result = super().set_values()
        # 0 means "no cap": store it, or the emptied parameter would fall back to the default cap.
        self.env["ir.config_parameter"].sudo().set_param(
            "lead_management.qualifier_cap", str(self.lead_management_qualifier_cap or 0))
        return result

    def action_lead_management_rescore(self):
        """Recompute every score in the background: the nightly job runs now, in batches, with progress."""
        self.env.ref("lead_management.ir_cron_rescore")._trigger()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "info",
                "message": self.env._("All scores are being recomputed in the background; "
                                      "follow the progress in Settings > Technical > Scheduled Actions."),
            },
        }
