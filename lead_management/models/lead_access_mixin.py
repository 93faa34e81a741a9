# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import functools

from odoo import api, models
from odoo.tools import SQL


class LeadAccessMixin(models.AbstractModel):
    """Records about one lead (a ``lead_id`` field: history rows, engagement events, report lines) are
    visible to whoever may read their lead, and to nobody else; created, changed or deleted (where the model
    allows it) by whoever may change their lead. The models' rights go to every internal user: crm.lead's own
    access, whatever groups grant it (crm's, or another addon's), decides.

    Without it, a many2one to a lead shows its name to anyone who can read such a record, and a count
    over them counts leads the user may not see. Here every search, count, group-by and read goes through
    crm.lead's own record rules as the calling user, whatever rules crm, this addon or the company add to
    leads: one definition of who sees a lead."""

    _name = "lead.access.mixin"
    _description = "Records about a Lead, visible with the Lead"
    # True where some rows are about no lead (the costs beside the leads of the campaign report): those rows
    # are visible through the model's own record rules alone.
    _lead_optional = False
    # True where the model's _table_query puts crm.lead's record rules on its own scan of the leads, with
    # _lead_rules_sql(): one scan of the leads instead of a second one for "lead_id IN (readable leads)".
    _lead_rules_in_view = False
    # The fields a client's context may give a default (``default_<field>``: a form opened from a lead). The rows
    # of these models are mostly written by the pipeline, as superuser, in the caller's context: any other
    # default there would be the client's value in a figure (a clock created paused, a hand-off row created
    # merged).
    _lead_context_defaults = ()

    @api.model
    def default_get(self, fields):
        context = self.env.context
        allowed = {f"default_{name}" for name in self._lead_context_defaults}
        if any(key.startswith("default_") and key not in allowed for key in context):
            context = {key: value for key, value in context.items()
                       if not key.startswith("default_") or key in allowed}
            # A context without those keys (with_context() would only add to it).
            return super(LeadAccessMixin, self.with_env(self.env(context=context))).default_get(fields)
        return super().default_get(fields)

    @api.model
    def _apply_ir_rules(self, query, mode="read"):
        super()._apply_ir_rules(query, mode)
        if self.env.su:
            return
        lead_id = SQL.identifier(query.table, "lead_id")
        if not self.env["crm.lead"].has_access("read"):
            # Rights on these rows are granted to every internal user: what they see is what crm.lead's own
            # access lets them read, and without it, no lead.
            query.add_where(SQL("%s IS NULL", lead_id) if self._lead_optional else SQL("FALSE"))
            return
        if self._lead_rules_in_view and self._lead_rules_sql("lead") is not None:
            return
        readable = self.env["crm.lead"].with_context(active_test=False)._search([])
        if self._lead_optional:
            query.add_where(SQL("(%s IS NULL OR %s IN %s)", lead_id, lead_id, readable.subselect()))
        else:
            query.add_where(SQL("%s IN %s", lead_id, readable.subselect()))

    @api.model
    def _lead_rules_sql(self, alias):
        """crm.lead's record rules for the caller, as a condition on the leads of ``alias`` (crm_lead in the model's
        table query); None when the rules need more than the lead's own columns (joins, subqueries): the model
        then gets the generic condition on lead_id instead."""
        if self.env.su:
            return SQL("TRUE")
        query = self.env["crm.lead"].with_context(active_test=False)._search([])
        where = query.where_clause
        if query._joins or list(query._tables) != ["crm_lead"] or "%%" in where.code or "select" in where.code.lower():
            return None
        if not where.code:
            return SQL("TRUE")
        self.env["crm.lead"].flush_model()
        return SQL(where.code.replace('"crm_lead".', f'"{alias}".'), *where.params)

    def _check_access(self, operation):
        result = super()._check_access(operation)
        if result or self.env.su or not any(self._ids):
            return result
        rows = self.sudo().with_context(active_test=False)
        leads = rows.lead_id
        # Reading a row is reading its lead; creating, changing or deleting one (where the model allows it at
        # all) is changing its lead, as far as crm.lead's rules let the user.
        lead_operation = "read" if operation == "read" else "write"
        allowed = leads.with_env(self.env)._filtered_access(lead_operation) if self.env["crm.lead"].has_access(
            lead_operation) else leads.browse()
        forbidden = self.browse(row.id for row in rows
                                if (row.lead_id or not self._lead_optional) and row.lead_id not in allowed)
        if forbidden:
            return forbidden, functools.partial(self.env["ir.rule"]._make_access_error, operation, forbidden)
        return None
