# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The OpenAPI document says what the endpoints do: the same routes and methods, and for every route each
documented answer is produced by a request and matches the documented schema, and nothing undocumented is."""
import re
from unittest.mock import patch

import jsonschema
from psycopg2 import errors as pg_errors

from odoo.tests import tagged

from odoo.addons.lead_management_api.models.lead_intake import LeadIntake
from odoo.addons.lead_management_api.schemas import PREFIX

from .common import IntakeCase


@tagged("post_install", "-at_install")
class TestOpenApi(IntakeCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.salesman_key = cls._api_key(cls.user_salesman)

    def setUp(self):
        super().setUp()
        response = self.url_open(PREFIX + "/openapi.json")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.headers["Content-Type"].split(";")[0], "application/json")
        self.document = response.json()

    def _validate(self, ref, instance):
        jsonschema.Draft202012Validator({"$ref": ref, "components": self.document["components"]}).validate(instance)

    def _example(self, schema):
        return self.document["components"]["schemas"][schema]["examples"][0]

    def test_document_is_openapi_31_with_valid_schemas(self):
        self.assertEqual(self.document["openapi"], "3.1.0")
        self.assertEqual(self.document["servers"][0]["url"], self.base_url())
        for name, schema in self.document["components"]["schemas"].items():
            with self.subTest(schema=name):
                jsonschema.Draft202012Validator.check_schema(schema)
        for name in ("LeadIn", "EventIn"):
            self._validate(f"#/components/schemas/{name}", self._example(name))

    def test_routes_are_the_documented_paths(self):
        served = {}
        for rule in self.env["ir.http"].routing_map().iter_rules():
            if rule.rule.startswith(PREFIX):
                path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)  # werkzeug's <int:id> is OpenAPI's {id}
                served.setdefault(path, set()).update(method.lower() for method in rule.methods or ()
                                                           if method not in ("HEAD", "OPTIONS"))
        documented = {path: set(operations) for path, operations in self.document["paths"].items()}
        self.assertEqual(served, documented)

    def _scenarios(self, path, request_schema):
        """{status: callable sending a request that should answer it} for a POST route."""
        batch = request_schema.endswith("BatchIn")
        example = self._example(request_schema.replace("BatchIn", "In"))
        body = {"items": [example]} if batch else example
        params = self.env["ir.config_parameter"]

        def too_large():
            params.set_param("lead_management_api.max_body_kb", 1)
            try:
                return self.post(path, data=b'{"notes": "' + b"x" * 2000 + b'"}')
            finally:
                params.set_param("lead_management_api.max_body_kb", 1024)

        def too_many_requests():
            params.set_param("lead_management_api.rate_limit", 1)
            try:
                self.post(path, body)
                return self.post(path, body)
            finally:
                params.set_param("lead_management_api.rate_limit", 600)

        def conflict():
            def always_conflicting(*args, **kwargs):
                raise pg_errors.SerializationFailure("could not serialize access due to concurrent update")

            with patch.object(LeadIntake, "_intake_lead", always_conflicting), \
                    patch.object(LeadIntake, "_intake_event", always_conflicting):
                return self.post(path, dict(body, external_id="conflicting"))

        def replay():
            self.post(path, body)
            return self.post(path, body)

        return {
            201: lambda: self.post(path, body if batch else dict(body, external_id=f"new{path}")),
            202: lambda: self.post(path, body, headers={"Prefer": "respond-async"}),
            200: replay,
            400: lambda: self.post(path, {"unknown": 1}),
            401: lambda: self.post(path, body, key="not-a-valid-key"),
            403: lambda: self.post(path, body, key=self.salesman_key),
            409: conflict,
            411: lambda: self.post(path, data=(chunk for chunk in [b"{}"])),
            413: too_large,
            415: lambda: self.post(path, body, content_type="text/plain"),
            429: too_many_requests,
        }

    def _check_batch_route(self, path, documented):
        """GET batches/{id}: each documented answer given, and matching its schema."""
        queued = self.post("/leads/batch", {"items": [self._example("LeadIn"), {"external_id": "bad"}]},
                           headers={"Prefer": "respond-async"})
        self.assertEqual(queued.status_code, 202, queued.text)
        self.env["lead.intake.batch"].sudo()._cron_run_batches()
        url = self.base_url() + path.format(batch_id=queued.json()["batch"]["id"])
        params = self.env["ir.config_parameter"]

        def get(key=None, url=url):
            return self.opener.get(url, headers={"Authorization": f"Bearer {key or self.key}"}, timeout=30)

        def too_many_requests():
            params.set_param("lead_management_api.rate_limit", 1)
            try:
                get()
                return get()
            finally:
                params.set_param("lead_management_api.rate_limit", 600)

        scenarios = {
            200: get,
            401: lambda: get(key="not-a-valid-key"),
            403: lambda: get(key=self.salesman_key),
            404: lambda: get(url=self.base_url() + path.format(batch_id=999999999)),
            429: too_many_requests,
        }
        self.assertEqual(set(documented), {str(status) for status in scenarios})
        for status, send in scenarios.items():
            with self.subTest(path=path, status=status):
                response = send()
                self.assertEqual(response.status_code, status, response.text)
                self._validate(documented[str(status)]["content"]["application/json"]["schema"]["$ref"],
                               response.json())
        # The example was sent at the start of the test: a replay.
        self.assertEqual([result["status"] for result in get().json()["results"]], [200, 400])

    def test_every_documented_answer_is_given_and_matches(self):
        # Events name the lead of the LeadIn example.
        self.assertEqual(self.post("/leads", self._example("LeadIn")).status_code, 201)
        for path, operations in self.document["paths"].items():
            for method, operation in operations.items():
                documented = operation["responses"]
                if method == "get" and "{batch_id}" in path:
                    self._check_batch_route(path, documented)
                    continue
                if method == "get":
                    response = self.url_open(path)
                    self.assertIn(str(response.status_code), documented)
                    continue
                request_ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
                scenarios = self._scenarios(path.removeprefix(PREFIX), request_ref.rsplit("/", 1)[1])
                for status, send in scenarios.items():
                    with self.subTest(path=path, status=status):
                        response = send()
                        if str(status) not in documented:
                            # Not documented for this route: the route must not give it for that request.
                            self.assertNotEqual(response.status_code, status, response.text)
                            self.assertIn(str(response.status_code), documented, response.text)
                            continue
                        self.assertEqual(response.status_code, status, response.text)
                        schema = documented[str(status)]["content"]["application/json"]["schema"]["$ref"]
                        self._validate(schema, response.json())
                        for header in documented[str(status)].get("headers", {}):
                            self.assertIn(header, response.headers)
                # Every documented status was produced by a scenario.
                self.assertLessEqual(set(documented), {str(status) for status in scenarios})
