# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    lead_intake_team_id = fields.Many2one(
        "crm.team", "Sales Team of API Leads", check_company=True,
        domain="[('use_leads', '=', True), ('company_id', 'in', [id, False])]",
        help="Leads received through the intake API go to this team's qualifying reps (empty: any qualifying rep "
             "of the company).")
