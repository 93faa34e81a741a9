# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from datetime import timedelta

import pytz

from odoo import models

# How far ahead a working moment is looked for (a schedule with no working time in two weeks has none).
LOOK_AHEAD = timedelta(days=14)


class ResourceCalendar(models.Model):
    _inherit = "resource.calendar"

    def _nurture_next_working_moment(self, now, tz_name):
        """The first moment from ``now`` (naive UTC) that is working time of this schedule read in the time zone
        ``tz_name`` (its days, hours and the company's closing days): ``now`` itself when it is; None when there is
        none in the next two weeks."""
        self.ensure_one()
        start = pytz.utc.localize(now)
        intervals = self._work_intervals_batch(start, start + LOOK_AHEAD, tz=pytz.timezone(tz_name))[False]
        for interval_start, interval_stop, _records in intervals:
            if interval_stop > start:
                return max(interval_start, start).astimezone(pytz.utc).replace(tzinfo=None)
        return None
