# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""What one lead costs through the intake, against crm.lead's own create of the same lead (what JSON-RPC does):
the validation-free part of the intake (lookup, duplicates, reference, answer) stays within a fixed margin.
bench/bench_intake.py measures both through a real server, in leads per second."""
from itertools import count

from odoo.addons.lead_management.tests.common import LeadManagementCommon

COUNT = 20
RATIO = 1.25


class TestIntakeQueries(LeadManagementCommon):

    _people = count(1)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._set_company(lead_intake_team_id=cls.team.id, country_id=cls.env.ref("base.be").id)
        cls.source = cls.env["utm.source"].create({"name": "Perf Source"})
        cls.Intake = cls.env["lead.intake"].with_user(cls.user_intake)

    def _data(self):
        number = next(self._people)
        return {"external_id": f"perf-{number}", "contact_name": f"Person {number}", "company": f"Co {number}",
                "email": f"perf{number}@example.com", "phone": f"+32 470 {number:06d}", "country_code": "BE",
                "source": "Perf Source", "notes": "Asked for a demo", "consent": True}

    def _queries(self, operation):
        self.env.flush_all()
        self.env.invalidate_all()
        before = self.env.cr.sql_log_count
        for _index in range(COUNT):
            operation(self._data())
            self.env.flush_all()
        return self.env.cr.sql_log_count - before

    def test_intake_costs_at_most_a_quarter_more_than_create(self):
        be = self.env.ref("base.be")
        Lead = self.env["crm.lead"].with_user(self.user_lead_manager)

        def create(data):
            Lead.create({"name": data["company"], "type": "lead", "user_id": False, "team_id": self.team.id,
                         "contact_name": data["contact_name"], "partner_name": data["company"],
                         "email_from": data["email"], "phone": data["phone"], "country_id": be.id,
                         "source_id": self.source.id, "description": data["notes"], "marketing_consent": "given"})

        reference = self._queries(create)
        bound = int(reference * RATIO)
        with self.assertQueryCount(bound):
            ours = self._queries(lambda data: self.Intake._intake_lead(data))
        self.assertLessEqual(ours, bound, f"intake: {ours} queries for {COUNT} leads, create: {reference}")
        self.assertEqual(self.env["lead.intake.reference"].search_count([("external_id", "like", "perf-")]), COUNT)
