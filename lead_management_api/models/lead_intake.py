# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import hashlib
import logging

import psycopg2
from psycopg2 import errors as pg_errors
from pydantic import ValidationError as PydanticValidationError

from odoo import api, models, tools
from odoo.exceptions import UserError
from odoo.osv import expression
from odoo.tools import SQL, email_normalize, email_split, plaintext2html

from .. import schemas

_logger = logging.getLogger(__name__)

# A concurrent request committed the same external id (unique violation), or touched the same rows: the item is
# tried again in a new transaction, where the other request's work is visible.
CONCURRENCY_ERRORS = (pg_errors.SerializationFailure, pg_errors.UniqueViolation, pg_errors.DeadlockDetected,
                      pg_errors.LockNotAvailable)
MAX_ERRORS = 50  # errors listed per item: a body with 100,000 unknown keys gets 50 of them and a count


class IntakeError(Exception):
    """What the client sent cannot be taken: ``errors`` maps each field to what is wrong and how to fix it."""

    def __init__(self, errors):
        super().__init__(errors)
        self.errors = errors


class LeadIntake(models.AbstractModel):
    """Leads and engagement events from marketing tools, one item at a time (the controller gives each its own
    transaction). Runs as the API user, who may read no lead: what it creates and finds, it does as superuser,
    in the user's company, and the API user never becomes anyone's salesperson."""

    _name = "lead.intake"
    _description = "Lead Intake"

    # ------------------------------------------------------------
    # ONE ITEM
    # ------------------------------------------------------------

    @api.model
    def _intake_validate(self, kind, data):
        """(values, None) for an item (a dict as sent) that its schema takes, else (None, {field: message})."""
        schema = schemas.LeadIn if kind == "lead" else schemas.EventIn
        try:
            return schema.model_validate(data).model_dump(), None
        except PydanticValidationError as error:
            return None, self._intake_errors(error)

    @api.model
    def _intake_do(self, kind, values):
        """(201 or 200, answer) of one validated item, done in the current transaction. Raises IntakeError, or what
        the database or the data model refused (_intake_refusal answers it)."""
        return self._intake_lead(values) if kind == "lead" else self._intake_event(values)

    @api.model
    def _intake_refusal(self, error, where):
        """The 400 answer of ``error``, raised by an item's work (_intake_do) and rolled back, else None (not the
        client's doing). ``where`` names the route or batch in the log."""
        if isinstance(error, IntakeError):
            return {"errors": error.errors}
        if isinstance(error, UserError):  # a rule of the data model refused what was sent (ValidationError too)
            return {"errors": {"body": str(error.args[0])[:500]}}
        if isinstance(error, psycopg2.DataError):
            # A last resort: values are checked before they reach the database. The database's text names tables
            # and columns: logged here, never answered.
            _logger.warning("Lead intake %s by %s: the database refused a value: %s", where, self.env.user.login,
                            str(error).strip()[:500])
            return {"errors": {"body": self.env._(
                "A value could not be stored: check each field against /lead_management/v1/openapi.json "
                "(lengths, formats, dates), or contact the administrator of this server.")}}
        return None

    @api.model
    def _intake_lock(self, keys):
        """Hold ``keys`` (_intake_lock_keys) across transactions, then commit: a concurrent request or batch with the
        same keys waits, then starts a transaction that sees what this one committed (a replay answers 200, a
        duplicate is found), without a conflict to retry. Released by _intake_unlock."""
        # This transaction holds the lock (and a request's rate-limit count): nothing that must survive a crash, so
        # its commit does not wait for the disk (the item's own transaction commits as usual).
        self.env.cr.execute(SQL("""
            SELECT set_config('synchronous_commit', 'off', true), pg_advisory_lock(key)
              FROM (SELECT unnest(%s::bigint[]) AS key ORDER BY 1) AS keys
        """, keys))
        self.env["crm.lead"]._lead_management_commit()

    @api.model
    def _intake_unlock(self, keys):
        query = SQL("SELECT pg_advisory_unlock(key) FROM unnest(%s::bigint[]) AS key", keys)
        try:
            self.env.cr.execute(query)
        except psycopg2.Error:  # the transaction failed: the locks are the connection's, released all the same
            self._intake_rollback()
            self.env.cr.execute(query)

    @api.model
    def _intake_rollback(self):
        """Undo the transaction and what the environment and the registry hold of it (an item that failed)."""
        self.env.cr.rollback()
        self.env.reset()
        self.env.registry.reset_changes()

    @api.model
    def _intake_errors(self, error):
        """{field: message} from a pydantic ValidationError: every bad field at once, in the API user's language."""
        _ = self.env._
        iso_datetime = _("Must be an ISO 8601 date and time, e.g. 2026-03-01T09:30:00Z.")
        messages = {
            "missing": lambda err: _("This field is required."),
            "extra_forbidden": lambda err: _("Unknown field: remove it (see /lead_management/v1/openapi.json)."),
            "string_type": lambda err: _("Must be a string."),
            "string_unicode": lambda err: _("Must be valid Unicode text."),
            "string_too_long": lambda err: _("At most %s characters.", err["ctx"]["max_length"]),
            "string_too_short": lambda err: _("Must not be empty."),
            "string_pattern_mismatch": lambda err: _("Must be two letters (ISO 3166-1), e.g. BE, FR, US."),
            "bool_type": lambda err: _("Must be true or false."),
            "datetime_from_date_parsing": lambda err: iso_datetime,
            "datetime_parsing": lambda err: iso_datetime,
            "datetime_type": lambda err: iso_datetime,
            "date_in_future": lambda err: _("Must not be in the future."),
            "date_out_of_range": lambda err: _("Must be from 1970-01-01 (UTC), and not in the future."),
            "model_type": lambda err: _("Must be a JSON object."),
            "dict_type": lambda err: _("Must be a JSON object."),
            "list_type": lambda err: _("Must be a list."),
            "too_short": lambda err: _("Must not be empty."),
            "contact_missing": lambda err: _("Give an e-mail address or a phone number."),
            "lead_missing": lambda err: _("Give the lead: lead_external_id, or lead_email."),
        }
        fields_of = {"contact_missing": "email", "lead_missing": "lead_external_id"}
        errors = {}
        details = error.errors(include_url=False, include_input=False)
        for err in details[:MAX_ERRORS]:
            field = ".".join(str(part) for part in err["loc"])[:100] or fields_of.get(err["type"], "body")
            if err["type"] in messages:
                message = messages[err["type"]](err)
            else:
                message = err["msg"].removeprefix("Value error, ")
                message = message[:1].upper() + message[1:]
            errors.setdefault(field, message)
        if len(details) > MAX_ERRORS:
            errors["body"] = _("%s more errors not listed: fix these first.", len(details) - MAX_ERRORS)
        return errors

    @api.model
    def _intake_lead(self, data):
        """(201 or 200, answer) for a validated LeadIn ``data`` (a dict). Raises IntakeError.

        The sender (the API user) sees its own external ids only, and only what it sent: a lead that duplicates one
        it did not send is merged (or flagged) as the company's policy says, but answered as the new lead it was,
        so that no answer tells whether someone else already had this person."""
        company = self.env.company
        Reference = self.env["lead.intake.reference"].sudo()
        known = Reference.search([("company_id", "=", company.id), ("user_id", "=", self.env.uid),
                                  ("external_id", "=", data["external_id"])], limit=1)
        if known:
            return 200, self._lead_answer(known)
        values = self._intake_lead_values(data, company)
        # Odoo's own keys: the API user does not follow every lead it sends, and no generic "Lead created" note is
        # logged: the lead's lifecycle history and intake reference say when, by which API user and with which
        # external id it arrived, and a lead merged at once leaves crm's merge summary instead of a stray note.
        lead = self.env["crm.lead"].sudo().with_context(mail_create_nosubscribe=True, mail_create_nolog=True).create(
            values)
        # The answer is a receipt: what this request made of what the sender sent, kept on the reference and
        # answered again to every replay. It never shows what became of the lead since (events, other senders,
        # users), so that no answer tells whether someone else had this person: a lead the sender sent alone and
        # one merged into another sender's lead answer alike, now and later.
        told = Reference._answer_values(lead)
        sent = {"email_normalized": email_normalize(data.get("email") or ""), "phone_sanitized": lead.phone_sanitized}
        merged = withheld = False
        original = lead.duplicate_of_id
        # The sender's own lead for this person, if it sent one, found by what the sender sent: the receipt names
        # it as the policy says (merged into it, or flagged as its duplicate), whatever Odoo found among what others
        # sent, and whether or not that lead was merged with theirs since.
        own = self._intake_own_reference(sent, company)
        if original and company.lead_duplicate_policy == "merge":
            withheld = not self._intake_sent_leads(original)
            merged_into = lead._duplicate_merge().get(lead.id)
            if merged_into:
                lead, merged = merged_into, True
            else:
                withheld = False
        if own and company.lead_duplicate_policy == "merge":
            told.update(answer_lead_id=own.answer_lead_id, answer_merged_into=own.answer_lead_id)
        elif own:
            told["answer_duplicate_of"] = own.answer_lead_id
        reference = Reference.create({
            "lead_id": lead.id, "company_id": company.id, "user_id": self.env.uid, "external_id": data["external_id"],
            "merged": merged, "lead_withheld": withheld, **sent, **told,
        })
        return 201, self._lead_answer(reference)

    @api.model
    def _intake_event(self, data):
        """(201 or 200, answer) for a validated EventIn ``data`` (a dict). Raises IntakeError."""
        company = self.env.company
        errors = {}
        event_type = self.env["lead.engagement.type"].sudo()._get_by_code(data["type"], company)
        if not event_type:
            codes = self.env["lead.engagement.type"].sudo().search(
                [("company_id", "in", [company.id, False])]).mapped("code")
            errors["type"] = self.env._("Unknown engagement type “%(type)s”: use one of %(codes)s.",
                                        type=data["type"], codes=", ".join(sorted(set(codes))))
        Event = self.env["lead.engagement.event"].sudo()
        if event_type:
            known = Event.search([("company_id", "in", [company.id, False]), ("sender_id", "=", self.env.uid),
                                  ("type_id", "=", event_type.id), ("external_id", "=", data["external_id"])],
                                 limit=1)
            if known:
                return 200, self._event_answer(known)
        lead = self._intake_find_lead(data, company, errors)
        if errors:
            raise IntakeError(errors)
        utm = self._intake_utm(data)
        events = Event._record_events([{
            "lead_id": lead.id, "type": event_type, "date": data.get("date"), "external_id": data["external_id"],
            "note": data.get("note"), "campaign": utm.get("campaign_id"), "source": utm.get("source_id"),
            "medium": utm.get("medium_id"), "sender": self.env.uid,
        }])
        return 201, self._event_answer(events)

    @api.model
    def _intake_lock_keys(self, kind, data):
        """Advisory lock keys (64-bit integers) of an item: its external id, and for a lead the normalised e-mail and
        number it will be found by, so that concurrent requests for one person are done one after the other."""
        company = self.env.company
        names = [f"{kind}:{company.id}:{self.env.uid}:{data.get('type', '')}:{data['external_id']}"]
        if kind == "lead":
            email = email_normalize(data.get("email") or "")
            if email:
                names.append(f"email:{company.id}:{email}")
            if data.get("phone"):
                country = self.env["res.country"].browse(self._intake_country_id(data.get("country_code")))
                number = self.env["crm.lead"]._phone_format(number=data["phone"], country=country or company.country_id)
                if number:
                    names.append(f"phone:{company.id}:{number}")
        return sorted({int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big", signed=True)
                       for name in names})

    # ------------------------------------------------------------
    # HELPERS
    # ------------------------------------------------------------

    @api.model
    @tools.ormcache("code")
    def _intake_country_id(self, code):
        """Id of the country of ISO code ``code`` (any case), else None. Countries are data that hardly change:
        cached, one query less per lead."""
        if not code:
            return None
        return self.env["res.country"].sudo().search([("code", "=", code.upper())], limit=1).id or None

    @api.model
    def _intake_lead_values(self, data, company):
        country = self.env["res.country"].browse(self._intake_country_id(data.get("country_code")))
        if data.get("country_code"):
            if not country:
                raise IntakeError({"country_code": self.env._(
                    "Unknown country code “%s”: send the two letters of ISO 3166-1, e.g. BE, FR, US.",
                    data["country_code"])})
        consent = {True: "given", False: "refused"}.get(data.get("consent"), False)
        return {
            "name": data.get("name") or data.get("company") or data.get("contact_name") or data.get("email")
                    or data.get("phone"),
            "type": "lead",
            "user_id": False,  # never the API user
            "company_id": company.id,
            "team_id": company.lead_intake_team_id.id,
            "contact_name": data.get("contact_name"),
            "partner_name": data.get("company"),
            "email_from": data.get("email"),
            "phone": data.get("phone"),
            "country_id": country.id,
            "description": data.get("notes") and plaintext2html(data["notes"]),
            "marketing_consent": consent,
            **self._intake_utm(data),
        }

    @api.model
    def _intake_utm(self, data):
        """campaign_id, source_id, medium_id from the names sent (found case-insensitively, else created)."""
        Event = self.env["lead.engagement.event"].sudo()
        values = {}
        for key, fname, model in (("campaign", "campaign_id", "utm.campaign"), ("source", "source_id", "utm.source"),
                                  ("medium", "medium_id", "utm.medium")):
            if data.get(key):
                values[fname] = Event._utm_find_or_create(model, data[key]).id
        return values

    @api.model
    def _intake_find_lead(self, data, company, errors):
        """The lead an event names, among those this sender sent (references follow merges): by its external id,
        else by the e-mail address it was sent with (the most recent lead sent with it). Another sender's lead, or
        one made in Odoo, is never found: the error is the same as for an address nobody sent."""
        Reference = self.env["lead.intake.reference"].sudo()
        mine = [("company_id", "=", company.id), ("user_id", "=", self.env.uid)]
        if data.get("lead_external_id"):
            reference = Reference.search(mine + [("external_id", "=", data["lead_external_id"])], limit=1)
            if not reference:
                errors["lead_external_id"] = self.env._(
                    "No lead was received from you with external id “%s”: send the lead first (POST leads), or name "
                    "it by lead_email.", data["lead_external_id"])
            return reference.lead_id
        email = len(email_split(data["lead_email"])) == 1 and email_normalize(data["lead_email"])
        if not email:
            errors["lead_email"] = self.env._("Give one e-mail address.")
            return Reference.lead_id
        reference = Reference.search(mine + [("email_normalized", "=", email)], limit=1)
        if not reference:
            errors["lead_email"] = self.env._(
                "No lead you sent has the e-mail address “%s”: send the lead first (POST leads).", data["lead_email"])
        return reference.lead_id

    @api.model
    def _intake_sent_leads(self, leads):
        """Those of ``leads`` this sender may see: it sent them (it holds a reference to them that is not
        withheld), whatever merged into them since."""
        if not leads:
            return leads
        return self.env["lead.intake.reference"].sudo().search_fetch(
            [("lead_id", "in", leads.ids), ("user_id", "=", self.env.uid), ("lead_withheld", "=", False)],
            ["lead_id"]).lead_id

    @api.model
    def _intake_own_reference(self, sent, company):
        """This sender's first reference, in ``company``, sent with the same e-mail address or phone number as
        ``sent`` ({email_normalized, phone_sanitized}), whose lead (its own, or the one it was merged into) is
        open: the sender's earlier lead for this person. Found from what the sender sent alone, so the same whether
        or not someone else also had the person; none when the company allows duplicates."""
        Reference = self.env["lead.intake.reference"].sudo()
        # Each condition only when there is a value (an empty one in an OR would match every reference).
        same = [[(fname, "=", sent[fname])] for fname in ("email_normalized", "phone_sanitized") if sent[fname]]
        if not same or company.lead_duplicate_policy == "allow":
            return Reference
        return Reference.search(expression.AND([expression.OR(same), [
            ("company_id", "=", company.id), ("user_id", "=", self.env.uid),
            ("lead_id.active", "=", True), ("lead_id.stage_id.is_won", "=", False),
        ]]), order="id", limit=1)

    @api.model
    def _lead_answer(self, reference):
        """The receipt of this sender's ``reference``: the lead as the request that sent it made it (its id, or that
        of the sender's own lead it merged into; stage, grade and score as created), the same to every replay. Another
        sender's lead, or one made in Odoo, is never named, and what became of the lead since never shows."""
        return {
            "id": reference.answer_lead_id,
            "external_id": reference.external_id,
            "lifecycle_stage": reference.answer_stage or None,
            "grade": reference.answer_grade or None,
            "score": reference.answer_score or 0,
            "merged_into": reference.answer_merged_into or None,
            "duplicate_of": reference.answer_duplicate_of or None,
        }

    @api.model
    def _event_answer(self, event):
        # The lead through this sender's first reference to it, as that reference's receipt tells it.
        reference = self.env["lead.intake.reference"].sudo().search(
            [("lead_id", "=", event.lead_id.id), ("user_id", "=", self.env.uid)], order="id", limit=1)
        if reference:
            lead_answer = dict(self._lead_answer(reference), merged_into=None)
        else:  # no reference of this sender leads there (events of the API always have one): nothing of the lead
            lead_answer = {"id": 0, "external_id": None, "lifecycle_stage": None, "grade": None, "score": 0,
                           "merged_into": None, "duplicate_of": None}
        return {
            "id": event.id,
            "external_id": event.external_id,
            "type": event.type_id.code,
            "lead": lead_answer,
        }
