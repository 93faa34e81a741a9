# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import models

from .website_track import EXTERNAL_ID_PREFIX


class CrmLead(models.Model):
    _inherit = "crm.lead"

    def _merge_dependences(self, opportunities):
        # Two merged leads of one visitor each recorded its page views (external id per view and lead): the lead
        # that stays keeps one event per view.
        result = super()._merge_dependences(opportunities)
        events = self.env["lead.engagement.event"].sudo().search(
            [("lead_id", "=", self.id), ("external_id", "=like", f"{EXTERNAL_ID_PREFIX}%")], order="id")
        seen, extra = set(), events.browse()
        for event in events:
            track_id = event.external_id.removeprefix(EXTERNAL_ID_PREFIX).split(":")[0]
            if track_id in seen:
                extra |= event
            seen.add(track_id)
        extra.unlink()
        return result
