# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import Command, fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    lead_intake_team_id = fields.Many2one(related="company_id.lead_intake_team_id", readonly=False)
    lead_intake_max_batch_items = fields.Integer(
        "Items per Batch", config_parameter="lead_management_api.max_batch_items", default=100)
    lead_intake_max_queued_items = fields.Integer(
        "Items per Queued Batch", config_parameter="lead_management_api.max_queued_items", default=10000,
        help="A batch sent with the header Prefer: respond-async is answered 202 at once and done in the background "
             "(in chunks, or jobs of queue_job); its answers are read at /lead_management/v1/batches/<id>.")
    lead_intake_max_body_kb = fields.Integer(
        "Body Size (KB)", config_parameter="lead_management_api.max_body_kb", default=1024)
    lead_intake_rate_limit = fields.Integer(
        "Requests per Minute per Key", config_parameter="lead_management_api.rate_limit", default=600)

    def action_lead_intake_users(self):
        """The users of the Lead Intake (API) group: on each one's form, New Intake API Key."""
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Intake Users"),
            "res_model": "res.users",
            "view_mode": "list,form",
            "domain": [("groups_id", "in", self.env.ref("lead_management.group_lead_intake").ids)],
            "context": {"default_groups_id": [Command.set(self.env.ref("lead_management.group_lead_intake").ids)]},
        }
