# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import math

from odoo import api, fields, models, tools
from odoo.tools import SQL

WINDOW_SECONDS = 60


class LeadIntakeHit(models.Model):
    """One row per intake request accepted in the last minute, per API key: the rate limit is a sliding window
    over them, shared by every Odoo worker. Only inserted, never updated: concurrent requests never conflict
    on a counter row."""

    _name = "lead.intake.hit"
    _description = "Lead Intake Request"
    _log_access = False

    key_id = fields.Integer(required=True, readonly=True)
    date = fields.Datetime(required=True, readonly=True)

    def init(self):
        tools.create_index(self.env.cr, "lead_intake_hit_key_date_idx", self._table, ["key_id", "date"])

    @api.model
    def _lead_intake_throttle(self, key_id, limit):
        """Count a request of ``key_id`` if fewer than ``limit`` were counted in the last minute. Returns 0 when
        counted (or ``limit`` is 0), else the seconds to wait before the oldest request leaves the window."""
        if limit <= 0:
            return 0
        self.env.cr.execute(SQL("""
            INSERT INTO lead_intake_hit (key_id, date)
            SELECT %(key)s, NOW() AT TIME ZONE 'utc'
             WHERE (SELECT COUNT(*) FROM lead_intake_hit
                     WHERE key_id = %(key)s AND date > NOW() AT TIME ZONE 'utc' - %(window)s * INTERVAL '1 second')
                   < %(limit)s
         RETURNING id
        """, key=key_id, window=WINDOW_SECONDS, limit=limit))
        if self.env.cr.fetchone():
            return 0
        self.env.cr.execute(SQL("""
            SELECT EXTRACT(EPOCH FROM MIN(date) + %(window)s * INTERVAL '1 second' - NOW() AT TIME ZONE 'utc')
              FROM lead_intake_hit
             WHERE key_id = %(key)s AND date > NOW() AT TIME ZONE 'utc' - %(window)s * INTERVAL '1 second'
        """, key=key_id, window=WINDOW_SECONDS))
        wait = self.env.cr.fetchone()[0]
        return max(1, math.ceil(wait or 1))

    @api.autovacuum
    def _gc_hits(self):
        self.env.cr.execute(SQL(
            "DELETE FROM lead_intake_hit WHERE date < NOW() AT TIME ZONE 'utc' - INTERVAL '1 hour'"))
