# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The intake API's bodies and answers as pydantic models: they validate what comes in, and their JSON schemas
are the components of the OpenAPI document (``openapi_document``), so the document cannot drift from what the
endpoints accept and answer."""
from datetime import datetime, timedelta, timezone
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StrictBool, model_validator
from pydantic.json_schema import models_json_schema
from pydantic_core import PydanticCustomError

API_VERSION = "1.2.0"
PREFIX = "/lead_management/v1"
CLOCK_SKEW = timedelta(minutes=5)
# The earliest date an event may have: before it a date is a client's placeholder (0001-01-01, a zero
# timestamp) rather than an engagement, and years 1 and 9999 with an offset do not even convert to UTC.
EARLIEST_DATE = datetime(1970, 1, 1)


def _clean_text(value):
    # PostgreSQL refuses NUL characters and lone surrogates cannot be encoded: a client error, not a crash.
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as error:
        raise ValueError("must be valid Unicode text") from error
    return value


def _require_string(value):
    if not isinstance(value, str):
        raise ValueError("must be a date and time as an ISO 8601 string, e.g. 2026-03-01T09:30:00Z")
    return value


def _to_utc(value):
    """Naive date-times are UTC; aware ones are converted (Odoo stores naive UTC). From EARLIEST_DATE, not in
    the future."""
    if value.tzinfo:
        try:
            value = value.astimezone(timezone.utc).replace(tzinfo=None)
        except OverflowError:  # 0001-01-01T00:00+05:00 is in year 0, 9999-12-31T23:59-05:00 in year 10000
            raise PydanticCustomError("date_out_of_range", "must be from 1970-01-01 (UTC)") from None
    if value < EARLIEST_DATE:
        raise PydanticCustomError("date_out_of_range", "must be from 1970-01-01 (UTC)")
    if value > datetime.now(timezone.utc).replace(tzinfo=None) + CLOCK_SKEW:
        raise PydanticCustomError("date_in_future", "must not be in the future")
    return value


def Text(max_length, min_length=None):  # a type, named like one
    return Annotated[str, Field(strict=True, min_length=min_length, max_length=max_length),
                     AfterValidator(_clean_text)]


ExternalId = Annotated[Text(255, min_length=1), Field(
    description="The sender's own id of this record (each API user has its own ids: another sender's same id is "
                "another record): sending it again answers 200 with the same record and "
                "creates nothing.", examples=["form-2026-000123"])]
UtcDatetime = Annotated[datetime, BeforeValidator(_require_string), AfterValidator(_to_utc)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


# ------------------------------------------------------------
# REQUESTS
# ------------------------------------------------------------

class LeadIn(_Body):
    """A person who showed interest, as a marketing tool (form, download, trial) sends them."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "external_id": "form-2026-000123", "contact_name": "Ada Lovelace", "company": "Analytical Engines Ltd",
        "email": "ada@engines.example.com", "phone": "+44 20 7946 0018", "country_code": "GB",
        "campaign": "Spring webinar", "source": "Newsletter", "medium": "Email",
        "notes": "Asked for a demo of the reporting module.", "consent": True}]})

    external_id: ExternalId
    name: Text(255) | None = Field(None, description="Title of the lead; by default the company, contact or e-mail.")
    contact_name: Text(255) | None = None
    company: Text(255) | None = Field(None, description="The person's company (crm's partner_name).")
    email: Text(320) | None = Field(None, description="Kept as sent; an invalid address is flagged, not refused.")
    phone: Text(64) | None = Field(None, description="Kept as sent and read with country_code (else the company's "
                                                     "country) into E.164; an invalid number is flagged, not refused.")
    country_code: Annotated[Text(2), Field(pattern="^[A-Za-z]{2}$", description="ISO 3166-1 alpha-2.")] | None = None
    campaign: Text(255) | None = Field(None, description="UTM campaign, by name (created when unknown).")
    source: Text(255) | None = Field(None, description="UTM source, by name (created when unknown).")
    medium: Text(255) | None = Field(None, description="UTM medium, by name (created when unknown).")
    notes: Text(10000) | None = None
    consent: StrictBool | None = Field(None, description="Whether the person agreed to marketing communication.")

    @model_validator(mode="after")
    def _check_contact(self):
        if not self.email and not self.phone:
            raise PydanticCustomError("contact_missing", "give an e-mail address or a phone number")
        return self


class EventIn(_Body):
    """An engagement of a known lead: a form fill, a download, a webinar, an e-mail click, a visit."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "external_id": "click-98765", "lead_external_id": "form-2026-000123", "type": "email_click",
        "date": "2026-03-01T09:30:00Z", "campaign": "Spring webinar"}]})

    external_id: ExternalId
    type: Text(64, min_length=1) = Field(description="Code of an engagement type: form_fill, download, webinar, "
                                                     "email_click, visit, or one an administrator added.")
    lead_external_id: Text(255) | None = Field(None, description="The lead, by the external_id it was sent with.")
    lead_email: Text(320) | None = Field(None, description=(
        "The lead, by e-mail address, when lead_external_id is not given: the lead this API user most recently sent "
        "with this address (found through merges). Leads of other senders or made in Odoo are not found: 400, as "
        "for an unknown address."))
    date: UtcDatetime | None = Field(None, description="When it happened (ISO 8601; UTC when no offset is given); "
                                                       "now by default. From 1970-01-01 (UTC), not in the future.")
    campaign: Text(255) | None = None
    source: Text(255) | None = None
    medium: Text(255) | None = None
    note: Text(1000) | None = None

    @model_validator(mode="after")
    def _check_lead(self):
        if not self.lead_external_id and not self.lead_email:
            raise PydanticCustomError("lead_missing", "give lead_external_id or lead_email")
        return self


class LeadBatchIn(_Body):
    items: list = Field(description="Leads as for POST /leads, each answered on its own.", min_length=1,
                        json_schema_extra={"items": {"$ref": "#/components/schemas/LeadIn"}})


class EventBatchIn(_Body):
    items: list = Field(description="Events as for POST /events, each answered on its own.", min_length=1,
                        json_schema_extra={"items": {"$ref": "#/components/schemas/EventIn"}})


# ------------------------------------------------------------
# ANSWERS
# ------------------------------------------------------------

class _Answer(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LeadOut(_Answer):
    """The receipt of a lead the API user sent: the lead as the request that sent it made it, answered the same to
    every replay and in the answers of its events. What became of the lead since (events, Odoo's users, merges with
    what other API users sent) never shows: follow the lead in Odoo. A merge with a lead this API user did not send
    is never told, and nothing of the other lead is shown."""

    id: int = Field(description="The lead: the id of this API user's own earlier lead for the same person when it was "
                                "merged into it; else the id the lead was created with.")
    external_id: str | None = Field(description="This API user's external id of the lead.")
    lifecycle_stage: str | None = Field(description="Code of the lifecycle stage: target, suspect, lead, …")
    grade: str | None = Field(description="Name of the grade (A–D by default).")
    score: int
    merged_into: int | None = Field(description="Set when the lead duplicated a lead this API user sent and was "
                                                "merged into it (Settings: Duplicate Leads = Merge).")
    duplicate_of: int | None = Field(description="Set when the lead was kept but flagged as a possible duplicate of a "
                                                 "lead this API user sent.")


class EventOut(_Answer):
    id: int
    external_id: str
    type: str
    lead: LeadOut = Field(description="The lead the event was recorded on, as its receipt tells it (LeadOut; "
                                      "merged_into null). The event is scored on the lead in Odoo.")


class Errors(_Answer):
    errors: dict[str, str] = Field(description="What is wrong, per field (or body, authorization, items), with "
                                               "how to fix it.")


class LeadItemResult(_Answer):
    status: Literal[200, 201, 400, 409]
    lead: LeadOut | None = None
    errors: dict[str, str] | None = None


class EventItemResult(_Answer):
    status: Literal[200, 201, 400, 409]
    event: EventOut | None = None
    errors: dict[str, str] | None = None


class LeadBatchOut(_Answer):
    results: list[LeadItemResult] = Field(description="One per item, in the order sent.")


class EventBatchOut(_Answer):
    results: list[EventItemResult] = Field(description="One per item, in the order sent.")


class BatchOut(_Answer):
    id: int = Field(description="The batch: GET /batches/{id} gives its answers.")
    kind: Literal["lead", "event"]
    status: Literal["queued", "done"] = Field(description="done: every item has its answer.")
    items: int = Field(description="Items sent.")
    done: int = Field(description="Items answered so far.")


class QueuedBatchOut(_Answer):
    batch: BatchOut


class QueuedItemResult(_Answer):
    status: Literal[200, 201, 400, 403, 409, 500] = Field(
        description="As in a batch answered at once; 403 when the key or its user lost the right to send before the "
                    "batch was done, 409 when concurrent work on the item's person kept conflicting, 500 for an item "
                    "a server error stopped (send it again).")
    lead: LeadOut | None = None
    event: EventOut | None = None
    errors: dict[str, str] | None = None


class BatchStatusOut(_Answer):
    batch: BatchOut
    results: list[QueuedItemResult | None] = Field(description="One per item, in the order sent: null while it waits.")


SCHEMAS = [LeadIn, EventIn, LeadBatchIn, EventBatchIn, LeadOut, EventOut, Errors, LeadItemResult, EventItemResult,
           LeadBatchOut, EventBatchOut, BatchOut, QueuedBatchOut, QueuedItemResult, BatchStatusOut]

# path: (summary, request schema, {status: (description, answer schema)})
RETRY_AFTER = {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait"}}
ERRORS_COMMON = {
    400: "Invalid body: malformed JSON, or fields that are missing, of the wrong type or unknown",
    401: "No API key, or an invalid, expired or revoked one, or a key that is not an intake key",
    403: "The key's user is not in the Lead Intake (API) group",
    411: "Body sent without a Content-Length header (chunked)",
    413: "Body larger than the configured size, or more items than the configured number",
    415: "Body not sent as application/json, or with a charset other than UTF-8 (or UTF-16, UTF-32): refused before "
         "it is read",
    429: "More requests than the configured rate for this key, or (a queued batch) more of the sender's items waiting "
         "than the configured number of queued items: wait Retry-After seconds",
}
ENDPOINTS = {
    "/leads": ("Create a lead (idempotent on external_id)", "LeadIn", {
        201: ("Created (or merged into an open lead with the same e-mail or phone)", "LeadOut"),
        200: ("Already received: the lead created the first time", "LeadOut"),
        409: ("The same external_id kept conflicting with concurrent requests: send it again", "Errors"),
    }),
    "/leads/batch": ("Create up to the configured number of leads, each in its own transaction; with the header "
                     "Prefer: respond-async, up to the configured number of queued items, in the background",
                     "LeadBatchIn", {
        200: ("One result per item (201, 200, 400 or 409), in the order sent", "LeadBatchOut"),
        202: ("Queued (Prefer: respond-async): the answers are read at the Location given, GET /batches/{id}",
              "QueuedBatchOut"),
    }),
    "/events": ("Record an engagement event of a lead (idempotent on type and external_id)", "EventIn", {
        201: ("Recorded; the lead is rescored", "EventOut"),
        200: ("Already recorded", "EventOut"),
        409: ("The same external_id kept conflicting with concurrent requests: send it again", "Errors"),
    }),
    "/events/batch": ("Record up to the configured number of events, each in its own transaction; with the header "
                      "Prefer: respond-async, up to the configured number of queued items, in the background",
                      "EventBatchIn", {
        200: ("One result per item (201, 200, 400 or 409), in the order sent", "EventBatchOut"),
        202: ("Queued (Prefer: respond-async): the answers are read at the Location given, GET /batches/{id}",
              "QueuedBatchOut"),
    }),
}


def openapi_document(server_url=None, limits=None):
    """The OpenAPI 3.1 document of the intake API, its schemas generated from the models above."""
    _mapping, definitions = models_json_schema([(model, "validation") for model in SCHEMAS],
                                               ref_template="#/components/schemas/{model}")
    limits = limits or {}
    paths = {}
    for path, (summary, request_schema, answers) in ENDPOINTS.items():
        responses = {
            str(status): {"description": description,
                          "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}}
            for status, (description, schema) in answers.items()
        }
        for status, description in ERRORS_COMMON.items():
            responses[str(status)] = {
                "description": description,
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Errors"}}}}
        responses["429"]["headers"] = RETRY_AFTER
        if "202" in responses:
            responses["202"]["headers"] = {"Location": {"schema": {"type": "string"},
                                                        "description": "The batch's answers: GET it"}}
        paths[PREFIX + path] = {"post": {
            "summary": summary,
            "operationId": path.strip("/").replace("/", "_"),
            "security": [{"apiKey": []}],
            "requestBody": {"required": True, "content": {"application/json": {
                "schema": {"$ref": f"#/components/schemas/{request_schema}"}}}},
            "responses": responses,
        }}
    for path in (PREFIX + "/leads/batch", PREFIX + "/events/batch"):
        paths[path]["post"]["parameters"] = [{
            "name": "Prefer", "in": "header", "required": False, "schema": {"type": "string"},
            "description": "respond-async (RFC 7240): answer 202 at once and do the items in the background, in "
                           "chunks shared by the servers' workers; read the answers at GET /batches/{id}"}]
    batch_errors = {status: ERRORS_COMMON[status] for status in (401, 403, 429)}
    paths[PREFIX + "/batches/{batch_id}"] = {"get": {
        "summary": "A batch sent with Prefer: respond-async: its progress and each item's answer (kept 30 days after "
                   "its last answer)",
        "operationId": "batch",
        "security": [{"apiKey": []}],
        "parameters": [{"name": "batch_id", "in": "path", "required": True, "schema": {"type": "integer"}}],
        "responses": {
            "200": {"description": "The batch, and one answer per item in the order sent (null while it waits)",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/BatchStatusOut"}}}},
            "404": {"description": "No queued batch of this API user has this id",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Errors"}}}},
            **{str(status): {"description": description,
                             "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Errors"}}}}
               for status, description in batch_errors.items()},
        },
    }}
    batch_responses = paths[PREFIX + "/batches/{batch_id}"]["get"]["responses"]
    batch_responses["429"]["headers"] = RETRY_AFTER
    paths[PREFIX + "/openapi.json"] = {"get": {
        "summary": "This document", "operationId": "openapi", "security": [],
        "responses": {"200": {"description": "The OpenAPI document",
                              "content": {"application/json": {"schema": {"type": "object"}}}}},
    }}
    description = (
        "Leads and engagement events from marketing tools. Authenticate with an intake API key of a user in the "
        "Lead Intake (API) group (New Intake API Key on the user's form): `Authorization: Bearer <key>`. Every "
        "answer is JSON; errors are `{\"errors\": {field: message}}`. Each API user has its own external ids and "
        "sees only the leads it sent: no answer tells whether another sender, or someone in Odoo, already had the "
        "person.")
    if limits:
        description += (" Limits on this server: %(max_body_bytes)s bytes per body, %(max_batch_items)s items per "
                        "batch (%(max_queued_items)s queued), %(rate_limit)s requests per minute per key (0: no "
                        "limit)." % limits)
    document = {
        "openapi": "3.1.0",
        "info": {"title": "Lead Management Intake API", "version": API_VERSION, "description": description},
        "paths": paths,
        "components": {
            "schemas": definitions.get("$defs", {}),
            "securitySchemes": {"apiKey": {
                "type": "http", "scheme": "bearer",
                "description": "An intake API key of an Odoo user (Settings > Users > the user > Account Security > "
                               "New Intake API Key); other keys are refused"}},
        },
    }
    if server_url:
        document["servers"] = [{"url": server_url}]
    return document
