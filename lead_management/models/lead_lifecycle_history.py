# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models


class LeadLifecycleHistory(models.Model):
    _name = "lead.lifecycle.history"
    _inherit = ["lead.access.mixin"]
    _description = "Lead Lifecycle Move"
    _order = "date desc, id desc"
    _rec_name = "to_stage_id"

    lead_id = fields.Many2one("crm.lead", required=True, index=True, ondelete="cascade", readonly=True)
    # Copied at creation (no recompute per move): the lead's company, the stages' codes.
    company_id = fields.Many2one("res.company", readonly=True, index=True)
    # Stages in use cannot be deleted (see lead.lifecycle.stage): cascade only matters at uninstall.
    from_stage_id = fields.Many2one("lead.lifecycle.stage", "From", readonly=True, index=True, ondelete="cascade")
    to_stage_id = fields.Many2one("lead.lifecycle.stage", "To", required=True, readonly=True, index=True,
                                  ondelete="cascade")
    date = fields.Datetime(required=True, readonly=True, default=fields.Datetime.now, index=True)
    user_id = fields.Many2one("res.users", "Moved By", readonly=True, default=lambda self: self.env.user)
    reason = fields.Char(readonly=True)
    hours_in_previous = fields.Float(
        "Hours in Previous Stage", readonly=True, aggregator="avg",
        help="Time the lead spent in the stage it left, in hours.")
    from_code = fields.Char(readonly=True)
    to_code = fields.Char(readonly=True)
