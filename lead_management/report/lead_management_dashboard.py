# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError
from odoo.tools.misc import format_amount, formatLang

PERIODS = (3, 6, 12)
REPORT_GROUPS = ("lead_management.group_lead_manager", "sales_team.group_sale_manager")
VIEW_MODELS = {
    "lead_funnel_report": "lead.funnel.report",
    "lead_funnel_month_report": "lead.funnel.month.report",
    "lead_followup_report": "lead.followup.report",
    "lead_campaign_report": "lead.campaign.report",
}


class LeadManagementDashboard(models.AbstractModel):
    """The "Lead Management" overview: a few figures against their targets, and the reports' pivots and graphs
    in one place (the client action lead_management.dashboard shows what ``get_dashboard`` returns). Every
    figure is read from the reports as the caller, so each company sees its own leads, and each figure
    names the report rows behind it: clicking it opens their leads (``action_open_leads``)."""

    _name = "lead.management.dashboard"
    _description = "Lead Management Overview"

    @api.model
    def get_dashboard(self, months=12):
        if not any(self.env.user.has_group(group) for group in REPORT_GROUPS):
            raise AccessError(self.env._("The Lead Management overview is for Lead Managers and sales managers."))
        months = months if months in PERIODS else 12
        start = fields.Date.context_today(self) + relativedelta(day=1, months=-(months - 1))
        start_str = fields.Date.to_string(start)
        # Datetimes are compared in UTC: the first of the month at midnight UTC is close enough for an overview.
        start_dt = fields.Datetime.to_string(fields.Datetime.to_datetime(start))
        company = self.env.company
        return {
            "months": months,
            "periods": list(PERIODS),
            "start": start_str,
            "tiles": self._dashboard_tiles(start_str, start_dt, company),
            "views": self._dashboard_views(start_str, start_dt),
        }

    @api.model
    def _dashboard_tiles(self, start, start_dt, company):
        Funnel = self.env["lead.funnel.report"]
        Followup = self.env["lead.followup.report"]
        Campaign = self.env["lead.campaign.report"]
        created = [("lead_create_date", ">=", start_dt)]
        handed = [("date", ">=", start_dt)]
        campaigns = [("attribution", "=", "first"), ("date", ">=", start)]
        qualified_stages = self.env["lead.lifecycle.stage"].search([("code", "=", "qualified")])

        def lead_count(domain):
            [(count,)] = Funnel._read_group(domain, [], ["lead_id:count_distinct"])
            return count

        new_leads = lead_count(created)
        qualified = lead_count(created + [("stage_id", "in", qualified_stages.ids)])
        [(handoffs, followup, close, accepted)] = Followup._read_group(
            handed, [], ["handoff_count:sum", "followup_rate:avg", "close_rate:avg", "acceptance_rate:avg"])
        [(within_sla,)] = Followup._read_group(handed, [], ["within_sla_rate:avg"])
        [(revenue, cost, roi)] = Campaign._read_group(campaigns, [], ["won_revenue:sum", "cost:sum", "roi:sum"])
        old_open = lead_count([("is_open", "=", True), ("is_current", "=", True), ("age_bucket", "=", "91_plus")])
        currency = company.currency_id

        def percent(value):
            return False if value is False or value is None else formatLang(self.env, value, digits=0) + " %"

        def against(value, target):
            if value is False or value is None:
                return False
            return "good" if value >= target else "bad"

        return [
            self._tile("new_leads", self.env._("New Leads"), formatLang(self.env, new_leads, digits=0),
                       "lead.funnel.report", created,
                       self.env._("Leads that came in since %s.", start)),
            self._tile("qualified", self.env._("Qualified"), formatLang(self.env, qualified, digits=0),
                       "lead.funnel.report", created + [("stage_id", "in", qualified_stages.ids)],
                       self.env._("New leads that reached Qualified (or went past it): %s of them.",
                                  percent(qualified * 100.0 / new_leads) if new_leads else "–")),
            self._tile("handed_off", self.env._("Handed Off"), formatLang(self.env, handoffs or 0, digits=0),
                       "lead.followup.report", handed, self.env._("Hand-offs to sales in the period.")),
            self._tile("followup", self.env._("Followed Up"), percent(followup), "lead.followup.report",
                       handed + [("first_response_date", "!=", False)],
                       self.env._("Target: %s", percent(company.lead_followup_target)),
                       status=against(followup, company.lead_followup_target)),
            self._tile("acceptance", self.env._("Accepted by Sales"), percent(accepted), "lead.followup.report",
                       handed + [("state", "=", "accepted")], self.env._("Share of the answered hand-offs.")),
            self._tile("within_sla", self.env._("Answered within SLA"), percent(within_sla), "lead.followup.report",
                       handed + [("within_sla_count", "=", 1)],
                       self.env._("Among hand-offs whose clock is decided.")),
            self._tile("close", self.env._("Closed (Won)"), percent(close), "lead.followup.report",
                       handed + [("won_count", "=", 1)],
                       self.env._("Target: %s", percent(company.lead_close_target)),
                       status=against(close, company.lead_close_target)),
            self._tile("revenue", self.env._("Won Revenue"), format_amount(self.env, revenue or 0, currency),
                       "lead.campaign.report", campaigns + [("won_revenue", ">", 0)],
                       self.env._("Cost %(cost)s · ROI %(roi)s", cost=format_amount(self.env, cost or 0, currency),
                                  roi=percent(roi) or "–"),
                       status=against(roi, 0)),
            self._tile("old_open", self.env._("Open over 90 Days"), formatLang(self.env, old_open, digits=0),
                       "lead.funnel.report",
                       [("is_open", "=", True), ("is_current", "=", True), ("age_bucket", "=", "91_plus")],
                       self.env._("Open leads that came in more than 90 days ago."),
                       status="bad" if old_open else "good"),
        ]

    @api.model
    def _tile(self, key, label, value, model, domain, note, status=False):
        return {"key": key, "label": label, "value": value, "model": model, "domain": domain, "note": note,
                "status": status}

    @api.model
    def _dashboard_views(self, start, start_dt):
        def view(key, title, action, view_xmlid, view_type, domain, context=None):
            return {
                "key": key,
                "title": title,
                "action": f"lead_management.{action}",
                "resModel": VIEW_MODELS[view_xmlid.split("_view_")[0]],
                "viewId": self.env["ir.model.data"]._xmlid_to_res_id(f"lead_management.{view_xmlid}"),
                "type": view_type,
                "domain": domain,
                "context": context or {},
            }

        _ = self.env._
        return [
            view("funnel", _("Funnel: leads per stage and conversion, by creation month"), "lead_funnel_report_action",
                 "lead_funnel_report_view_pivot", "pivot",
                 [("lead_create_date", ">=", start_dt), ("stage_id.is_side_exit", "=", False)]),
            view("month", _("Leads per stage at month end"), "lead_funnel_month_report_action",
                 "lead_funnel_month_report_view_graph", "graph", [("month", ">=", start)]),
            view("followup", _("Follow-up per salesperson, against the targets"), "lead_followup_report_action",
                 "lead_followup_report_view_pivot", "pivot", [("date", ">=", start_dt)]),
            view("campaign", _("Campaign ROI (first touch)"), "lead_campaign_report_action",
                 "lead_campaign_report_view_pivot", "pivot", [("attribution", "=", "first"), ("date", ">=", start)]),
            view("age", _("Age of open leads"), "lead_funnel_report_action_age", "lead_funnel_report_view_graph_age",
                 "graph", [("is_open", "=", True), ("is_current", "=", True)]),
            view("time", _("Days in stage: average and median"), "lead_funnel_report_action_time",
                 "lead_funnel_report_view_pivot_time", "pivot", [("lead_create_date", ">=", start_dt)]),
        ]
