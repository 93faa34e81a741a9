# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models, tools
from odoo.tools import SQL


class LeadDataQualityReport(models.Model):
    """Open leads and the state of their contact data: which sources, campaigns and teams send leads sales
    cannot reach, and how many duplicates arrive. One row per open lead, counted as the user may read them
    (lead.access.mixin)."""

    _name = "lead.data.quality.report"
    _inherit = ["lead.access.mixin"]
    _description = "Lead Data Quality"
    _auto = False
    _order = "create_date desc"

    lead_id = fields.Many2one("crm.lead", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    team_id = fields.Many2one("crm.team", "Sales Team", readonly=True)
    qualifier_id = fields.Many2one("res.users", "Qualifying Rep", readonly=True)
    user_id = fields.Many2one("res.users", "Salesperson", readonly=True)
    lifecycle_stage_id = fields.Many2one("lead.lifecycle.stage", readonly=True)
    campaign_id = fields.Many2one("utm.campaign", readonly=True)
    source_id = fields.Many2one("utm.source", readonly=True)
    medium_id = fields.Many2one("utm.medium", readonly=True)
    country_id = fields.Many2one("res.country", readonly=True)
    create_date = fields.Datetime("Created On", readonly=True)
    type = fields.Selection([("lead", "Lead"), ("opportunity", "Opportunity")], readonly=True)
    lead_count = fields.Integer("Leads", readonly=True)
    invalid_phone_count = fields.Integer("Invalid Phone", readonly=True,
                                         help="Leads with a phone or mobile number that is not valid for its country.")
    invalid_email_count = fields.Integer("Invalid E-mail", readonly=True)
    unreachable_count = fields.Integer("No Valid Contact", readonly=True,
                                       help="Leads with neither a valid e-mail address nor a valid phone number: "
                                            "they cannot be handed off to sales.")
    duplicate_count = fields.Integer("Possible Duplicates", readonly=True)
    known_contact_count = fields.Integer("Known Contacts", readonly=True)

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(SQL("""
            CREATE OR REPLACE VIEW %(table)s AS (
                SELECT lead.id, lead.id AS lead_id, lead.company_id, lead.team_id, lead.qualifier_id, lead.user_id,
                       lead.lifecycle_stage_id, lead.campaign_id, lead.source_id, lead.medium_id, lead.country_id,
                       lead.create_date, lead.type,
                       1 AS lead_count,
                       CASE WHEN lead.phone_state = 'incorrect' OR lead.mobile_state = 'incorrect'
                            THEN 1 ELSE 0 END AS invalid_phone_count,
                       CASE WHEN lead.email_state = 'incorrect' THEN 1 ELSE 0 END AS invalid_email_count,
                       CASE WHEN lead.email_state IS DISTINCT FROM 'correct' AND lead.phone_sanitized IS NULL
                            THEN 1 ELSE 0 END AS unreachable_count,
                       CASE WHEN lead.duplicate_of_id IS NOT NULL THEN 1 ELSE 0 END AS duplicate_count,
                       CASE WHEN lead.duplicate_partner_id IS NOT NULL THEN 1 ELSE 0 END AS known_contact_count
                  FROM crm_lead lead
                 WHERE lead.active AND COALESCE(lead.probability, 0) < 100
            )""", table=SQL.identifier(self._table)))
