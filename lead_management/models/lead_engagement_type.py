# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models
from odoo.exceptions import ValidationError


class LeadEngagementType(models.Model):
    _name = "lead.engagement.type"
    _description = "Lead Engagement Type"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    code = fields.Char(required=True, index=True, help="Key the intake API and other modules use: form_fill, …")
    sequence = fields.Integer(default=10)
    points = fields.Integer(required=True, default=5)
    half_life = fields.Float(
        "Half-Life (Days)", required=True, default=30.0,
        help="After this many days an event counts for half its points, after twice as many for a quarter…")
    daily_cap = fields.Integer(
        help="Most points one lead can get from this type in one day (0: no cap).")
    manual = fields.Boolean(
        "Logged by Hand", default=True,
        help="People may log events of this type on a lead (a call, a visit to the stand). Off for what Odoo's apps "
             "and marketing tools record themselves (opens, clicks, page views, replies, registrations): nobody can "
             "claim that one happened.")
    active = fields.Boolean(default=True)
    company_id = fields.Many2one("res.company", index=True)

    _sql_constraints = [
        ("code_company_uniq", "unique (code, company_id)", "An engagement type code must be unique per company."),
    ]

    @api.constrains("half_life", "daily_cap")
    def _check_decay(self):
        for engagement_type in self:
            if engagement_type.half_life <= 0:
                raise ValidationError(self.env._(
                    "The half-life of “%s” must be more than 0 days: it is how long an event keeps half its points.",
                    engagement_type.name))
            if engagement_type.daily_cap < 0:
                raise ValidationError(self.env._(
                    "The daily cap of “%s” cannot be negative: use 0 for no cap.", engagement_type.name))

    def write(self, vals):
        result = super().write(vals)
        if {"points", "half_life", "daily_cap", "active", "company_id"} & set(vals):
            self.env["crm.lead"]._scoring_schedule_rescore()
        return result

    def unlink(self):
        result = super().unlink()
        self.env["crm.lead"]._scoring_schedule_rescore()
        return result

    @api.model
    def _get_by_code(self, code, company=None):
        company = company or self.env.company
        return self.search([("code", "=", code), ("company_id", "in", [company.id, False])],
                           order="company_id, sequence", limit=1)

    @api.model
    def _get_by_code_cached(self, found, code, company):
        """_get_by_code through ``found`` ({(code, company id): type}, the caller's for one batch): one search per
        code and company, not per event."""
        key = (code, company.id)
        if key not in found:
            found[key] = self._get_by_code(code, company)
        return found[key]
