# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Every answer of the intake API, through a real HTTP server."""
import logging
from datetime import datetime, timedelta
from unittest.mock import patch

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import tagged

from odoo.addons.lead_management_api.models.lead_intake_batch import MAX_RUNS
from odoo.addons.lead_management_api.models.lead_intake_reference import LeadIntakeReference
from odoo.addons.mail.tests.common import mail_new_test_user

from .common import IntakeCase

LOGGER = "odoo.addons.lead_management_api.controllers.intake"


@tagged("post_install", "-at_install")
class TestLeads(IntakeCase):

    def test_201_then_200_for_the_same_external_id(self):
        body = self.lead_body("form-1", phone="020 7946 0018", country_code="gb", campaign="Spring webinar",
                              source="Newsletter", medium="Email", notes="Wants a demo.\nCall after 3pm.",
                              consent=True)
        before = self.counts()
        response = self.post("/leads", body)
        self.assertEqual(response.status_code, 201, response.text)
        answer = response.json()
        lead = self.Lead.browse(answer["id"])
        self.assertEqual(answer, {"id": lead.id, "external_id": "form-1", "lifecycle_stage": "target", "grade": "D",
                                  "score": 0, "merged_into": None, "duplicate_of": None})
        # What the marketing tool sent, and what the pipeline gives every lead.
        self.assertEqual((lead.contact_name, lead.partner_name, lead.email_from), (
            "Ada Lovelace", "Analytical Engines", "form-1@engines.example.com"))
        self.assertEqual((lead.phone, lead.phone_sanitized, lead.phone_state), (
            "020 7946 0018", "+442079460018", "correct"), "typed number kept beside E.164")
        self.assertEqual(lead.country_id.code, "GB")
        self.assertEqual((lead.campaign_id.name, lead.source_id.name, lead.medium_id.name),
                         ("Spring webinar", "Newsletter", "Email"))
        self.assertIn("Call after 3pm", lead.description)
        self.assertEqual(lead.marketing_consent, "given")
        self.assertEqual(lead.team_id, self.team)
        self.assertIn(lead.qualifier_id, self.user_qualifier | self.user_qualifier_2)
        self.assertFalse(lead.user_id, "the API user never becomes the salesperson")
        self.assertNotIn(self.user_intake.partner_id, lead.message_partner_ids, "nor a follower")
        self.assertEqual(lead.intake_reference_ids.user_id, self.user_intake)
        self.assertEqual(self.counts(), (before[0] + 1, before[1], before[2] + 1))
        # Again: the same body, no second lead.
        response = self.post("/leads", body)
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(response.json(), answer)
        self.assertEqual(self.counts(), (before[0] + 1, before[1], before[2] + 1))

    def test_400_lists_every_bad_field_and_writes_nothing(self):
        before = self.counts()
        with self.assertLogs(LOGGER, level="WARNING") as logs:
            response = self.post("/leads", {"external_id": 12, "email": ["x"], "phone": "x" * 65,
                                            "country_code": "Belgium", "consent": "yes", "colour": "blue"})
        self.assertEqual(response.status_code, 400)
        errors = response.json()["errors"]
        self.assertEqual(set(errors), {"external_id", "email", "phone", "country_code", "consent", "colour"})
        self.assertEqual(errors["consent"], "Must be true or false.")
        self.assertEqual(errors["colour"][:14], "Unknown field:")
        self.assertEqual(self.counts(), before)
        # A client error is a warning line, without traceback.
        [record] = logs.records
        self.assertEqual(record.levelno, logging.WARNING)
        self.assertIsNone(record.exc_info)
        self.assertIn("400", record.getMessage())

    def test_400_needs_email_or_phone_and_a_known_country(self):
        response = self.post("/leads", {"external_id": "no-contact", "contact_name": "Nobody"})
        self.assertEqual((response.status_code, list(response.json()["errors"])), (400, ["email"]))
        before = self.counts()
        response = self.post("/leads", self.lead_body("xx", country_code="XX"))
        self.assertEqual(response.status_code, 400)
        self.assertIn("Unknown country code", response.json()["errors"]["country_code"])
        self.assertEqual(self.counts(), before)

    def test_400_body(self):
        for data, content in ((b"{not json", "not valid JSON"), (b"[1, 2]", "JSON object"), (b"", "not valid JSON"),
                              (b"[" * 100000 + b"]" * 100000, "not valid JSON"), (b"\xff\xfe", "not valid JSON"),
                              (b'{"external_id": "\\u0000", "email": "a@b.co"}', None)):
            with self.subTest(data=data[:20]):
                response = self.post("/leads", data=data)
                self.assertEqual(response.status_code, 400, response.text)
                if content:
                    self.assertIn(content, response.json()["errors"]["body"])

    def test_invalid_contact_data_is_kept_and_flagged(self):
        response = self.post("/leads", self.lead_body("bad-data", email="ada@engines", phone="02 290",
                                                      country_code="BE"))
        self.assertEqual(response.status_code, 201)
        lead = self.Lead.browse(response.json()["id"])
        self.assertEqual((lead.email_from, lead.email_state), ("ada@engines", "incorrect"))
        self.assertEqual((lead.phone, lead.phone_state, lead.phone_sanitized), ("02 290", "incorrect", False))

    def test_401(self):
        expired = self._api_key(self.user_intake, expiration=datetime.now() - timedelta(days=1))
        revoked = self._api_key(self.user_intake)
        self.env["res.users.apikeys"].sudo().search([("name", "=", f"key of {self.user_intake.login}")],
                                                    order="id desc", limit=1)._remove()
        for name, key in (("no header", False), ("wrong key", "0123456789abcdef"), ("short", "abc"),
                          ("nul", "0123456789\x00abcdef"),
                          ("expired", expired), ("revoked", revoked)):
            with self.subTest(name):
                response = self.post("/leads", self.lead_body("k"), key=key)
                self.assertEqual(response.status_code, 401, response.text)
                self.assertIn("authorization", response.json()["errors"])
                self.assertTrue(response.headers["WWW-Authenticate"].startswith("Bearer"))
        response = self.post("/leads", self.lead_body("k"), headers={"Authorization": f"Basic {self.key}"})
        self.assertEqual(response.status_code, 401)
        # An archived user's keys stop at once.
        self.user_intake.active = False
        self.assertEqual(self.post("/leads", self.lead_body("k")).status_code, 401)

    def test_403_outside_the_intake_group(self):
        key = self._api_key(self.user_salesman)
        response = self.post("/leads", self.lead_body("sales"), key=key)
        self.assertEqual(response.status_code, 403)
        self.assertIn("Lead Intake", response.json()["errors"]["authorization"])
        self.assertFalse(self.env["lead.intake.reference"].search([("external_id", "=", "sales")]))

    def test_411_413_415(self):
        self.env["ir.config_parameter"].set_param("lead_management_api.max_body_kb", 1)
        response = self.post("/leads", self.lead_body("big", notes="x" * 2000))
        self.assertEqual(response.status_code, 413)
        self.assertIn("larger than 1024 bytes", response.json()["errors"]["body"])
        for content_type in ("text/plain", "application/x-www-form-urlencoded", None, "multipart/form-data"):
            with self.subTest(content_type=content_type):
                response = self.post("/leads", self.lead_body("ct"), content_type=content_type)
                self.assertEqual(response.status_code, 415, response.text)
        response = self.post("/leads", data=(chunk for chunk in [b'{"external_id": "chunked"}']))
        self.assertEqual(response.status_code, 411)

    def test_429_per_key(self):
        self.env["ir.config_parameter"].set_param("lead_management_api.rate_limit", 3)
        statuses = [self.post("/leads", self.lead_body(f"rate-{index}")).status_code for index in range(4)]
        self.assertEqual(statuses, [201, 201, 201, 429])
        response = self.post("/leads", self.lead_body("rate-5"))
        self.assertEqual(response.status_code, 429)
        self.assertGreaterEqual(int(response.headers["Retry-After"]), 1)
        self.assertFalse(self.env["lead.intake.reference"].search([("external_id", "=", "rate-5")]))
        # Another key of another intake user has its own allowance.
        other = self.user_intake.copy({"login": "lm_intake_2"})
        self.assertEqual(self.post("/leads", self.lead_body("rate-6"), key=self._api_key(other)).status_code, 201)
        # A rate of 0 is no limit.
        self.env["ir.config_parameter"].set_param("lead_management_api.rate_limit", 0)
        self.assertEqual(self.post("/leads", self.lead_body("rate-7")).status_code, 201)


@tagged("post_install", "-at_install")
class TestBatches(IntakeCase):

    def test_each_item_answered_and_committed_on_its_own(self):
        self.env["ir.config_parameter"].set_param("lead_management_api.max_batch_items", 4)
        before = self.counts()
        original_create = LeadIntakeReference.create

        def create(self, vals_list):
            # The lead of this item is written, then its reference fails: the item must leave nothing.
            if any(vals.get("external_id") == "b-3" for vals in (vals_list if isinstance(vals_list, list)
                                                                else [vals_list])):
                raise UserError(self.env._("Refused for the test"))
            return original_create(self, vals_list)

        with patch.object(LeadIntakeReference, "create", create):
            response = self.post("/leads/batch", {"items": [
                self.lead_body("b-1"), {"external_id": "b-2"}, self.lead_body("b-3"), self.lead_body("b-1")]})
        self.assertEqual(response.status_code, 200, response.text)
        results = response.json()["results"]
        self.assertEqual([result["status"] for result in results], [201, 400, 400, 200])
        self.assertEqual(results[0]["lead"]["id"], results[3]["lead"]["id"])
        self.assertEqual(list(results[1]["errors"]), ["email"])
        self.assertFalse(self.Lead.search([("email_from", "=", "b-3@engines.example.com")]), "nothing half-written")
        self.assertEqual(self.counts(), (before[0] + 1, before[1], before[2] + 1))

    def test_413_over_the_configured_number_of_items(self):
        self.env["ir.config_parameter"].set_param("lead_management_api.max_batch_items", 2)
        response = self.post("/leads/batch", {"items": [self.lead_body(f"n-{index}") for index in range(3)]})
        self.assertEqual(response.status_code, 413)
        self.assertIn("At most 2 items", response.json()["errors"]["items"])
        for body in ({"items": []}, {"items": "x"}, {}, {"items": [], "more": 1}):
            with self.subTest(body=body):
                self.assertEqual(self.post("/leads/batch", body).status_code, 400)

    def test_event_batch(self):
        lead = self.Lead.browse(self.post("/leads", self.lead_body("ev-lead")).json()["id"])
        response = self.post("/events/batch", {"items": [
            {"external_id": "e-1", "type": "webinar", "lead_external_id": "ev-lead"},
            {"external_id": "e-2", "type": "download", "lead_email": "EV-LEAD@engines.example.com",
             "date": "2026-01-01T10:00:00+02:00", "source": "Newsletter"},
            {"external_id": "e-3", "type": "nope", "lead_external_id": "missing"},
        ]})
        results = response.json()["results"]
        self.assertEqual([result["status"] for result in results], [201, 201, 400])
        self.assertEqual(set(results[2]["errors"]), {"type", "lead_external_id"}, "every bad field at once")
        self.assertEqual(lead.engagement_event_ids.mapped("external_id"), ["e-1", "e-2"])
        self.assertEqual(str(lead.engagement_event_ids[1].date), "2026-01-01 08:00:00", "stored in UTC")
        self.assertEqual(lead.engagement_event_ids[1].source_id.name, "Newsletter")


@tagged("post_install", "-at_install")
class TestQueuedBatches(IntakeCase):
    """``Prefer: respond-async``: the batch is kept and answered 202 at once, done by the scheduled action in chunks
    (each a transaction; jobs of queue_job with lead_management_queue), its answers read at batches/<id>."""

    QUEUED = {"Prefer": "respond-async"}

    def run_batches(self, chunk_size=2):
        # queue_job's own switch, should it be installed: the chunks run here, as on cron.
        self.env["lead.intake.batch"].sudo().with_context(queue_job__no_delay=True)._cron_run_batches(
            chunk_size=chunk_size)
        self.env.invalidate_all()

    def batch_of(self, response):
        return self.env["lead.intake.batch"].sudo().browse(response.json()["batch"]["id"])

    def status(self, url, key=None):
        response = self.opener.get(self.base_url() + url, headers={"Authorization": f"Bearer {key or self.key}"},
                                   timeout=30)
        return response.status_code, response.json()

    def test_202_then_each_item_answered_once(self):
        self.env["ir.config_parameter"].set_param("lead_management_api.max_batch_items", 2)
        before = self.counts()
        items = [self.lead_body("q-1"), {"external_id": "q-2"}, self.lead_body("q-3", country_code="ZZ"),
                 self.lead_body("q-1"), self.lead_body("q-4")]
        response = self.post("/leads/batch", {"items": items}, headers=self.QUEUED)
        self.assertEqual(response.status_code, 202, response.text)
        self.assertEqual(response.headers["Preference-Applied"], "respond-async")
        batch = response.json()["batch"]
        self.assertEqual(response.headers["Location"], f"/lead_management/v1/batches/{batch['id']}")
        self.assertEqual(batch, {"id": batch["id"], "kind": "lead", "status": "queued", "items": 5, "done": 0},
                         "more items than a batch answered at once may have")
        self.assertEqual(self.counts(), before, "nothing done in the request")
        self.assertEqual(self.status(response.headers["Location"]),
                         (200, {"batch": batch, "results": [None] * 5}))

        self.run_batches()
        status, answer = self.status(response.headers["Location"])
        self.assertEqual(answer["batch"]["status"], "done")
        self.assertEqual(answer["batch"]["done"], 5)
        results = answer["results"]
        self.assertEqual([result["status"] for result in results], [201, 400, 400, 200, 201])
        self.assertEqual(results[0]["lead"]["id"], results[3]["lead"]["id"], "a replay within the batch")
        self.assertEqual(list(results[1]["errors"]), ["email"])
        self.assertIn("Unknown country code", results[2]["errors"]["country_code"])
        lead = self.Lead.browse(results[4]["lead"]["id"])
        self.assertEqual(lead.email_from, "q-4@engines.example.com")
        first = self.Lead.browse(results[0]["lead"]["id"])
        self.assertEqual(len(first.lifecycle_history_ids), 1,
                         "the work an item leaves for the commit is kept when the next item of its chunk fails")
        self.assertEqual(lead.team_id, self.team, "as the API would have made it")
        self.assertTrue(lead.grade_id, "scored as any lead")
        self.assertFalse(self.Lead.search([("email_from", "=", "q-3@engines.example.com")]), "nothing half-written")
        self.assertEqual(self.counts(), (before[0] + 2, before[1], before[2] + 2))
        # Run again (a chunk run twice: a retry, another server): nothing more.
        self.env["lead.intake.batch.item"].sudo()._intake_run_chunk(0, 10 ** 9)
        self.run_batches()
        self.assertEqual(self.counts(), (before[0] + 2, before[1], before[2] + 2))
        self.assertEqual(self.status(response.headers["Location"])[1]["results"], results)

    def test_events_and_the_senders_own_batches(self):
        lead = self.Lead.browse(self.post("/leads", self.lead_body("qe-lead")).json()["id"])
        response = self.post("/events/batch", {"items": [
            {"external_id": "qe-1", "type": "webinar", "lead_external_id": "qe-lead"},
            {"external_id": "qe-2", "type": "nope", "lead_external_id": "qe-lead"},
        ]}, headers={"Prefer": "wait=5, Respond-Async"})
        self.assertEqual(response.status_code, 202, response.text)
        url = response.headers["Location"]
        other = mail_new_test_user(self.env, login="other_intake", groups="lead_management.group_lead_intake")
        self.assertEqual(self.status(url, key=self._api_key(other))[0], 404, "another sender's batch is not found")
        self.assertEqual(self.status("/lead_management/v1/batches/999999999")[0], 404)
        self.assertEqual(self.opener.get(self.base_url() + url, timeout=30).status_code, 401)
        self.run_batches()
        results = self.status(url)[1]["results"]
        self.assertEqual([result["status"] for result in results], [201, 400])
        self.assertEqual(results[0]["event"]["lead"]["id"], lead.id)
        self.assertEqual(lead.engagement_event_ids.mapped("external_id"), ["qe-1"])

    def test_a_sender_who_lost_the_right_gets_403_per_item(self):
        revoked = self.post("/leads/batch", {"items": [self.lead_body("ql-1")]}, headers=self.QUEUED,
                            key=(key := self._api_key(self.user_intake)))
        kept = self.post("/leads/batch", {"items": [self.lead_body("ql-2")]}, headers=self.QUEUED)
        self.env["res.users.apikeys"].sudo().search([("user_id", "=", self.user_intake.id)], order="id desc",
                                                    limit=1)._remove()
        self.assertEqual(self.post("/leads", self.lead_body("ql-3"), key=key).status_code, 401, "that key is revoked")
        self.run_batches()
        self.assertEqual(self.batch_of(revoked).item_ids.answer["status"], 403, "sent with the key revoked since")
        self.assertEqual(self.batch_of(kept).item_ids.answer["status"], 201)
        gone = self.post("/leads/batch", {"items": [self.lead_body("ql-4")]}, headers=self.QUEUED)
        self.user_intake.groups_id -= self.env.ref("lead_management.group_lead_intake")
        before = self.counts()
        self.run_batches()
        self.assertEqual(self.counts(), before)
        self.assertEqual(self.batch_of(gone).item_ids.answer["status"], 403, "its user left the intake group")

    def test_whatever_json_an_item_holds_is_kept_and_answered(self):
        """Values JSON allows and PostgreSQL's jsonb does not (NUL, a lone surrogate, NaN) are kept as sent and
        answered per item, as at once; an item that is no object, or an empty one, too."""
        data = (b'{"items": [{"external_id": "qj-1\\u0000", "email": "qj-1@engines.example.com"}, '
                b'{"external_id": "qj-2", "email": "qj-2@engines.example.com", "consent": NaN}, '
                b'{"external_id": "qj-3\\ud800", "email": "qj-3@engines.example.com"}, {}, 7]}')
        response = self.post("/leads/batch", data=data, headers=self.QUEUED)
        self.assertEqual(response.status_code, 202, response.text)
        self.run_batches()
        results = self.status(response.headers["Location"])[1]["results"]
        self.assertEqual([result["status"] for result in results], [400] * 5, results)
        self.assertIn("consent", results[1]["errors"])
        self.assertEqual(set(results[3]["errors"]), {"external_id"}, "as for an empty object sent at once")
        self.assertIn("body", results[4]["errors"])

    def test_an_item_that_keeps_meeting_concurrent_work_is_answered_409(self):
        response = self.post("/leads/batch", {"items": [self.lead_body("qr-1"), self.lead_body("qr-2")]},
                             headers=self.QUEUED)
        first, second = self.batch_of(response).item_ids.sorted("sequence")
        self.env.cr.execute("UPDATE lead_intake_batch_item SET runs = %s WHERE id = %s", (MAX_RUNS, first.id))
        self.run_batches()
        results = self.status(response.headers["Location"])[1]["results"]
        self.assertEqual([result["status"] for result in results], [409, 201])
        self.assertFalse(self.Lead.search([("email_from", "=", "qr-1@engines.example.com")]))
        self.assertEqual(second.runs, 1)

    def test_429_when_too_many_of_the_senders_items_wait(self):
        self.env["ir.config_parameter"].set_param("lead_management_api.max_queued_items", 3)
        self.assertEqual(self.post("/leads/batch", {"items": [self.lead_body("qw-1"), self.lead_body("qw-2")]},
                                   headers=self.QUEUED).status_code, 202)
        response = self.post("/leads/batch", {"items": [self.lead_body("qw-3"), self.lead_body("qw-4")]},
                             headers=self.QUEUED)
        self.assertEqual(response.status_code, 429)
        self.assertEqual(response.headers["Retry-After"], "60")
        self.assertIn("2 items of your queued batches still wait", response.json()["errors"]["items"])
        other = mail_new_test_user(self.env, login="other_queued", groups="lead_management.group_lead_intake")
        self.assertEqual(self.post("/leads/batch", {"items": [self.lead_body("qw-5"), self.lead_body("qw-6")]},
                                   headers=self.QUEUED, key=self._api_key(other)).status_code, 202,
                         "each sender's own")
        self.run_batches()
        self.assertEqual(self.post("/leads/batch", {"items": [self.lead_body("qw-3"), self.lead_body("qw-4")]},
                                   headers=self.QUEUED).status_code, 202, "done, they no longer count")

    def test_413_over_the_queued_limit_and_400_as_at_once(self):
        self.env["ir.config_parameter"].set_param("lead_management_api.max_batch_items", 1)
        self.env["ir.config_parameter"].set_param("lead_management_api.max_queued_items", 2)
        response = self.post("/leads/batch", {"items": [self.lead_body(f"qn-{index}") for index in range(2)]})
        self.assertEqual(response.status_code, 413)
        self.assertIn("Prefer: respond-async", response.json()["errors"]["items"])
        response = self.post("/leads/batch", {"items": [self.lead_body(f"qn-{index}") for index in range(3)]},
                             headers=self.QUEUED)
        self.assertEqual(response.status_code, 413)
        self.assertIn("At most 2 items per queued batch", response.json()["errors"]["items"])
        self.assertEqual(self.post("/leads/batch", {"items": []}, headers=self.QUEUED).status_code, 400)
        self.assertFalse(self.env["lead.intake.batch"].sudo().search([]), "nothing kept of a refused batch")

    def test_a_chunk_without_waiting_items_is_one_query(self):
        response = self.post("/leads/batch", {"items": [self.lead_body(f"qc-{index}") for index in range(4)]},
                             headers=self.QUEUED)
        self.assertEqual(response.status_code, 202)
        Item = self.env["lead.intake.batch.item"].sudo()
        ids = Item.search([("batch_id", "=", response.json()["batch"]["id"])]).ids
        # Nothing to do: one query.
        with self.assertQueryCount(1):
            Item._intake_run_chunk(0, ids[0])
        self.env.invalidate_all()
        Item._intake_run_chunk(ids[0], ids[-1] + 1)
        self.assertEqual(len(Item.browse(ids).filtered("answer")), 4)


@tagged("post_install", "-at_install")
class TestEvents(IntakeCase):

    def test_201_200_and_the_lead_is_rescored(self):
        """The event is dated a day before the moment the test runs at (on the whole stack): a score that decays
        from the event's date is the same on any day the suite runs."""
        with self.frozen_at("2026-03-02 09:30:00"):
            lead_answer = self.post("/leads", self.lead_body("person-1")).json()
            body = {"external_id": "click-1", "type": "webinar", "lead_external_id": "person-1",
                    "date": "2026-03-01T09:30:00Z", "campaign": "Spring webinar", "note": "Stayed until the end"}
            response = self.post("/events", body)
            self.assertEqual(response.status_code, 201, response.text)
            answer = response.json()
            self.assertEqual((answer["type"], answer["external_id"], answer["lead"]["id"]),
                             ("webinar", "click-1", lead_answer["id"]))
            # Scored in Odoo; the answer is the lead's receipt, the same however the lead moved (no oracle).
            self.assertGreater(self.Lead.browse(lead_answer["id"]).lead_score, lead_answer["score"])
            self.assertEqual(answer["lead"], lead_answer)
            event = self.env["lead.engagement.event"].browse(answer["id"])
            self.assertEqual((event.campaign_id.name, event.note), ("Spring webinar", "Stayed until the end"))
            response = self.post("/events", body)
            self.assertEqual((response.status_code, response.json()["id"]), (200, answer["id"]))
            self.assertEqual(self.env["lead.engagement.event"].search_count([("external_id", "=", "click-1")]), 1)

    def test_external_ids_are_each_companys_own(self):
        """A sender of another company replaying an event id of this one records its own event: it never gets this
        company's lead in the answer."""
        other = self.env["res.company"].create({"name": "Other Company"})
        intake_other = mail_new_test_user(self.env, login="lm_intake_other", name="Olga Intake", company_id=other.id,
                                          company_ids=[Command.set(other.ids)],
                                          groups="lead_management.group_lead_intake")
        key_other = self._api_key(intake_other)
        mine = self.post("/leads", self.lead_body("person-3")).json()
        theirs = self.post("/leads", self.lead_body("person-3"), key=key_other).json()
        body = {"external_id": "click-3", "type": "webinar", "lead_external_id": "person-3"}
        self.assertEqual(self.post("/events", body).status_code, 201)
        response = self.post("/events", body, key=key_other)
        self.assertEqual(response.status_code, 201, response.text)
        self.assertEqual(response.json()["lead"]["id"], theirs["id"])
        self.assertNotEqual(theirs["id"], mine["id"])
        events = self.env["lead.engagement.event"].search([("external_id", "=", "click-3")])
        self.assertEqual(sorted(events.lead_id.ids), sorted([mine["id"], theirs["id"]]))
        self.assertEqual(self.post("/events", body, key=key_other).status_code, 200, "a replay in its own company")

    def test_400(self):
        self.post("/leads", self.lead_body("person-2"))
        before = self.counts()
        future = (datetime.utcnow() + timedelta(days=2)).isoformat() + "Z"
        for body, fields in (
            ({"external_id": "x", "type": "webinar"}, {"lead_external_id"}),
            ({"external_id": "x", "type": "webinar", "lead_external_id": "person-2", "date": future}, {"date"}),
            ({"external_id": "x", "type": "webinar", "lead_external_id": "person-2", "date": 1700000000}, {"date"}),
            ({"external_id": "x", "type": "webinar", "lead_external_id": "person-2", "date": "yesterday"}, {"date"}),
            ({"external_id": "x", "type": "nope", "lead_email": "nobody@example.com"}, {"type", "lead_email"}),
            ({"external_id": "x", "type": "webinar", "lead_email": "person-2@engines.example.com, b@example.com"},
             {"lead_email"}),
        ):
            with self.subTest(body=body):
                response = self.post("/events", body)
                self.assertEqual(response.status_code, 400, response.text)
                self.assertEqual(set(response.json()["errors"]), fields)
        self.assertEqual(self.counts(), before)


@tagged("post_install", "-at_install")
class TestDuplicatePolicies(IntakeCase):
    """The company's policy, for leads arriving through the API."""

    def _send_twice(self):
        first = self.post("/leads", self.lead_body("dup-1", email="grace@navy.example.com", phone="+32 2 555 12 34"))
        self.post("/events", {"external_id": "dup-ev-1", "type": "webinar", "lead_external_id": "dup-1"})
        second = self.post("/leads", self.lead_body("dup-2", email="GRACE@navy.example.com", notes="Second form"))
        self.assertEqual((first.status_code, second.status_code), (201, 201))
        return first.json(), second.json()

    def test_merge_by_default(self):
        self.assertEqual(self.company.lead_duplicate_policy, "merge")
        first, second = self._send_twice()
        self.assertEqual((second["id"], second["merged_into"]), (first["id"], first["id"]))
        lead = self.Lead.browse(first["id"])
        self.assertEqual(sorted(lead.intake_reference_ids.mapped("external_id")), ["dup-1", "dup-2"])
        # The new details are a note on the lead, not text appended to its description.
        self.assertNotIn("Second form", lead.description or "")
        self.assertTrue(lead.message_ids.filtered(lambda message: "Second form" in (message.body or "")))
        self.assertEqual(len(lead.engagement_event_ids), 1)
        # By phone too; and the merged one's replay answers the same lead.
        third = self.post("/leads", self.lead_body("dup-3", email="other@navy.example.com", phone="02 555 12 34",
                                                   country_code="BE")).json()
        self.assertEqual(third["merged_into"], first["id"])
        replay = self.post("/leads", self.lead_body("dup-2", email="GRACE@navy.example.com", notes="Second form"))
        self.assertEqual(replay.status_code, 200)
        self.assertEqual({key: replay.json()[key] for key in ("id", "external_id", "merged_into")},
                         {key: second[key] for key in ("id", "external_id", "merged_into")})
        # Events sent for the merged lead's external id reach the lead that stays.
        response = self.post("/events", {"external_id": "dup-ev-2", "type": "download", "lead_external_id": "dup-2"})
        self.assertEqual(response.json()["lead"]["id"], first["id"])

    def test_merge_keeps_the_lead_that_was_there(self):
        """crm's merge keeps the lead it trusts most: a newcomer with a higher probability replaced a salesperson's
        lead, and its text was appended to the description of the lead that stayed."""
        existing = self.env["crm.lead"].create({
            "name": "Grace's project", "type": "lead", "team_id": self.team.id, "user_id": self.user_salesman.id,
            "email_from": "grace@navy.example.com", "description": "<p>Budget approved.</p>"})
        self.env.flush_all()
        self.env.cr.execute("UPDATE crm_lead SET probability = 0.5, automated_probability = 0.5 WHERE id = %s",
                            [existing.id])
        self.env.invalidate_all()
        answer = self.post("/leads", self.lead_body("keep-1", email="grace@navy.example.com",
                                                    notes="Wants a call on Friday")).json()
        # Answered as a new lead (the sender did not send the one it joined), merged into the one that was there.
        self.assertEqual(answer["merged_into"], None)
        self.assertFalse(self.Lead.browse(answer["id"]).exists())
        self.assertTrue(existing.exists())
        self.assertEqual(self.env["lead.intake.reference"].search([("external_id", "=", "keep-1")]).lead_id, existing)
        self.assertEqual((existing.name, existing.user_id), ("Grace's project", self.user_salesman))
        self.assertEqual(existing.description, "<p>Budget approved.</p>")
        self.assertTrue(existing.message_ids.filtered(lambda message: "Wants a call on Friday" in (message.body or "")))

    def test_flag(self):
        self._set_company(lead_duplicate_policy="flag")
        first, second = self._send_twice()
        self.assertNotEqual(second["id"], first["id"])
        self.assertEqual((second["duplicate_of"], second["merged_into"]), (first["id"], None))
        self.assertEqual(self.Lead.browse(second["id"]).qualifier_id, self.Lead.browse(first["id"]).qualifier_id)

    def test_allow(self):
        self._set_company(lead_duplicate_policy="allow")
        first, second = self._send_twice()
        self.assertNotEqual(second["id"], first["id"])
        self.assertEqual((second["duplicate_of"], second["merged_into"]), (None, None))
