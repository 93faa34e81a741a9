# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models


class CrmLostReason(models.Model):
    _inherit = "crm.lost.reason"

    lifecycle_stage_id = fields.Many2one(
        "lead.lifecycle.stage", "Lifecycle Stage When Lost",
        domain="[('is_side_exit', '=', True)]",
        help="Where a lead lost for this reason goes: Recycled (back to marketing's nurture) or Disqualified. "
             "Empty: the default set in Settings.")
