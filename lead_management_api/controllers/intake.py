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

from pydantic import ValidationError as PydanticValidationError
from werkzeug.exceptions import RequestEntityTooLarge

from odoo import http
from odoo.http import request

from .. import schemas
from ..models.lead_intake import CONCURRENCY_ERRORS
from ..models.lead_intake_batch import KEEP_DAYS
from ..models.res_users_apikeys_description import INTAKE_GROUP

_logger = logging.getLogger(__name__)

MAX_TRIES = 5  # tries of an item that meets concurrent requests (CONCURRENCY_ERRORS) before it answers 409
DEFAULT_LIMITS = {"max_batch_items": 100, "max_queued_items": 10000, "max_body_kb": 1024, "rate_limit": 600}
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

    @http.route(f"{schemas.PREFIX}/batches/<int:batch_id>", type="http", auth="none", methods=["GET"],
                readonly=False, save_session=False)  # not read-only: the rate limit counts the request
    def intake_batch(self, batch_id, **_params):
        """A queued batch of the caller's (Prefer: respond-async): its progress and each item's answer."""
        return self._guarded(lambda: self._batch_status(batch_id))

    @http.route(f"{schemas.PREFIX}/openapi.json", type="http", auth="none", methods=["GET"], save_session=False)
    def intake_openapi(self, **_params):
        limits = _limits()
        document = schemas.openapi_document(
            server_url=request.httprequest.host_url.rstrip("/"),
            limits={key: limits[key]
                    for key in ("max_body_bytes", "max_batch_items", "max_queued_items", "rate_limit")})
        return request.make_json_response(document)

    # ------------------------------------------------------------
    # REQUEST
    # ------------------------------------------------------------

    def _guarded(self, answer):
        """The response ``answer()`` makes; a Reply it raises is answered with its status and errors, anything else
        with a 500 (a bug, not the client's doing: logged with its traceback, answered in JSON)."""
        try:
            return answer()
        except Reply as reply:
            self._log_client_error(reply.status, reply.errors)
            return request.make_json_response({"errors": reply.errors}, status=reply.status, headers=reply.headers)
        except Exception:
            _logger.exception("Lead intake: unexpected error on %s", request.httprequest.path)
            return request.make_json_response(
                {"errors": {"server": "Unexpected server error; it was logged. Try again later."}}, status=500)

    def _serve(self, kind, batch):
        return self._guarded(lambda: self._handle(kind, batch))

    def _handle(self, kind, batch):
        limits = _limits()
        key_id = self._authenticate()
        self._throttle(key_id, limits)
        body = self._read_json(limits)
        if not batch:
            status, payload = self._process(kind, body)
            if status >= 400:
                self._log_client_error(status, payload["errors"])
            return request.make_json_response(payload, status=status)
        queued = self._respond_async()
        items = self._batch_items(kind, body, limits, queued)
        if queued:
            Batch = request.env["lead.intake.batch"]
            waiting = Batch._intake_waiting()
            if waiting + len(items) > limits["max_queued_items"]:
                raise Reply(429, {"items": request.env._(
                    "%(waiting)s items of your queued batches still wait, and at most %(max)s may: send these "
                    "once they are done (GET their batches).", waiting=waiting, max=limits["max_queued_items"])},
                    {"Retry-After": "60"})
            status = Batch._intake_queue(kind, items, key_id)._intake_status(results=False)
            return request.make_json_response(status, status=202, headers={
                "Location": f"{schemas.PREFIX}/batches/{status['batch']['id']}",
                "Preference-Applied": "respond-async"})
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

    def _batch_status(self, batch_id):
        self._throttle(self._authenticate(), _limits())
        batch = request.env["lead.intake.batch"].sudo().search(
            [("id", "=", batch_id), ("user_id", "=", request.env.uid)])
        if not batch:  # another sender's batch answers as one that does not exist
            raise Reply(404, {"batch": request.env._(
                "You sent no queued batch %(batch)s (a batch is kept %(days)s days after its last answer).",
                batch=batch_id, days=KEEP_DAYS)})
        return request.make_json_response(batch._intake_status())

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
        if not request.env.user.has_group(INTAKE_GROUP):
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

    def _respond_async(self):
        """Whether the client asked for the batch to be done later (RFC 7240: ``Prefer: respond-async``)."""
        header = request.httprequest.headers.get("Prefer", "")
        # Preferences are separated by commas; each is a token, with a value after "=" and parameters after ";".
        return "respond-async" in {preference.split(";")[0].split("=")[0].strip().lower()
                                   for preference in header.split(",")}

    def _batch_items(self, kind, body, limits, queued=False):
        envelope = schemas.LeadBatchIn if kind == "lead" else schemas.EventBatchIn
        try:
            items = envelope.model_validate(body).items
        except PydanticValidationError as error:
            raise Reply(400, request.env["lead.intake"]._intake_errors(error)) from error
        limit = limits["max_queued_items" if queued else "max_batch_items"]
        if len(items) > limit:
            if queued:
                message = request.env._(
                    "At most %(max)s items per queued batch (%(count)s sent): split them over several requests.",
                    max=limit, count=len(items))
            else:
                message = request.env._(
                    "At most %(max)s items per batch (%(count)s sent): split them over several requests, or send them "
                    "with the header “Prefer: respond-async” (up to %(queued)s items, done in the background).",
                    max=limit, count=len(items), queued=limits["max_queued_items"])
            raise Reply(413, {"items": message})
        return items

    # ------------------------------------------------------------
    # ONE ITEM, ONE TRANSACTION
    # ------------------------------------------------------------

    def _process(self, kind, data):
        """(status, answer) for one item: validated, then done in its own transaction, committed alone."""
        intake = request.env["lead.intake"]
        values, errors = intake._intake_validate(kind, data)
        if errors:
            return 400, {"errors": errors}
        keys = intake._intake_lock_keys(kind, values)
        try:
            intake._intake_lock(keys)
            return self._process_locked(intake, kind, values)
        finally:
            intake._intake_unlock(keys)

    def _process_locked(self, intake, kind, values):
        """The item's transaction: it starts after the lock's commit, so a rollback undoes this item only."""
        env = intake.env
        for attempt in range(1, MAX_TRIES + 1):
            try:
                status, answer = intake._intake_do(kind, values)
                env.cr.commit()
                return status, answer
            except CONCURRENCY_ERRORS as error:
                intake._intake_rollback()
                _logger.info("Lead intake: %s on attempt %s, trying again", type(error).__name__, attempt)
                time.sleep(random.uniform(0, 0.02 * 2 ** attempt))
            except Exception as error:
                intake._intake_rollback()  # nothing of the item stays, whatever went wrong
                refusal = intake._intake_refusal(error, request.httprequest.path)
                if refusal is None:
                    raise
                return 400, refusal
        return 409, {"errors": {"external_id": env._(
            "Concurrent requests with this external id kept conflicting: send it again.")}}

    # ------------------------------------------------------------
    # ERRORS
    # ------------------------------------------------------------

    def _log_client_error(self, status, errors):
        """A client's mistake: one warning line, no traceback (it is not a server problem)."""
        _logger.warning("Lead intake %s %s by %s: %s %s", request.httprequest.method, request.httprequest.path,
                        request.env.user.login if request.env.uid else "anonymous", status,
                        json.dumps(errors, ensure_ascii=False)[:500])
