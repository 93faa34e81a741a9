# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Bodies that cost the server or reach its database (findings 5, 6 and 12 of issue 17): charsets other than JSON's
are refused before anything is decoded, dates outside what can be stored get a 400 naming the field, and no
answer carries the database's text."""
import codecs
import json
import time
from unittest.mock import patch

from odoo.tests import tagged

from odoo.addons.lead_management_api.models.lead_intake import LeadIntake

from .common import IntakeCase

LOGGER = "odoo.addons.lead_management_api.controllers.intake"


@tagged("post_install", "-at_install")
class TestCharsets(IntakeCase):

    def test_415_for_a_charset_other_than_jsons_before_decoding(self):
        # The body: digits, decoded with Python's quadratic punycode codec (about 100 s for the 1 MB the
        # body may have). Refused before the body is read.
        digits = b"1" * (1024 * 1024 - 1)
        started = time.monotonic()
        response = self.post("/leads", data=digits, content_type="application/json; charset=punycode")
        self.assertLess(time.monotonic() - started, 10)
        self.assertEqual(response.status_code, 415, response.text)
        self.assertIn("punycode", response.json()["errors"]["charset"])
        body = json.dumps(self.lead_body("latin-é", notes="Café"), ensure_ascii=False).encode("latin-1")
        before = self.counts()
        for charset in ("punycode", "latin-1", "ISO-8859-1", "utf-7", "idna", "cp1252", "utf_8", "rot13",
                        "no-such-charset", ""):
            with self.subTest(charset=charset):
                response = self.post("/leads", data=body, content_type=f"application/json; charset={charset}")
                if charset == "":  # an empty charset is no charset: UTF-8, which this body is not
                    self.assertEqual(response.status_code, 400, response.text)
                    continue
                self.assertEqual(response.status_code, 415, response.text)
                self.assertEqual(list(response.json()["errors"]), ["charset"])
        self.assertEqual(self.counts(), before)

    def test_utf8_utf16_and_utf32_are_taken(self):
        body = json.dumps(self.lead_body("charset", notes="Ça va ? 😀"), ensure_ascii=False)
        cases = [
            (None, body.encode()), ("utf-8", body.encode()), ("UTF-8", body.encode()), ('"utf-8"', body.encode()),
            ("utf8", body.encode()), ("utf-8", codecs.BOM_UTF8 + body.encode()),
            ("utf-16", body.encode("utf-16")), ("utf-16", body.encode("utf-16-le")),
            ("utf-16", body.encode("utf-16-be")), ("utf-16le", body.encode("utf-16-le")),
            ("utf-16be", codecs.BOM_UTF16_BE + body.encode("utf-16-be")),
            ("utf-32", body.encode("utf-32")), ("utf-32", body.encode("utf-32-be")),
            ("UTF-32LE", body.encode("utf-32-le")),
        ]
        for index, (charset, data) in enumerate(cases):
            with self.subTest(charset=charset, index=index):
                content_type = "application/json" + (f"; charset={charset}" if charset else "")
                response = self.post("/leads", data=data, content_type=content_type)
                self.assertIn(response.status_code, (200, 201), response.text)
                lead = self.Lead.browse(response.json()["id"])
                self.assertIn("Ça va ? 😀", lead.description)

    def test_400_for_bytes_that_are_not_the_declared_charset(self):
        body = json.dumps(self.lead_body("bad-bytes")).encode()
        for charset, data in (("utf-8", b'{"external_id": "\xff"}'), ("utf-16le", body + b"\x00"),
                              ("utf-16", b"\xd8\x00\x00{"), ("utf-32be", b"\x00\x11\x00\x00" * 2)):
            with self.subTest(charset=charset):
                response = self.post("/leads", data=data, content_type=f"application/json; charset={charset}")
                self.assertEqual(response.status_code, 400, response.text)
                self.assertIn("not valid JSON", response.json()["errors"]["body"])


@tagged("post_install", "-at_install")
class TestDates(IntakeCase):

    def setUp(self):
        super().setUp()
        self.assertEqual(self.post("/leads", self.lead_body("dated")).status_code, 201)

    def event(self, external_id, date):
        return {"external_id": external_id, "type": "webinar", "lead_external_id": "dated", "date": date}

    def test_400_for_dates_that_cannot_be_stored(self):
        before = self.counts()
        for date in ("0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00", "0001-01-01T00:00:00Z",
                     "0001-01-01T00:00:00-14:00", "9999-12-31T23:59:59+14:00", "9999-12-31T23:59:59Z",
                     "1969-12-31T23:59:59Z", "1970-01-01T13:59:59+14:00", "2023-02-29T10:00:00Z",
                     "2026-01-01T24:00:01Z", "2026-01-01T10:00:00+24:00"):
            with self.subTest(date=date):
                response = self.post("/events", self.event("edge", date))
                self.assertEqual(response.status_code, 400, response.text)
                self.assertEqual(list(response.json()["errors"]), ["date"])
        response = self.post("/events/batch", {"items": [self.event("edge-1", "0001-01-01T00:00:00+05:00"),
                                                         self.event("edge-2", "9999-12-31T23:59:59-05:00")]})
        self.assertEqual([result["status"] for result in response.json()["results"]], [400, 400])
        self.assertEqual(self.counts(), before)

    def test_calendar_edges_that_can_be_stored(self):
        Event = self.env["lead.engagement.event"]
        for index, (date, stored) in enumerate((
            ("1970-01-01T00:00:00Z", "1970-01-01 00:00:00"),
            ("1970-01-01T00:00:00-14:00", "1970-01-01 14:00:00"),
            ("2024-02-29T23:59:59-14:00", "2024-03-01 13:59:59"),
            ("2024-02-29T00:00:00+14:00", "2024-02-28 10:00:00"),
            ("2025-12-31T23:59:59+14:00", "2025-12-31 09:59:59"),
            ("2025-12-31T23:59:59", "2025-12-31 23:59:59"),
        )):
            with self.subTest(date=date):
                response = self.post("/events", self.event(f"ok-{index}", date))
                self.assertEqual(response.status_code, 201, response.text)
                self.assertEqual(str(Event.browse(response.json()["id"]).date), stored)


@tagged("post_install", "-at_install")
class TestNoDatabaseText(IntakeCase):

    def test_utm_names_are_taken_literally(self):
        # utm.mixin finds names with =ilike: a trailing backslash, reached while matching "Spring webinar", was
        # PostgreSQL's "LIKE pattern must not end with escape character", answered as it was; "50%" found another
        # campaign, "E_ail" utm's "Email" medium.
        self.env["utm.campaign"].create([{"name": "50 shades of grey"}, {"name": "Spring webinar"}])
        response = self.post("/leads", self.lead_body("utm-1", campaign="Spring\\", source="50%", medium="E_ail"))
        self.assertEqual(response.status_code, 201, response.text)
        lead = self.Lead.browse(response.json()["id"])
        self.assertEqual((lead.campaign_id.name, lead.source_id.name, lead.medium_id.name),
                         ("Spring\\", "50%", "E_ail"), "not utm's “Email” medium")
        response = self.post("/leads", self.lead_body("utm-2", campaign="50%"))
        self.assertEqual(self.Lead.browse(response.json()["id"]).campaign_id.name, "50%")
        response = self.post("/events", {"external_id": "utm-ev", "type": "webinar", "lead_external_id": "utm-1",
                                         "campaign": "SPRING\\", "source": "%", "medium": "\\\\"})
        self.assertEqual(response.status_code, 201, response.text)
        event = self.env["lead.engagement.event"].browse(response.json()["id"])
        self.assertEqual(event.campaign_id, lead.campaign_id, "found again, case-insensitively")
        self.assertEqual((event.source_id.name, event.medium_id.name), ("%", "\\\\"))

    def test_a_value_the_database_refuses_is_answered_without_its_text(self):
        def refused_by_the_database(self, data):
            self.env["crm.lead"].sudo().create({"name": "half-written", "type": "lead"})
            self.env.cr.execute("SELECT 'not a number'::integer")

        before = self.counts()
        with patch.object(LeadIntake, "_intake_lead", refused_by_the_database), \
                self.assertLogs("odoo.addons.lead_management_api", level="WARNING") as logs:
            response = self.post("/leads", self.lead_body("db-text"))
        self.assertEqual(response.status_code, 400, response.text)
        message = response.json()["errors"]["body"]
        for internal in ("integer", "invalid input", "syntax", "not a number", "psycopg", "SQL", "LINE"):
            self.assertNotIn(internal, message)
        self.assertIn("openapi.json", message)
        self.assertTrue(any("invalid input syntax for type integer" in line for line in logs.output),
                        "the detail is in the server's log")
        self.assertEqual(self.counts(), before, "nothing half-written")
