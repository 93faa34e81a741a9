# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The intake API: plain Odoo HTTP routes, bodies validated by the pydantic models of ``schemas``.

The controller parses, authenticates, limits and gives each item its own transaction; ``lead.intake`` does the
work. Whatever a client sends gets a JSON answer with a 2xx or 4xx status: 400 (``{"errors": {field:
message}}``), 401, 403, 411, 413, 415, 429, or 409 when one external id keeps colliding with concurrent requests.
Client errors are logged as one warning line, without traceback."""
import json
import logging
import random
import time

import psycopg2
from psycopg2 import errors as pg_errors
from pydantic import ValidationError as PydanticValidationError
from werkzeug.exceptions import RequestEntityTooLarge

from odoo import http
from odoo.exceptions import UserError
from odoo.http import request
from odoo.tools import SQL

from .. import schemas
from ..models.lead_intake import IntakeError

_logger = logging.getLogger(__name__)

# A concurrent request committed the same external id (unique violation), or touched the same rows: the item is
# tried again in a new transaction, where the other request's work is visible (and answers 200).
CONCURRENCY_ERRORS = (pg_errors.SerializationFailure, pg_errors.UniqueViolation, pg_errors.DeadlockDetected,
                      pg_errors.LockNotAvailable)
MAX_TRIES = 5
MAX_ERRORS = 50  # errors listed per item: a body with 100,000 unknown keys gets 50 of them and a count
DEFAULT_LIMITS = {"max_batch_items": 100, "max_body_kb": 1024, "rate_limit": 600}
GROUP = "lead_management.group_lead_intake"
# The charsets a JSON body may declare (RFC 8259: UTF-8; RFC 7159 also allowed UTF-16 and UTF-32), each with the
# codec that reads it: linear, built into Python. Any other charset is refused before the body is read, so no
# client chooses the codec that decodes it (punycode, for one, is quadratic).
JSON_CHARSETS = {
    "utf-8": "utf-8-sig", "utf8": "utf-8-sig",  # a leading BOM is ignored, as RFC 8259 allows
    "utf-16": "utf-16", "utf-16le": "utf-16-le", "utf-16be": "utf-16-be",
    "utf-32": "utf-32", "utf-32le": "utf-32-le", "utf-32be": "utf-32-be",
}


class Reply(Exception):
    """Stop here and answer ``status`` with ``{"errors": errors}``."""

    def __init__(self, status, errors, headers=None):
        super().__init__(status, errors)
        self.status = status
        self.errors = errors
        self.headers = headers or {}


def _limits():
    params = request.env["ir.config_parameter"].sudo()
    limits = {}
    for key, default in DEFAULT_LIMITS.items():
        try:
            limits[key] = max(0, int(params.get_param(f"lead_management_api.{key}", default)))
        except (TypeError, ValueError):
            limits[key] = default
    limits["max_body_bytes"] = limits["max_body_kb"] * 1024
    return limits


class LeadIntakeController(http.Controller):

    @http.route(f"{schemas.PREFIX}/leads", type="http", auth="none", methods=["POST"], csrf=False,
                readonly=False, save_session=False)
    def intake_leads(self, **_params):
        return self._serve("lead", batch=False)

    @http.route(f"{schemas.PREFIX}/leads/batch", type="http", auth="none", methods=["POST"], csrf=False,
                readonly=False, save_session=False)
    def intake_leads_batch(self, **_params):
        return self._serve("lead", batch=True)

    @http.route(f"{schemas.PREFIX}/events", type="http", auth="none", methods=["POST"], csrf=False,
                readonly=False, save_session=False)
    def intake_events(self, **_params):
        return self._serve("event", batch=False)

    @http.route(f"{schemas.PREFIX}/events/batch", type="http", auth="none", methods=["POST"], csrf=False,
                readonly=False, save_session=False)
    def intake_events_batch(self, **_params):
        return self._serve("event", batch=True)

    @http.route(f"{schemas.PREFIX}/openapi.json", type="http", auth="none", methods=["GET"], save_session=False)
    def intake_openapi(self, **_params):
        limits = _limits()
        document = schemas.openapi_document(
            server_url=request.httprequest.host_url.rstrip("/"),
            limits={key: limits[key] for key in ("max_body_bytes", "max_batch_items", "rate_limit")})
        return request.make_json_response(document)

    # ------------------------------------------------------------
    # REQUEST
    # ------------------------------------------------------------

    def _serve(self, kind, batch):
        try:
            limits = _limits()
            key_id = self._authenticate()
            self._throttle(key_id, limits)
            body = self._read_json(limits)
            if not batch:
                status, payload = self._process(kind, body)
                if status >= 400:
                    self._log_client_error(status, payload["errors"])
                return request.make_json_response(payload, status=status)
            items = self._batch_items(kind, body, limits)
            results = []
            for item in items:
                status, payload = self._process(kind, item)
                result = {"status": status}
                result.update(payload if status >= 400 else {kind: payload})
                results.append(result)
            refused = [result for result in results if result["status"] >= 400]
            if refused:
                self._log_client_error(200, {"items": f"{len(refused)} of {len(results)} refused, first: "
                                                      f"{json.dumps(refused[0].get('errors'))[:300]}"})
            return request.make_json_response({"results": results})
        except Reply as reply:
            self._log_client_error(reply.status, reply.errors)
            return request.make_json_response({"errors": reply.errors}, status=reply.status, headers=reply.headers)
        except Exception:
            # Not the client's doing: a bug. Logged with its traceback, answered in JSON.
            _logger.exception("Lead intake: unexpected error on %s", request.httprequest.path)
            return request.make_json_response(
                {"errors": {"server": "Unexpected server error; it was logged. Try again later."}}, status=500)

    def _authenticate(self):
        _ = request.env._
        header = request.httprequest.headers.get("Authorization", "")
        scheme, _sep, key = header.strip().partition(" ")
        if scheme.lower() != "bearer" or not key.strip():
            raise Reply(401, {"authorization": _(
                "Send an Odoo API key in the Authorization header: “Authorization: Bearer <key>”.")},
                {"WWW-Authenticate": 'Bearer realm="lead_management"'})
        found = request.env["res.users.apikeys"]._lead_intake_authenticate(key.strip())
        if not found:
            raise Reply(401, {"authorization": _(
                "This API key is invalid, expired or revoked, or not an intake key: an administrator makes one on "
                "the API user's form (Settings > Users > Account Security > New Intake API Key).")},
                {"WWW-Authenticate": 'Bearer realm="lead_management", error="invalid_token"'})
        key_id, uid, lang = found
        # The API user's language for the messages of the answer (read with the key: no second query).
        request.update_env(user=uid, context=dict(request.env.context, lang=lang or "en_US"))
        if not request.env.user.has_group(GROUP):
            raise Reply(403, {"authorization": request.env._(
                "The user of this API key is not in the “Lead Intake (API)” group: add it in Settings > Users, or use "
                "the key of an intake user.")})
        return key_id

    def _throttle(self, key_id, limits):
        wait = request.env["lead.intake.hit"].sudo()._lead_intake_throttle(key_id, limits["rate_limit"])
        if wait:
            raise Reply(429, {"rate_limit": request.env._(
                "More than %(limit)s requests in a minute with this API key: wait %(wait)s seconds, or send batches.",
                limit=limits["rate_limit"], wait=wait)}, {"Retry-After": str(wait)})

    def _read_json(self, limits):
        _ = request.env._
        httprequest = request.httprequest
        if httprequest.mimetype != "application/json":
            raise Reply(415, {"body": _("Send the body as JSON, with the header “Content-Type: application/json”.")})
        charset = (httprequest.mimetype_params.get("charset") or "utf-8").strip().lower()
        if charset not in JSON_CHARSETS:
            raise Reply(415, {"charset": _(
                "The charset “%s” is not taken: send the body as UTF-8 (“Content-Type: application/json; "
                "charset=utf-8”, or no charset).", charset[:50])})
        limit = limits["max_body_bytes"]
        if httprequest.content_length is None:
            # A chunked body would be read whole before its size is known.
            raise Reply(411, {"body": _("Send the body with a Content-Length header (not chunked).")})
        too_large = Reply(413, {"body": _("The body is larger than %s bytes: send fewer items per request.", limit)})
        if httprequest.content_length > limit:
            raise too_large
        try:
            raw = httprequest.get_data(cache=False)
        except RequestEntityTooLarge as error:
            raise too_large from error
        try:
            body = json.loads(self._decode(raw, charset))
        except UnicodeDecodeError as error:
            raise Reply(400, {"body": _(
                "The body is not valid JSON: byte %(position)s is not %(charset)s.",
                charset=charset.upper(), position=error.start)}) from error
        except (ValueError, RecursionError) as error:
            raise Reply(400, {"body": _("The body is not valid JSON: %s", str(error)[:200])}) from error
        if not isinstance(body, dict):
            raise Reply(400, {"body": _("The body must be a JSON object.")})
        return body

    def _decode(self, raw, charset):
        """The text of ``raw`` in ``charset`` (one of JSON_CHARSETS). UTF-16 or UTF-32 without a byte order mark
        is read in the byte order its first character shows (JSON text starts with an ASCII character), else
        big-endian (RFC 2781); a byte order mark that matches the declared order is dropped."""
        codec = JSON_CHARSETS[charset]
        if codec in ("utf-16", "utf-32"):
            detected = json.detect_encoding(raw)
            codec = detected if detected.startswith(codec) else f"{codec}-be"
        return raw.decode(codec).removeprefix("\ufeff")

    def _batch_items(self, kind, body, limits):
        envelope = schemas.LeadBatchIn if kind == "lead" else schemas.EventBatchIn
        try:
            items = envelope.model_validate(body).items
        except PydanticValidationError as error:
            raise Reply(400, self._pydantic_errors(error)) from error
        if len(items) > limits["max_batch_items"]:
            raise Reply(413, {"items": request.env._(
                "At most %(max)s items per batch (%(count)s sent): split them over several requests.",
                max=limits["max_batch_items"], count=len(items))})
        return items

    # ------------------------------------------------------------
    # ONE ITEM, ONE TRANSACTION
    # ------------------------------------------------------------

    def _process(self, kind, data):
        """(status, answer) for one item: validated, then done in its own transaction, committed alone."""
        schema = schemas.LeadIn if kind == "lead" else schemas.EventIn
        try:
            values = schema.model_validate(data).model_dump()
        except PydanticValidationError as error:
            return 400, {"errors": self._pydantic_errors(error)}
        env = request.env
        keys = env["lead.intake"]._intake_lock_keys(kind, values)
        self._lock(env, keys)
        try:
            return self._process_locked(env, kind, values)
        finally:
            self._unlock(env, keys)

    def _process_locked(self, env, kind, values):
        """The item's transaction: it starts after the lock's commit, so a rollback undoes this item only."""
        for attempt in range(1, MAX_TRIES + 1):
            try:
                if kind == "lead":
                    status, answer = env["lead.intake"]._intake_lead(values)
                else:
                    status, answer = env["lead.intake"]._intake_event(values)
                env.cr.commit()
                return status, answer
            except IntakeError as error:
                self._rollback(env)
                return 400, {"errors": error.errors}
            except UserError as error:  # a rule of the data model refused what was sent (ValidationError too)
                self._rollback(env)
                return 400, {"errors": {"body": str(error.args[0])[:500]}}
            except psycopg2.DataError as error:
                # A last resort: values are checked before they reach the database. The database's text names
                # tables and columns: logged here, never answered.
                login = env.user.login
                self._rollback(env)
                _logger.warning("Lead intake %s by %s: the database refused a value: %s", request.httprequest.path,
                                login, str(error).strip()[:500])
                return 400, {"errors": {"body": env._(
                    "A value could not be stored: check each field against /lead_management/v1/openapi.json "
                    "(lengths, formats, dates), or contact the administrator of this server.")}}
            except CONCURRENCY_ERRORS as error:
                self._rollback(env)
                _logger.info("Lead intake: %s on attempt %s, trying again", type(error).__name__, attempt)
                time.sleep(random.uniform(0, 0.02 * 2 ** attempt))
            except Exception:
                self._rollback(env)  # nothing of the item stays, whatever went wrong
                raise
        return 409, {"errors": {"external_id": env._(
            "Concurrent requests with this external id kept conflicting: send it again.")}}

    def _lock(self, env, keys):
        """Hold the item's keys (its external id; for a lead also its e-mail and number) across transactions: a
        concurrent request with the same keys waits, then starts a transaction that sees what this one committed
        (a replay answers 200, a duplicate is found), without a conflict to retry."""
        # This transaction holds the lock and the rate-limit count: nothing that must survive a crash, so its
        # commit does not wait for the disk (the item's own transaction commits as usual).
        env.cr.execute(SQL("""
            SELECT set_config('synchronous_commit', 'off', true), pg_advisory_lock(key)
              FROM (SELECT unnest(%s::bigint[]) AS key ORDER BY 1) AS keys
        """, keys))
        env.cr.commit()

    def _unlock(self, env, keys):
        query = SQL("SELECT pg_advisory_unlock(key) FROM unnest(%s::bigint[]) AS key", keys)
        try:
            env.cr.execute(query)
        except psycopg2.Error:
            self._rollback(env)
            env.cr.execute(query)

    def _rollback(self, env):
        env.cr.rollback()
        env.transaction.reset()
        env.registry.reset_changes()

    # ------------------------------------------------------------
    # ERRORS
    # ------------------------------------------------------------

    def _pydantic_errors(self, error):
        """{field: message} from a pydantic ValidationError: every bad field at once, in the API user's language."""
        _ = request.env._
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

    def _log_client_error(self, status, errors):
        """A client's mistake: one warning line, no traceback (it is not a server problem)."""
        _logger.warning("Lead intake %s %s by %s: %s %s", request.httprequest.method, request.httprequest.path,
                        request.env.user.login if request.env.uid else "anonymous", status,
                        json.dumps(errors, ensure_ascii=False)[:500])
