# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models

COST_GROUPS = "lead_management.group_lead_manager,sales_team.group_sale_manager"


class UtmCampaign(models.Model):
    _inherit = "utm.campaign"

    # Campaign costs are for those who read the ROI report: other users of UTM campaigns do not see them.
    lead_cost_ids = fields.One2many("lead.campaign.cost", "campaign_id", "Costs", groups=COST_GROUPS)
    lead_cost_total = fields.Monetary(
        "Total Cost", compute="_compute_lead_cost_total", currency_field="lead_cost_currency_id", groups=COST_GROUPS,
        help="The campaign's costs of your current company, in its currency (converted at each cost's date).")
    lead_cost_currency_id = fields.Many2one("res.currency", compute="_compute_lead_cost_total", groups=COST_GROUPS)

    @api.depends("lead_cost_ids.amount", "lead_cost_ids.date", "lead_cost_ids.currency_id")
    @api.depends_context("company")
    def _compute_lead_cost_total(self):
        company = self.env.company
        costs = self.env["lead.campaign.cost"].search_fetch(
            [("campaign_id", "in", self.ids), ("company_id", "=", company.id)],
            ["campaign_id", "amount", "currency_id", "date"])
        totals = dict.fromkeys(self.ids, 0.0)
        for cost in costs:
            totals[cost.campaign_id.id] += cost.currency_id._convert(
                cost.amount, company.currency_id, company, cost.date)
        for campaign in self:
            campaign.lead_cost_total = totals.get(campaign.id, 0.0)
            campaign.lead_cost_currency_id = company.currency_id
