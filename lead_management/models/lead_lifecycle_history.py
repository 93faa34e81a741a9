# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models
from odoo.tools import SQL

PENDING = "lead.lifecycle.history.pending"


class LeadLifecycleHistory(models.Model):
    _name = "lead.lifecycle.history"
    _inherit = ["lead.access.mixin"]
    _description = "Lead Lifecycle Move"
    _order = "date desc, id desc"
    _rec_name = "to_stage_id"

    lead_id = fields.Many2one("crm.lead", required=True, index=True, ondelete="cascade", readonly=True)
    # Copied at creation (no recompute per move): the lead's company, the stages' codes.
    company_id = fields.Many2one("res.company", readonly=True, index=True)
    # Stages in use cannot be deleted (see lead.lifecycle.stage): cascade only matters at uninstall.
    from_stage_id = fields.Many2one("lead.lifecycle.stage", "From", readonly=True, index=True, ondelete="cascade")
    to_stage_id = fields.Many2one("lead.lifecycle.stage", "To", required=True, readonly=True, index=True,
                                  ondelete="cascade")
    date = fields.Datetime(required=True, readonly=True, default=fields.Datetime.now, index=True)
    user_id = fields.Many2one("res.users", "Moved By", readonly=True, default=lambda self: self.env.user)
    reason = fields.Char(readonly=True)
    hours_in_previous = fields.Float(
        "Hours in Previous Stage", readonly=True, aggregator="avg",
        help="Time the lead spent in the stage it left, in hours.")
    from_code = fields.Char(readonly=True)
    to_code = fields.Char(readonly=True)

    # ------------------------------------------------------------
    # BUSINESS
    # ------------------------------------------------------------

    @api.model
    def _log(self, vals_list):
        """Record lifecycle moves (values as for create).

        crm moves leads one at a time in its loops (rule-based assignment, mass conversion): one INSERT per
        move would add a query to each. Rows are kept for the transaction and written together, as mail
        tracking does, before anything reads the history (the ORM flushes this model before a query on
        it), at a savepoint and at commit; a rollback drops them with the moves they record."""
        data = self.env.cr.precommit.data
        if PENDING not in data:
            self.env.cr.precommit.add(self.sudo()._insert_pending)
        # A new list each time: tests restore the precommit data of the transaction after each test.
        data[PENDING] = [*data.get(PENDING, ()), *vals_list]

    def _insert_pending(self):
        pending = self.env.cr.precommit.data.pop(PENDING, None)
        if not pending:
            return
        # One statement; a lead deleted since its move took its history with it (ondelete cascade): so do its
        # pending rows. A plain log: written as the install writes it, without the ORM's per-row work.
        columns = ["lead_id", "company_id", "from_stage_id", "from_code", "to_stage_id", "to_code", "date",
                   "user_id", "reason", "hours_in_previous"]
        uid = self.env.uid
        self.env.cr.execute(SQL("""
            INSERT INTO lead_lifecycle_history (%(columns)s, create_uid, create_date, write_uid, write_date)
            SELECT %(selected)s, %(uid)s, NOW() AT TIME ZONE 'UTC', %(uid)s, NOW() AT TIME ZONE 'UTC'
              FROM (VALUES %(values)s) AS rows(position, %(columns)s)
             WHERE EXISTS (SELECT 1 FROM crm_lead WHERE crm_lead.id = rows.lead_id)
          ORDER BY rows.position
        """, columns=SQL(", ").join(SQL.identifier(column) for column in columns), uid=uid,
            selected=SQL(", ").join(SQL.identifier("rows", column) for column in columns),
            values=SQL(", ").join(SQL("(%s, %s::int, %s::int, %s::int, %s::varchar, %s::int, %s::varchar, "
                                      "%s::timestamp, %s::int, %s::varchar, %s::float)", position,
                                      *(None if vals.get(column) is False else vals.get(column)
                                        for column in columns))
                                  for position, vals in enumerate(pending))))
        self.invalidate_model()

    def _flush(self, fnames=None):
        self._insert_pending()
        return super()._flush(fnames)
