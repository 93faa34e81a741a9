# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from datetime import timedelta

from odoo import api, fields, models


class LeadManagementDemo(models.AbstractModel):
    _inherit = "lead.management.demo"

    @api.model
    def _create_demo_mailing_signals(self):
        """Demo: a mailing sent to 60 open leads of the demo story a few days ago, with its traces as Email Marketing
        writes them (no e-mail goes out): a third opened it, a sixth clicked its links, a few bounced; the bridge's
        job then scores them."""
        env = self.sudo().env
        now = fields.Datetime.now()
        leads = env["crm.lead"].search([("type", "=", "lead"), ("email_normalized", "!=", False),
                                        ("lifecycle_side", "=", "marketing"), ("qualifier_id", "!=", False)],
                                       order="id desc", limit=60)
        if not leads:
            return
        campaign = env.ref("lead_management.utm_campaign_demo_webinar", raise_if_not_found=False)
        mailing = env["mailing.mailing"].create({
            "name": "Spring webinar invitation", "subject": "Join our spring webinar: lead management in practice",
            "mailing_model_id": env["ir.model"]._get_id("crm.lead"),
            "mailing_domain": repr([("id", "in", leads.ids)]), "state": "done", "sent_date": now - timedelta(days=3),
            "campaign_id": campaign.id if campaign else False,
            "body_html": '<p>See <a href="https://www.example.com/pricing">our pricing</a> and '
                         '<a href="https://www.example.com/webinar">register for the webinar</a>.</p>',
        })
        links = env["link.tracker"].create([
            {"url": "https://www.example.com/pricing", "title": "Pricing", "label": "Pricing",
             "mass_mailing_id": mailing.id},
            {"url": "https://www.example.com/webinar", "title": "Webinar registration",
             "label": "Webinar registration", "mass_mailing_id": mailing.id},
        ])
        traces = env["mailing.trace"].create([{
            "mass_mailing_id": mailing.id, "model": "crm.lead", "res_id": lead.id, "email": lead.email_normalized,
            "trace_status": "sent", "sent_datetime": now - timedelta(days=3),
        } for lead in leads])
        for index, trace in enumerate(traces):
            if index % 15 == 7:
                trace.set_bounced()
            elif index % 3 == 0:
                trace.set_opened()
                if index % 2 == 0:
                    env["link.tracker.click"].add_click(
                        links[index % 4 == 0].code, ip=f"10.0.0.{index}", country_code="BE",
                        mailing_trace_id=trace.id)
        env["mailing.trace"]._cron_lead_signals()
