# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, models
from odoo.tools import SQL


class LeadReportMixin(models.AbstractModel):
    """What the lead reports share: rows about leads, visible with their lead (lead.access.mixin); measures
    that are ratios of sums or medians, computed in SQL over each group; every figure opens its leads.

    A ratio or a median cannot be summed or averaged from row values: ``_report_aggregates`` maps such a
    measure to the SQL that computes it from the group's rows (e.g. accepted / answered), whatever the
    aggregate the client asks for. Pivot, graph and list groups all get the right figure."""

    _name = "lead.report.mixin"
    _inherit = ["lead.access.mixin"]
    _description = "Lead Report"

    @api.model
    def _report_aggregates(self):
        """{measure: function(column) → SQL aggregate}, ``column(fname)`` giving a field's SQL."""
        return {}

    def _read_group_select(self, aggregate_spec, query):
        fname = aggregate_spec.split(":", 1)[0]
        aggregate = self._report_aggregates().get(fname)
        if aggregate is None:
            return super()._read_group_select(aggregate_spec, query)
        self.check_field_access_rights("read", [fname])
        return aggregate(lambda name: self._field_to_sql(self._table, name, query))

    @api.model
    def action_open_leads(self, domain):
        """The leads behind a figure: those of the report rows matching ``domain``, as the caller may read
        them (archived ones included: a lost lead is part of the figures)."""
        [(lead_ids,)] = self._read_group(domain, [], ["lead_id:array_agg"])
        action = self.env["ir.actions.act_window"]._for_xml_id("lead_management.crm_lead_action_report_leads")
        action["domain"] = [("id", "in", sorted({lead_id for lead_id in lead_ids if lead_id}))]
        return action


def ratio(numerator, denominator, scale=1.0):
    """SUM(numerator) / SUM(denominator) over a group, empty (not 0) when the denominator sums to 0."""
    def aggregate(column):
        return SQL("%s::float * SUM(%s) / NULLIF(SUM(%s), 0)", scale, column(numerator), column(denominator))
    return aggregate


def median(fname):
    def aggregate(column):
        return SQL("PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY %s)", column(fname))
    return aggregate
