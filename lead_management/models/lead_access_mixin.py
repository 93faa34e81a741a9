# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import functools

from odoo import api, models
from odoo.tools import SQL


class LeadAccessMixin(models.AbstractModel):
    """Records about one lead (a ``lead_id`` field: history rows, engagement events, report lines) are
    visible to whoever may read their lead, and to nobody else.

    Without it, a many2one to a lead shows its name to anyone who can read such a record, and a count
    over them counts leads the user may not see. Here every search, count, group-by and read goes through
    crm.lead's own record rules as the calling user, whatever rules crm, this addon or the company add to
    leads: one definition of who sees a lead."""

    _name = "lead.access.mixin"
    _description = "Records about a Lead, visible with the Lead"
    # True where some rows are about no lead (the costs beside the leads of the campaign report): those rows
    # are visible through the model's own record rules alone.
    _lead_optional = False

    @api.model
    def _apply_ir_rules(self, query, mode="read"):
        super()._apply_ir_rules(query, mode)
        if self.env.su:
            return
        readable = self.env["crm.lead"].with_context(active_test=False)._search([])
        lead_id = SQL.identifier(query.table, "lead_id")
        if self._lead_optional:
            query.add_where(SQL("(%s IS NULL OR %s IN %s)", lead_id, lead_id, readable.subselect()))
        else:
            query.add_where(SQL("%s IN %s", lead_id, readable.subselect()))

    def _check_access(self, operation):
        result = super()._check_access(operation)
        if result or self.env.su or not any(self._ids):
            return result
        rows = self.sudo().with_context(active_test=False)
        leads = rows.lead_id
        readable = leads.with_env(self.env)._filtered_access("read")
        forbidden = self.browse(row.id for row in rows
                                if (row.lead_id or not self._lead_optional) and row.lead_id not in readable)
        if forbidden:
            return forbidden, functools.partial(self.env["ir.rule"]._make_access_error, operation, forbidden)
        return None
