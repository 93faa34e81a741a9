# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Whatever a client throws at the intake API (random types, any unicode, huge strings, nested junk, wrong
content types and charsets, bytes that are not JSON, calendar edges, bodies of the allowed maximum size and one
byte over), the answer is never a 5xx, always JSON, and nothing is half-written: a refused item leaves no row, an
accepted lead always has its reference. A charset other than JSON's is refused (415) before anything is decoded."""
import codecs
import json
from datetime import timedelta, timezone

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from odoo.tests import tagged

from .common import IntakeCase

SETTINGS = settings(max_examples=40, deadline=None, database=None, suppress_health_check=list(HealthCheck),
                    derandomize=False)

ROUTES = ["/leads", "/leads/batch", "/events", "/events/batch"]
CONTENT_TYPES = ["application/json", "application/json; charset=utf-8", "application/json; charset=latin-1",
                 "application/json; charset=no-such-charset", "text/plain", "application/xml", "",
                 "application/x-www-form-urlencoded", "multipart/form-data; boundary=xyz", "application/jsonx"]
# charset: the codec the body is written in (None: refused, the body is sent in UTF-8)
CHARSETS = {"utf-8": "utf-8", "UTF-8": "utf-8", "utf8": "utf-8", "utf-16": "utf-16", "utf-16le": "utf-16-le",
            "utf-16be": "utf-16-be", "utf-32": "utf-32", "utf-32le": "utf-32-le", "utf-32be": "utf-32-be",
            "punycode": None, "idna": None, "utf-7": None, "latin-1": None, "iso-8859-1": None, "cp1252": None,
            "utf_8": None, "rot13": None, "zlib": None, "base64": None, "no-such-charset": None}
MAX_BODY = 1024 * 1024  # the default limit (lead_management_api.max_body_kb = 1024)

any_text = st.text(alphabet=st.characters(codec=None, exclude_categories=()), max_size=50)
huge_text = st.integers(min_value=256, max_value=1_300_000).map(lambda size: "é" * size)
scalars = (st.none() | st.booleans() | st.integers(min_value=-(2 ** 80), max_value=2 ** 80) | st.floats()
           | any_text | huge_text)
junk = st.recursive(scalars, lambda children: st.lists(children, max_size=4)
                    | st.dictionaries(any_text, children, max_size=4), max_leaves=12)


def _or_junk(valid):
    return st.one_of(valid, valid, junk)


# Calendar edges: years 1 and 9999, the Unix epoch, leap days (and a day that does not exist), the last second of a
# year, UTC offsets up to ±14 h (and ±23:59, the most ISO 8601 writes).
offsets = st.sampled_from(["", "Z", "+00:00", "+14:00", "-14:00", "+05:00", "-05:00", "+23:59", "-23:59", "+24:00"])
edge_dates = st.builds(
    lambda year, day, time, offset: f"{year:04d}-{day}T{time}{offset}",
    st.sampled_from([1, 2, 1969, 1970, 2000, 2023, 2024, 2025, 2028, 9998, 9999]),
    st.sampled_from(["01-01", "02-28", "02-29", "03-01", "12-31", "13-01", "00-10"]),
    st.sampled_from(["00:00:00", "23:59:59", "23:59:59.999999", "24:00:00", "23:59:60", "12:00"]),
    offsets)
any_dates = st.datetimes(timezones=st.none() | st.builds(
    timezone, st.timedeltas(min_value=-timedelta(hours=23, minutes=59), max_value=timedelta(hours=23, minutes=59)))
).map(lambda value: value.isoformat())


lead_bodies = st.fixed_dictionaries(
    {"external_id": _or_junk(st.text(min_size=1, max_size=30))},
    optional={
        "name": _or_junk(any_text), "contact_name": _or_junk(any_text), "company": _or_junk(any_text),
        "email": _or_junk(st.emails() | any_text), "phone": _or_junk(st.from_regex(r"\+?[0-9 ().x-]{0,20}",
                                                                                 fullmatch=True)),
        "country_code": _or_junk(st.sampled_from(["BE", "us", "GB", "XX", "B", "BEL"])),
        "campaign": _or_junk(any_text), "source": _or_junk(any_text), "medium": _or_junk(any_text),
        "notes": _or_junk(any_text | huge_text), "consent": _or_junk(st.booleans()),
        "unexpected": junk,
    })
event_bodies = st.fixed_dictionaries(
    {"external_id": _or_junk(st.text(min_size=1, max_size=30)),
     "type": _or_junk(st.sampled_from(["form_fill", "download", "webinar", "email_click", "visit", "nope"]))},
    optional={
        "lead_external_id": _or_junk(st.sampled_from(["known-1", "known-2", "unknown"])),
        "lead_email": _or_junk(st.sampled_from(["known-1@engines.example.com", "nobody@example.com"]) | any_text),
        "date": _or_junk(edge_dates | any_dates | any_text),
        "note": _or_junk(any_text), "campaign": _or_junk(any_text), "unexpected": junk,
    })


def _sized(data, size, unit):
    """``data`` (a JSON text's bytes) padded with JSON whitespace (``unit``: one space in the body's codec) to
    the allowed maximum size, or to one byte over it."""
    if size == "max":
        return data + unit * ((MAX_BODY - len(data)) // len(unit))
    if size == "over":
        return data + b" " * (MAX_BODY + 1 - len(data)) if len(data) <= MAX_BODY else data
    return data


def _space(codec):
    """One space in ``codec``, without the byte order mark Python writes first."""
    space = " ".encode(codec)
    for bom in (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        if space.startswith(bom):
            return space[len(bom):]
    return space


@st.composite
def requests(draw):
    """(route, content type, body bytes, status expected or None)."""
    route = draw(st.sampled_from(ROUTES))
    kind = draw(st.sampled_from(["valid-ish", "junk", "bytes"]))
    items = lead_bodies if route.startswith("/leads") else event_bodies
    codec = "utf-8"
    if kind == "bytes":
        data = draw(st.binary(max_size=200))
        text = None
    else:
        if kind == "junk":
            body = draw(junk)
        elif route.endswith("batch"):
            body = draw(st.fixed_dictionaries({"items": st.lists(items | junk, max_size=4)}, optional={"x": junk}))
        else:
            body = draw(items)
        text = json.dumps(body, ensure_ascii=draw(st.booleans()))
    content_type = draw(st.sampled_from(CONTENT_TYPES[:2]) | st.sampled_from(CONTENT_TYPES)
                        | st.sampled_from(sorted(CHARSETS)).map(lambda name: f"application/json; charset={name}"))
    charset = content_type.partition("charset=")[2] or None
    if charset in CHARSETS and CHARSETS[charset] and text is not None:
        codec = CHARSETS[charset]
    if text is not None:
        data = text.encode(codec, "surrogatepass")
    size = draw(st.sampled_from([None, None, "max", "over"]))
    data = _sized(data, size, _space(codec))
    refused = charset is not None and CHARSETS[charset] is None
    if content_type.partition(";")[0] != "application/json" or refused:
        expected = 415
    else:
        expected = 413 if len(data) > MAX_BODY else None
    return route, content_type, data, expected


@tagged("post_install", "-at_install")
class TestNoServerErrorNoPartialRecord(IntakeCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["ir.config_parameter"].set_param("lead_management_api.rate_limit", 0)

    def setUp(self):
        super().setUp()
        for external_id in ("known-1", "known-2"):
            self.assertEqual(self.post("/leads", self.lead_body(external_id)).status_code, 201)

    def _check(self, route, content_type, data, expected=None):
        before = self.counts()
        response = self.post(route, data=data, content_type=content_type)
        self.assertLess(response.status_code, 500, response.text)
        if expected:
            self.assertEqual(response.status_code, expected, response.text)
        answer = response.json()
        after = self.counts()
        new_references, new_events = after[2] - before[2], after[1] - before[1]
        if response.status_code >= 400:
            self.assertEqual(set(answer), {"errors"})
            self.assertTrue(answer["errors"])
            self.assertEqual(after, before, "a refused request writes nothing")
            return
        results = answer["results"] if route.endswith("batch") else [
            {"status": response.status_code, "x": answer}]
        created = sum(1 for result in results if result["status"] == 201)
        if route.startswith("/leads"):
            self.assertEqual(new_references, created)
            self.assertEqual(new_events, 0)
            self.assertLessEqual(after[0] - before[0], created, "a merged lead leaves no second lead")
        else:
            self.assertEqual(new_events, created)
            self.assertEqual(after[0], before[0])
        # Every lead the API user created has its reference: nothing half-written.
        self.assertFalse(self.Lead.search_count([("create_uid", "=", self.user_intake.id),
                                                 ("intake_reference_ids", "=", False)]))

    @SETTINGS
    @given(requests())
    def test_random_requests(self, request):
        self._check(*request)

    @SETTINGS
    @given(lead_bodies)
    def test_random_leads(self, body):
        self._check("/leads", "application/json", json.dumps(body).encode("utf-8", "surrogatepass"))

    @SETTINGS
    @given(event_bodies)
    def test_random_events(self, body):
        self._check("/events", "application/json", json.dumps(body).encode("utf-8", "surrogatepass"))

    @SETTINGS
    @given(edge_dates | any_dates)
    @example("0001-01-01T00:00:00+05:00")
    @example("9999-12-31T23:59:59-05:00")
    def test_random_event_dates(self, date):
        """A valid event but for its date: stored, or refused with a 400 that names the date alone."""
        body = {"external_id": "dated", "type": "webinar", "lead_external_id": "known-1", "date": date}
        before = self.counts()
        response = self.post("/events", body)
        self.assertIn(response.status_code, (200, 201, 400), response.text)
        if response.status_code == 400:
            self.assertEqual(list(response.json()["errors"]), ["date"])
            self.assertEqual(self.counts(), before)
