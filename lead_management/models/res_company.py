# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models

DEFAULT_QUALIFIER_CAP = 50


class ResCompany(models.Model):
    _inherit = "res.company"

    # Lead Management, set per company in Settings > CRM
    lead_qualifier_cap = fields.Integer(
        "Open Leads per Qualifying Rep", default=DEFAULT_QUALIFIER_CAP,
        help="A qualifying rep receives no new lead of this company while owning this many open leads (0: no cap).")
    lead_auto_handoff = fields.Boolean(
        "Hand Off Sales-Ready Leads Automatically",
        help="A lead that becomes sales-ready goes to a salesperson at once, within the team members' capacity.")
    lead_lost_stage_id = fields.Many2one(
        "lead.lifecycle.stage", "Lifecycle Stage of Lost Leads", check_company=True,
        domain="[('is_side_exit', '=', True), ('company_id', 'in', [id, False])]",
        help="Where a lost lead goes when its lost reason names no stage of its own (default: Recycled).")

