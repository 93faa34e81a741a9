# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import uuid
from datetime import timedelta

from odoo import api, fields, models

# (path, how many views) per demo visitor, by turn
DEMO_VISITS = [
    [("/pricing", 3), ("/blog/case-study-acme", 1), ("/contactus", 1)],
    [("/blog", 2), ("/pricing", 1)],
    [("/", 1), ("/blog/lead-scoring-explained", 2)],
]


class LeadManagementDemo(models.AbstractModel):
    _inherit = "lead.management.demo"

    @api.model
    def _create_demo_website_signals(self):
        """Demo: 24 open leads of the demo story have a website visitor whose page views of the last days (some
        read the pricing page three times) the bridge's job then scores."""
        env = self.sudo().env
        website = env["website"].search([], limit=1)
        leads = env["crm.lead"].search([("type", "=", "lead"), ("lifecycle_side", "=", "marketing"),
                                        ("qualifier_id", "!=", False)], order="id desc", offset=5, limit=24)
        if not website or not leads:
            return
        now = fields.Datetime.now()
        visitors = env["website.visitor"].create([{
            "access_token": uuid.uuid5(uuid.NAMESPACE_URL, f"lead-management-demo-{lead.id}").hex,
            "website_id": website.id, "lead_ids": [(6, 0, lead.ids)]} for lead in leads])
        views = []
        for index, visitor in enumerate(visitors):
            for path, count in DEMO_VISITS[index % len(DEMO_VISITS)]:
                views += [{"visitor_id": visitor.id, "url": f"{website.get_base_url()}{path}",
                           "visit_datetime": now - timedelta(days=index % 5, hours=turn + 1)}
                          for turn in range(count)]
        env["website.track"].create(views)
        env["website.track"]._cron_lead_signals()
