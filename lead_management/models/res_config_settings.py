# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models

from .crm_lead_ownership import DEFAULT_QUALIFIER_CAP


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

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
