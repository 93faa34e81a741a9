# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import re
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL, split_every

# Keys of _record_events → fields of the event
UTM_KEYS = {"campaign": "campaign_id", "source": "source_id", "medium": "medium_id"}
# _record_signals: a record written in a transaction that began before the last run, committed after it, has a
# write date before that run: each run looks back this far (what it finds again is recorded once: external ids).
SIGNAL_LOOK_BACK = timedelta(hours=1)
# ... and the first run (no checkpoint yet: the bridge was just installed) reads this far back, not all history.
SIGNAL_FIRST_RUN = timedelta(days=30)
# _record_events as superuser: from this many new events, one INSERT (a bridge's batch); below, the ORM's create.
BULK_INSERT_FROM = 2


class LeadEngagementEvent(models.Model):
    _name = "lead.engagement.event"
    _inherit = ["lead.access.mixin"]
    _description = "Lead Engagement Event"
    _order = "date desc, id desc"

    # Logged by a person from the lead's form: what they choose; the sender and the company are the system's.
    _lead_context_defaults = ("lead_id", "type_id", "date", "note", "campaign_id", "source_id", "medium_id")

    lead_id = fields.Many2one("crm.lead", required=True, index=True, ondelete="cascade")
    # The lead's company, copied when the event is recorded or moves (no recompute per lead change).
    company_id = fields.Many2one("res.company", readonly=True, index=True)
    type_id = fields.Many2one("lead.engagement.type", required=True, index=True, ondelete="cascade")
    date = fields.Datetime(required=True, default=fields.Datetime.now, index=True)
    external_id = fields.Char("External ID", index="btree_not_null", copy=False,
                              help="The sender's id of the event: sending it again adds nothing.")
    # Who the external id belongs to: an intake API user's ids are its own (two marketing tools may use the same
    # ids); empty for events recorded by Odoo and other modules, whose ids are unique per company. Written by
    # the addon only (as superuser).
    sender_id = fields.Many2one("res.users", "Sent By", readonly=True, copy=False, index="btree_not_null",
                                ondelete="restrict", groups="base.group_system",
                                help="The intake API user that sent the event and its external id.")
    note = fields.Char()
    # What produced the event: attribution beyond first touch credits these (lead.campaign.report).
    campaign_id = fields.Many2one("utm.campaign", index="btree_not_null", ondelete="set null")
    source_id = fields.Many2one("utm.source", index="btree_not_null", ondelete="set null")
    medium_id = fields.Many2one("utm.medium", index="btree_not_null", ondelete="set null")

    def init(self):
        # A replay adds nothing: one event per company, sender, type and external id (each company its own senders,
        # each intake sender its own ids; events of no sender share their company's).
        self.env.cr.execute("""
            CREATE UNIQUE INDEX IF NOT EXISTS lead_engagement_event_sender_external_uniq
                ON lead_engagement_event (COALESCE(company_id, 0), COALESCE(sender_id, 0), type_id, external_id)
             WHERE external_id IS NOT NULL
        """)

    @api.model_create_multi
    def create(self, vals_list):
        self._check_logged_by_hand(vals_list)
        leads = self.env["crm.lead"].browse(vals["lead_id"] for vals in vals_list if vals.get("lead_id")).sudo()
        companies = {lead.id: lead.company_id.id for lead in leads}
        vals_list = [dict(vals, company_id=companies.get(vals.get("lead_id"))) for vals in vals_list]
        events = super().create(vals_list)
        events._events_recorded(events.lead_id)
        return events

    @api.model
    def _check_logged_by_hand(self, vals_list):
        """What a person writes (the form, an import, RPC) is an event people log: of a type logged by hand (what
        Odoo's apps and the marketing tools record, nobody can claim happened: a click that ends a nurture wait, an
        attendance), with no sender (the intake API's) and no external id but a lead manager's, for an import of
        a file that may be imported again (the ids of the apps and of the senders are theirs: one claimed first
        would keep the real event out)."""
        if self.env.su:
            return
        _ = self.env._
        type_ids = {vals["type_id"] for vals in vals_list if vals.get("type_id")}
        recorded = self.env["lead.engagement.type"].sudo().browse(type_ids).filtered(lambda each: not each.manual)
        if recorded:
            raise UserError(_(
                "“%s” events are recorded by Odoo's apps or by the marketing tools, not logged by hand: choose a type "
                "that people log (CRM > Configuration > Engagement Types, “Logged by Hand”).",
                "”, “".join(recorded.mapped("name"))))
        if any(vals.get("sender_id") for vals in vals_list):
            raise AccessError(_("The sender of an engagement event is the intake API user that sent it: it is not "
                                "written by hand."))
        if any(vals.get("external_id") for vals in vals_list) and not self.env.user.has_group(
                "lead_management.group_lead_manager"):
            raise AccessError(_(
                "Only Lead Managers give engagement events an external id (to import a file again without its events "
                "counting twice): log the event without one."))

    def _events_recorded(self, leads):
        """After these events of ``leads`` were recorded, whichever way (create, or a batch's INSERT): the leads are
        rescored (and the pipeline goes on), the nurture steps waiting for them told. Modules hook here."""
        leads._scoring_events_changed()
        self.env["lead.nurture.trace"]._nurture_signal(self, leads)

    def write(self, vals):
        self._check_logged_by_hand([vals])
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
    def _record_signals(self, checkpoint, model_name, batch_size=1000):
        """The scheduled run of what another Odoo app records (the bridges). ``model_name``'s
        ``_lead_signal_find(since, now)`` gives the ids of the app's records to read, those changed since the last run
        (the ``checkpoint`` parameter, looked back SIGNAL_LOOK_BACK; the first run SIGNAL_FIRST_RUN back); its
        ``_lead_signal_events(now)``, on a chunk of them, their events (values for _record_events). In chunks of
        ``batch_size`` records (crm.lead's _lead_management_run: committed one after the other, or jobs of
        queue_job): a run that stops finds the rest again next time, and what it finds again is recorded once."""
        Param = self.env["ir.config_parameter"].sudo()
        now = fields.Datetime.now()
        last = Param.get_param(checkpoint)
        since = fields.Datetime.to_datetime(last) - SIGNAL_LOOK_BACK if last else now - SIGNAL_FIRST_RUN
        ids = self.env[model_name].sudo()._lead_signal_find(since, now)
        chunks = [(model_name, list(chunk)) for chunk in split_every(batch_size, ids)]
        self.env["crm.lead"]._lead_management_run("lead.engagement.event", "_record_signals_chunk", chunks, now=now)
        Param.set_param(checkpoint, fields.Datetime.to_string(now))

    @api.model
    def _record_signals_chunk(self, model_name, ids, now):
        """The events of these records of ``model_name`` (a chunk of _record_signals), recorded."""
        now = fields.Datetime.to_datetime(now)
        events = self.env[model_name].sudo().browse(ids).exists()._lead_signal_events(now)
        if events:
            self.sudo()._record_events(events)

    @api.model
    def _record_events(self, events):
        """The one entry point for other modules and the intake API.

        ``events``: dicts with ``lead_id``, ``type`` (engagement type code or record), optional ``date``,
        ``external_id``, ``note``, the ``campaign``, ``source`` and ``medium`` that produced the event (each a
        record, an id or a name; an unknown name creates the UTM record, as crm does for a lead's UTM values), and
        ``sender`` (a user or its id: the intake API user whose external id it is; only as superuser). Events
        already recorded (same company, sender, type and external id) are skipped, so a replay adds nothing; the
        external ids of one sender never collide with another's, nor with those of events without sender.
        Returns the events created."""
        Type = self.env["lead.engagement.type"]
        utm, types = {}, {}  # found within this call
        vals_list = []
        for event in events:
            event_type = event["type"]
            if not isinstance(event_type, models.BaseModel):
                event_type = Type._get_by_code_cached(types, event_type, self.env.company)
            if not event_type:
                raise ValidationError(self.env._("Unknown engagement type “%s”.", event["type"]))
            vals = {"lead_id": event["lead_id"], "type_id": event_type.id, "external_id": event.get("external_id"),
                    "note": event.get("note")}
            if event.get("date"):
                vals["date"] = event["date"]
            if event.get("sender"):
                sender = event["sender"]
                vals["sender_id"] = sender.id if isinstance(sender, models.BaseModel) else sender
            for key, fname in UTM_KEYS.items():
                if event.get(key):
                    vals[fname] = self._utm_record_id(self._fields[fname].comodel_name, event[key], utm)
            vals_list.append(vals)
        # Replays (same company, sender, type and external id) are skipped: within these events, and those recorded
        # (read here for the ORM's create; the INSERT of many skips them on the unique index itself).
        leads = self.env["crm.lead"].sudo().browse({vals["lead_id"] for vals in vals_list})
        company_of = {lead.id: lead.company_id.id for lead in leads}
        bulk = self.env.su and len(vals_list) >= BULK_INSERT_FROM
        existing = self.sudo().search_fetch(
            [("external_id", "in", [vals["external_id"] for vals in vals_list if vals["external_id"]])],
            ["company_id", "sender_id", "type_id", "external_id"]) if not bulk and any(
                vals["external_id"] for vals in vals_list) else self
        seen = {(event.company_id.id, event.sender_id.id, event.type_id.id, event.external_id)
                for event in existing.sudo()}
        new_vals = []
        for vals in vals_list:
            key = (company_of.get(vals["lead_id"], False), vals.get("sender_id", False), vals["type_id"],
                   vals["external_id"])
            if vals["external_id"] and key in seen:
                continue
            seen.add(key)
            new_vals.append(vals)
        if not bulk:
            return self.create(new_vals)
        return self._insert_events(new_vals, company_of)

    def _insert_events(self, vals_list, company_of):
        """The system's many events at once (a bridge's batch, as superuser): one INSERT, not the ORM's create per
        row, then what create does after it (_events_recorded) for the leads of the events inserted. An event
        recorded before (company, sender, type, external id) is skipped on the unique index; should another process
        insert the same event meanwhile, PostgreSQL refuses it there (a serialization failure at Odoo's isolation
        level): the batch rolls back and the next run records it once."""
        now = self.env.cr.now()
        # An event without a date happened now, to the second, as the ORM's default says (fields.Datetime.now): not
        # at the transaction's start (cr.now(), to the microsecond), which a rescore in the same second would take for
        # a moment after its own (fields.Datetime.now), and leave the event out of the score.
        happened = fields.Datetime.now()
        # One array per column (unnest): a statement of fixed size whatever the number of rows.
        columns = {
            "lead_id": ("int4", [vals["lead_id"] for vals in vals_list]),
            "company_id": ("int4", [company_of.get(vals["lead_id"]) or None for vals in vals_list]),
            "type_id": ("int4", [vals["type_id"] for vals in vals_list]),
            "date": ("timestamp", [fields.Datetime.to_datetime(vals.get("date")) or happened for vals in vals_list]),
            "external_id": ("varchar", [vals["external_id"] or None for vals in vals_list]),
            "note": ("varchar", [vals["note"] or None for vals in vals_list]),
            "campaign_id": ("int4", [vals.get("campaign_id") for vals in vals_list]),
            "source_id": ("int4", [vals.get("source_id") for vals in vals_list]),
            "medium_id": ("int4", [vals.get("medium_id") for vals in vals_list]),
            "sender_id": ("int4", [vals.get("sender_id") for vals in vals_list]),
        }
        self.flush_model()
        self.env.cr.execute(SQL("""
            INSERT INTO lead_engagement_event (%(columns)s, create_uid, create_date, write_uid, write_date)
                 SELECT *, %(uid)s, %(now)s, %(uid)s, %(now)s FROM unnest(%(arrays)s)
                ON CONFLICT (COALESCE(company_id, 0), COALESCE(sender_id, 0), type_id, external_id)
                   WHERE external_id IS NOT NULL DO NOTHING
             RETURNING id, lead_id
        """, columns=SQL(", ").join(SQL.identifier(column) for column in columns), uid=self.env.uid, now=now,
            arrays=SQL(", ").join(SQL(f"%s::{kind}[]", values) for kind, values in columns.values())))
        rows = self.env.cr.fetchall()
        events = self.browse(sorted(event_id for event_id, _lead_id in rows))
        Lead = self.env["crm.lead"]
        Lead.invalidate_model(["engagement_event_ids"])
        if events:
            events._events_recorded(Lead.browse(sorted({lead_id for _event_id, lead_id in rows})))
        return events

    @api.model
    def _utm_record_id(self, model_name, value, found):
        """Id of the UTM record ``value`` names: a record, an id, or a name found (case-insensitive) or created
        as crm's utm.mixin does. ``found`` caches names within one call."""
        if isinstance(value, models.BaseModel):
            return value.id
        if isinstance(value, int):
            return value
        if not isinstance(value, str) or not value.strip():
            raise ValidationError(self.env._(
                "“%(value)s” is not a %(model)s: give a record, an id or a name.",
                value=value, model=self.env[model_name]._description))
        key = (model_name, value.strip().lower())
        if key not in found:
            found[key] = self._utm_find_or_create(model_name, value).id
        return found[key]

    @api.model
    def _utm_find_or_create(self, model_name, name):
        """utm.mixin's ``_find_or_create_record``, with the name taken literally: there, a name is a pattern of
        ``=ilike`` ("50%" finds "50 shades", a trailing backslash is an SQL error)."""
        Model = self.env[model_name]
        name = name.strip()
        pattern = re.sub(r"([\\%_])", r"\\\1", name)
        record = Model.with_context(active_test=False).search([("name", "=ilike", pattern)], limit=1)
        if not record:
            values = {"name": name}
            if "is_auto_campaign" in Model._fields:
                values["is_auto_campaign"] = True
            record = Model.create(values)
        return record
