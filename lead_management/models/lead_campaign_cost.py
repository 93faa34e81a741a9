# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models
from odoo.exceptions import ValidationError


class LeadCampaignCost(models.Model):
    """What a campaign cost: one line per invoice, media buy or month of spend.

    A line belongs to one company and is in its own currency; the ROI report converts it into the
    company's currency at the line's date. Source and medium are optional: a line with them is the cost
    of that channel of the campaign (e.g. the LinkedIn ads of a webinar campaign)."""

    _name = "lead.campaign.cost"
    _description = "Campaign Cost"
    _order = "date desc, id desc"
    _check_company_auto = True

    name = fields.Char("Description", help="What was paid for: media buy, agency, event booth…")
    campaign_id = fields.Many2one("utm.campaign", required=True, index=True, ondelete="cascade")
    source_id = fields.Many2one("utm.source", index="btree_not_null", ondelete="set null")
    medium_id = fields.Many2one("utm.medium", index="btree_not_null", ondelete="set null")
    date = fields.Date(required=True, default=fields.Date.context_today, index=True,
                       help="When the money was spent: the ROI report converts the amount at this date.")
    company_id = fields.Many2one("res.company", required=True, index=True, default=lambda self: self.env.company)
    currency_id = fields.Many2one("res.currency", required=True,
                                  default=lambda self: self.env.company.currency_id)
    amount = fields.Monetary(required=True)

    @api.constrains("amount")
    def _check_amount(self):
        for cost in self:
            if cost.amount < 0:
                raise ValidationError(self.env._(
                    "The cost “%(name)s” of campaign %(campaign)s is negative: enter what was spent (0 or more); "
                    "record a refund by lowering the line it refunds.",
                    name=cost.name or cost.date, campaign=cost.campaign_id.title))
