# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models


class LeadIntakeReference(models.Model):
    """The external id a marketing tool sent a lead with: a second request with it answers with the same lead
    and creates nothing. Kept apart from the lead so that it follows the lead through crm's merges (the lead
    it named may be the one a merge removes)."""

    _name = "lead.intake.reference"
    _inherit = ["lead.access.mixin"]
    _description = "Lead Intake Reference"
    _order = "id desc"
    _rec_name = "external_id"

    lead_id = fields.Many2one("crm.lead", required=True, index=True, ondelete="cascade", readonly=True)
    # The sender's company: external ids are unique per company.
    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    external_id = fields.Char("External ID", required=True, readonly=True)
    user_id = fields.Many2one("res.users", "Sent By", readonly=True, help="The API user whose key sent the lead.")
    merged = fields.Boolean(readonly=True, help="The lead was merged into an open lead it duplicated.")

    _sql_constraints = [
        ("external_id_company_uniq", "unique (company_id, external_id)",
         "A lead was already received with this external id."),
    ]
