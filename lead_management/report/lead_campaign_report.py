# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models
from odoo.osv import expression
from odoo.tools import SQL

from .lead_funnel_report import flow_stages_sql
from .lead_report_mixin import ratio

ATTRIBUTIONS = [("first", "First Touch"), ("last", "Last Touch"), ("linear", "Linear")]
# Row ids: leads (lead id << 12) | (attribution << 10) | touch; costs (1 << 50) | (cost id << 2) | attribution.
COST_ROW = 1 << 50


def rate_sql(currency, date, company_id):
    """The rate of ``currency`` at ``date`` as res.currency._get_rates reads it for the company: its own rate
    before a shared one, the last one on or before the date, else 1."""
    return SQL("""COALESCE((SELECT rate.rate FROM res_currency_rate rate
                             WHERE rate.currency_id = %(currency)s AND rate.name <= %(date)s
                               AND (rate.company_id IS NULL OR rate.company_id = %(company)s)
                             ORDER BY rate.company_id, rate.name DESC LIMIT 1), 1.0)""",
               currency=currency, date=date, company=company_id)


class LeadCampaignReport(models.Model):
    """What each campaign, source and medium brought and cost: leads, qualified leads, hand-offs, customers,
    won revenue, cost, cost per lead / qualified lead / customer and ROI, in the current company's currency.

    Revenue is the expected revenue of won leads, converted at the won date; costs (lead.campaign.cost) are
    converted at their date. Each lead is credited to campaigns by an attribution model:

    - first touch (the default): the lead's own campaign, source and medium;
    - last touch: those of the last engagement event that came through a campaign, source or medium before
      the lead was won (or lost), else the lead's own;
    - linear: an equal share to each campaign/source/medium that touched the lead (its own, then its events').

    Rows exist per attribution model (costs repeated under each): a search that does not choose one gets
    first touch. Under every model the revenue credited for a won lead sums exactly to its revenue (the
    rounding remainder of a linear split goes to the first touch)."""

    _name = "lead.campaign.report"
    _inherit = ["lead.report.mixin"]
    _description = "Campaign ROI Analysis"
    _auto = False
    _order = "date desc"
    _rec_name = "campaign_id"
    _lead_optional = True  # cost rows are about no lead
    _depends = {
        "crm.lead": ["company_id", "create_date", "date_closed", "campaign_id", "source_id", "medium_id", "team_id",
                     "country_id", "handoff_date", "active", "stage_id", "expected_revenue"],
        "crm.stage": ["is_won"],
        "lead.lifecycle.history": ["lead_id", "to_stage_id"],
        "lead.lifecycle.stage": ["code", "sequence", "is_side_exit", "active", "company_id"],
        "lead.engagement.event": ["lead_id", "date", "campaign_id", "source_id", "medium_id"],
        "lead.campaign.cost": ["campaign_id", "source_id", "medium_id", "date", "company_id", "currency_id",
                               "amount"],
        "res.currency.rate": ["currency_id", "name", "rate", "company_id"],
        "res.company": ["currency_id"],
    }

    attribution = fields.Selection(ATTRIBUTIONS, readonly=True)
    lead_id = fields.Many2one("crm.lead", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    campaign_id = fields.Many2one("utm.campaign", readonly=True)
    source_id = fields.Many2one("utm.source", readonly=True)
    medium_id = fields.Many2one("utm.medium", readonly=True)
    team_id = fields.Many2one("crm.team", "Sales Team", readonly=True)
    country_id = fields.Many2one("res.country", readonly=True)
    date = fields.Date(readonly=True, help="Leads: when they were created. Costs: when the money was spent.")
    currency_id = fields.Many2one("res.currency", readonly=True)
    # Measures (fractions of a lead under linear attribution)
    lead_count = fields.Float("Leads", readonly=True, digits=(16, 2))
    qualified_count = fields.Float("Qualified", readonly=True, digits=(16, 2),
                                   help="Leads that reached the Qualified stage (or went past it).")
    handoff_count = fields.Float("Handed Off", readonly=True, digits=(16, 2))
    customer_count = fields.Float("Customers", readonly=True, digits=(16, 2), help="Won leads.")
    won_revenue = fields.Monetary(readonly=True)
    cost = fields.Monetary(readonly=True)
    cost_per_lead = fields.Monetary("Cost per Lead", readonly=True, aggregator="sum")
    cost_per_qualified = fields.Monetary("Cost per Qualified Lead", readonly=True, aggregator="sum")
    cost_per_customer = fields.Monetary("Cost per Customer", readonly=True, aggregator="sum")
    roi = fields.Float("ROI (%)", readonly=True, aggregator="sum",
                       help="(Won revenue − cost) / cost, in percent: 100 means the campaign brought twice what it "
                            "cost. Empty when there is no cost.")

    def _report_aggregates(self):
        def roi(column):
            return SQL("100.0 * (COALESCE(SUM(%(revenue)s), 0) - SUM(%(cost)s)) / NULLIF(SUM(%(cost)s), 0)",
                       revenue=column("won_revenue"), cost=column("cost"))
        return {
            "cost_per_lead": ratio("cost", "lead_count"),
            "cost_per_qualified": ratio("cost", "qualified_count"),
            "cost_per_customer": ratio("cost", "customer_count"),
            "roi": roi,
        }

    @api.model
    def _search(self, domain, offset=0, limit=None, order=None):
        # Rows repeat per attribution model: counting them all would count each lead three times. Rows chosen by
        # id (reads, access checks) are what they are.
        if not any(isinstance(leaf, (list, tuple)) and leaf[0] in ("attribution", "id")
                   for leaf in expression.normalize_domain(domain)):
            domain = expression.AND([domain, [("attribution", "=", "first")]])
        return super()._search(domain, offset=offset, limit=limit, order=order)

    @property
    def _table_query(self):
        company = self.env.company
        currency = company.currency_id
        root = company.root_id.id
        return SQL("""
            WITH facts AS (
                SELECT lead.id AS lead_id, lead.company_id, lead.create_date, lead.campaign_id, lead.source_id,
                       lead.medium_id, lead.team_id, lead.country_id,
                       COALESCE(reach.max_sequence >= qualified.sequence, FALSE) AS qualified,
                       lead.handoff_date IS NOT NULL AS handed_off,
                       won.won,
                       -- engagement after the lead was won or lost touched nothing that made it
                       CASE WHEN won.won OR NOT lead.active THEN lead.date_closed END AS cutoff,
                       CASE WHEN won.won THEN ROUND(
                           COALESCE(lead.expected_revenue, 0)::numeric
                           * %(to_rate)s / %(from_rate)s, %(digits)s) END AS revenue
                  FROM crm_lead lead
                  LEFT JOIN crm_stage ON crm_stage.id = lead.stage_id
                  LEFT JOIN res_company company ON company.id = lead.company_id
                  CROSS JOIN LATERAL (SELECT lead.active AND COALESCE(crm_stage.is_won, FALSE) AS won) AS won
                  LEFT JOIN (SELECT history.lead_id, MAX(stage.sequence) AS max_sequence
                               FROM lead_lifecycle_history history
                               JOIN lead_lifecycle_stage stage ON stage.id = history.to_stage_id
                              WHERE NOT COALESCE(stage.is_side_exit, FALSE)
                              GROUP BY history.lead_id) AS reach ON reach.lead_id = lead.id
                  LEFT JOIN (%(flow)s) AS qualified
                    ON qualified.company_id = COALESCE(lead.company_id, 0) AND qualified.code = 'qualified'
            ), touches AS (
                -- the lead's own campaign, source and medium first, then its engagement events that came
                -- through one, until it was won or lost
                SELECT lead_id, campaign_id, source_id, medium_id, '-infinity'::timestamp AS date, 0 AS event_id
                  FROM facts
                 UNION ALL
                SELECT event.lead_id, event.campaign_id, event.source_id, event.medium_id, event.date, event.id
                  FROM lead_engagement_event event
                  JOIN facts ON facts.lead_id = event.lead_id
                 WHERE (event.campaign_id IS NOT NULL OR event.source_id IS NOT NULL OR event.medium_id IS NOT NULL)
                   AND (facts.cutoff IS NULL OR event.date <= facts.cutoff)
            ), credits AS (
                SELECT 0 AS model, lead_id, campaign_id, source_id, medium_id, 1 AS touch, 1 AS touches
                  FROM touches WHERE event_id = 0
                 UNION ALL
                SELECT 1, lead_id, campaign_id, source_id, medium_id, 1, 1
                  FROM (SELECT DISTINCT ON (lead_id) * FROM touches ORDER BY lead_id, date DESC, event_id DESC) AS last
                 UNION ALL
                SELECT 2, lead_id, campaign_id, source_id, medium_id,
                       ROW_NUMBER() OVER (PARTITION BY lead_id ORDER BY MIN(date), MIN(event_id))::int,
                       (COUNT(*) OVER (PARTITION BY lead_id))::int
                  FROM touches
                 GROUP BY lead_id, campaign_id, source_id, medium_id
            )
            SELECT (credits.lead_id::bigint << 12) | (credits.model << 10) | credits.touch AS id,
                   (ARRAY['first', 'last', 'linear'])[credits.model + 1] AS attribution,
                   credits.lead_id,
                   facts.company_id,
                   credits.campaign_id,
                   credits.source_id,
                   credits.medium_id,
                   facts.team_id,
                   facts.country_id,
                   facts.create_date::date AS date,
                   %(currency)s AS currency_id,
                   1.0 / credits.touches AS lead_count,
                   facts.qualified::int::float / credits.touches AS qualified_count,
                   facts.handed_off::int::float / credits.touches AS handoff_count,
                   facts.won::int::float / credits.touches AS customer_count,
                   CASE WHEN credits.touch > 1 THEN ROUND(facts.revenue / credits.touches, %(digits)s)
                        ELSE facts.revenue - (credits.touches - 1) * ROUND(facts.revenue / credits.touches, %(digits)s)
                   END AS won_revenue,
                   NULL::numeric AS cost,
                   NULL::numeric AS cost_per_lead,
                   NULL::numeric AS cost_per_qualified,
                   NULL::numeric AS cost_per_customer,
                   NULL::float AS roi
              FROM credits
              JOIN facts ON facts.lead_id = credits.lead_id
             UNION ALL
            SELECT %(cost_row)s | (cost.id::bigint << 2) | model.model,
                   (ARRAY['first', 'last', 'linear'])[model.model + 1],
                   NULL,
                   cost.company_id,
                   cost.campaign_id,
                   cost.source_id,
                   cost.medium_id,
                   NULL,
                   NULL,
                   cost.date,
                   %(currency)s,
                   0, 0, 0, 0, NULL,
                   ROUND(cost.amount::numeric * %(cost_to_rate)s / %(cost_from_rate)s, %(digits)s),
                   NULL, NULL, NULL, NULL
              FROM lead_campaign_cost cost
             CROSS JOIN (VALUES (0), (1), (2)) AS model(model)
        """,
            flow=flow_stages_sql(),
            currency=currency.id,
            digits=currency.decimal_places,
            to_rate=rate_sql(currency.id, SQL("lead.date_closed::date"), root),
            from_rate=rate_sql(SQL("COALESCE(company.currency_id, %s)", currency.id), SQL("lead.date_closed::date"),
                               root),
            cost_row=COST_ROW,
            cost_to_rate=rate_sql(currency.id, SQL("cost.date"), root),
            cost_from_rate=rate_sql(SQL("cost.currency_id"), SQL("cost.date"), root),
        )
