# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models
from odoo.exceptions import ValidationError


class LeadEngagementEvent(models.Model):
    _name = "lead.engagement.event"
    _inherit = ["lead.access.mixin"]
    _description = "Lead Engagement Event"
    _order = "date desc, id desc"

    lead_id = fields.Many2one("crm.lead", required=True, index=True, ondelete="cascade")
    # The lead's company, copied when the event is recorded or moves (no recompute per lead change).
    company_id = fields.Many2one("res.company", readonly=True, index=True)
    type_id = fields.Many2one("lead.engagement.type", required=True, index=True, ondelete="cascade")
    date = fields.Datetime(required=True, default=fields.Datetime.now, index=True)
    external_id = fields.Char("External ID", index="btree_not_null", copy=False,
                              help="The sender's id of the event: sending it again adds nothing.")
    note = fields.Char()
    # Where the engagement came from, as the sender tells it
    campaign_id = fields.Many2one("utm.campaign", index="btree_not_null", ondelete="set null")
    source_id = fields.Many2one("utm.source", index="btree_not_null", ondelete="set null")
    medium_id = fields.Many2one("utm.medium", index="btree_not_null", ondelete="set null")

    _sql_constraints = [
        ("external_id_type_uniq", "unique (type_id, external_id)",
         "This event was already recorded (same type and external id)."),
    ]

    @api.model_create_multi
    def create(self, vals_list):
        leads = self.env["crm.lead"].browse(vals["lead_id"] for vals in vals_list if vals.get("lead_id")).sudo()
        companies = {lead.id: lead.company_id.id for lead in leads}
        vals_list = [dict(vals, company_id=companies.get(vals.get("lead_id"))) for vals in vals_list]
        events = super().create(vals_list)
        events.lead_id._scoring_events_changed()
        return events

    def write(self, vals):
        leads = self.lead_id
        if vals.get("lead_id"):
            vals = dict(vals, company_id=self.env["crm.lead"].sudo().browse(vals["lead_id"]).company_id.id)
        result = super().write(vals)
        if self and {"lead_id", "type_id", "date"} & set(vals):
            (leads | self.lead_id)._scoring_events_changed()
        return result

    def unlink(self):
        leads = self.lead_id
        result = super().unlink()
        leads.exists()._scoring_events_changed()
        return result

    @api.model
    def _record_events(self, events):
        """The one entry point for other modules and the intake API.

        ``events``: dicts with ``lead_id``, ``type`` (engagement type code or record), optional ``date``,
        ``external_id``, ``note``, ``campaign_id``, ``source_id`` and ``medium_id``. Events already recorded (same
        type and external id) are skipped, so a replay adds nothing. Returns the events created."""
        Type = self.env["lead.engagement.type"]
        vals_list, seen = [], set()
        for event in events:
            event_type = event["type"]
            if not isinstance(event_type, models.BaseModel):
                event_type = Type._get_by_code(event_type)
            if not event_type:
                raise ValidationError(self.env._("Unknown engagement type “%s”.", event["type"]))
            vals = {"lead_id": event["lead_id"], "type_id": event_type.id, "external_id": event.get("external_id"),
                    "note": event.get("note")}
            if event.get("date"):
                vals["date"] = event["date"]
            for fname in ("campaign_id", "source_id", "medium_id"):
                if event.get(fname):
                    vals[fname] = event[fname]
            key = (event_type.id, vals["external_id"])
            if vals["external_id"] and key in seen:
                continue
            seen.add(key)
            vals_list.append(vals)
        with_ids = [vals for vals in vals_list if vals["external_id"]]
        if with_ids:
            existing = self.sudo().search_fetch(
                [("external_id", "in", [vals["external_id"] for vals in with_ids])], ["type_id", "external_id"])
            known = {(event.type_id.id, event.external_id) for event in existing}
            vals_list = [vals for vals in vals_list if (vals["type_id"], vals["external_id"]) not in known]
        return self.create(vals_list)
