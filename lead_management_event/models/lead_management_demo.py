# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from datetime import timedelta

from odoo import api, fields, models


class LeadManagementDemo(models.AbstractModel):
    _inherit = "lead.management.demo"

    @api.model
    def _create_demo_event_signals(self):
        """Demo: 16 open leads of the demo story registered for a meetup that took place last week; ten came,
        the others did not; the bridge's job then scores them. No lead is made from these registrations (the
        people have one)."""
        env = self.sudo().env
        leads = env["crm.lead"].search([("type", "=", "lead"), ("email_normalized", "!=", False),
                                        ("lifecycle_side", "=", "marketing"), ("qualifier_id", "!=", False)],
                                       order="id desc", offset=12, limit=16)
        if not leads:
            return
        now = fields.Datetime.now()
        event = env["event.event"].create({
            "name": "Lead Management Meetup", "date_tz": "Europe/Brussels",
            "date_begin": now - timedelta(days=6, hours=3), "date_end": now - timedelta(days=6),
            "event_mail_ids": [(5, 0, 0)]})  # the demo sends no confirmation or reminder
        registrations = env["event.registration"].with_context(event_lead_rule_skip=True).create([{
            "event_id": event.id, "name": lead.contact_name or lead.name, "email": lead.email_from,
            "state": "open"} for lead in leads])
        registrations[:10].write({"state": "done", "date_closed": now - timedelta(days=6, hours=2)})
        env["event.registration"]._cron_lead_signals()
