# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Routing that knows who is at work, on a fixed clock: Wednesday 4 March 2026, 10:00 UTC.

Every rep and salesperson here has a resource of their own on the office calendar (Monday to Friday,
09:00-12:00 and 13:00-17:00) in UTC: at 10:00 they are at work, unless a time off covers the moment or their
resource lives in a time zone where it is evening (Asia/Tokyo: 19:00)."""
from datetime import datetime

from odoo.exceptions import AccessError
from odoo.tests import users

from .common import LeadManagementCommon

NOW = datetime(2026, 3, 4, 10, 0)


class TestRouting(LeadManagementCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.office = cls.env["resource.calendar"].create({
            "name": "Office", "tz": "UTC", "hours_per_day": 7,
            "attendance_ids": [(5, 0, 0)] + [
                (0, 0, {"name": f"{day} {period}", "dayofweek": str(day), "hour_from": start, "hour_to": end,
                        "day_period": period})
                for day in range(5) for start, end, period in ((9, 12, "morning"), (13, 17, "afternoon"))],
        })
        cls.resources = {user: cls.env["resource.resource"].create({
            "name": user.name, "user_id": user.id, "calendar_id": cls.office.id, "tz": "UTC",
            "company_id": cls.company.id,
        }) for user in (cls.user_qualifier, cls.user_qualifier_2, cls.user_salesman, cls.user_salesman_2)}
        # Leads one can reach are a good fit: grade A, the grade sales takes.
        cls.env["lead.scoring.rule"].create({
            "name": "Reachable", "domain": "[('email_from', '!=', False)]", "points": 80})
        cls._rescore()

    def setUp(self):
        super().setUp()
        clock = self.frozen_at(NOW)
        clock.__enter__()
        self.addCleanup(clock.__exit__, None, None, None)

    def _leave(self, user, start="2026-03-02 00:00:00", end="2026-03-07 00:00:00"):
        return self.env["resource.calendar.leaves"].sudo().create({
            "name": f"{user.name}'s holiday", "resource_id": self.resources[user].id, "calendar_id": self.office.id,
            "date_from": start, "date_to": end, "time_type": "leave", "company_id": self.company.id})

    def _speed_policy(self):
        return self.env["lead.sla.policy"].create({
            "name": "Speed to lead", "clock": "speed", "target_hours": 4, "calendar_id": self.office.id})

    def _log(self, lead, kind="qualifier"):
        return lead.routing_log_ids.filtered(lambda log: log.kind == kind)

    def test_rep_on_leave_is_passed_over(self):
        self._leave(self.user_qualifier_2)
        leads = self._create_leads(3)
        self.assertEqual(leads.qualifier_id, self.user_qualifier, "the rep on holiday gets no lead")
        log = self._log(leads[0])
        self.assertEqual(len(log), 1)
        self.assertEqual(log.user_id, self.user_qualifier)
        self.assertEqual((log.skipped_leave, log.skipped_hours, log.skipped_capacity, log.routed_count), (1, 0, 0, 1))
        self.assertEqual(log.reason, "to Quinn Qualifier: the least loaded qualifying rep (open leads: 1); "
                                     "Quentin Qualifier on leave")
        self.assertEqual(leads[0].routing_note, log.reason)
        # Back from leave (Monday the 9th), the rep gets leads again: the least loaded first.
        with self.frozen_at("2026-03-09 10:00:00"):
            later = self._create_leads(2)
        self.assertEqual(later.qualifier_id, self.user_qualifier_2)

    def test_company_closing_day_is_leave_for_everyone(self):
        self.env["resource.calendar.leaves"].create({
            "name": "Carnival", "calendar_id": self.office.id, "date_from": "2026-03-04 00:00:00",
            "date_to": "2026-03-05 00:00:00", "time_type": "leave", "company_id": self.company.id})
        lead = self._create_leads(1)
        self.assertTrue(lead.is_unowned, "nobody works on the office's closing day")
        self.assertEqual(self._log(lead).reason, "to nobody: nobody is available; Quinn Qualifier on leave; "
                                                 "Quentin Qualifier on leave")
        self.assertFalse(self._log(lead).user_id)

    def test_off_hours_matter_when_an_sla_clock_starts(self):
        self.resources[self.user_qualifier_2].tz = "Asia/Tokyo"  # 19:00 there
        # No speed-to-lead clock: who is in the office does not matter, the reps take turns.
        leads = self._create_leads(2)
        self.assertEqual(leads.qualifier_id, self.user_qualifier + self.user_qualifier_2)
        self._speed_policy()
        leads = self._create_leads(3)
        self.assertEqual(leads.qualifier_id, self.user_qualifier, "the clock would run out while Quentin sleeps")
        log = self._log(leads[0])
        self.assertEqual((log.skipped_leave, log.skipped_hours), (0, 1))
        self.assertIn("Quentin Qualifier outside working hours", log.reason)
        # Evening for everyone: the lead still gets an owner (the least loaded), and the note says so.
        self.resources[self.user_qualifier].tz = "Asia/Tokyo"
        lead = self._create_leads(1)
        self.assertEqual(lead.qualifier_id, self.user_qualifier_2)
        self.assertIn("though outside working hours (nobody is at work)", lead.routing_note)

    def test_capacity_and_nobody_logged_once(self):
        # The database's other leads without owner (demo data) are not this test's.
        self.env["crm.lead"].search([("is_unowned", "=", True)]).active = False
        self._set_company(lead_qualifier_cap=2)
        self._leave(self.user_qualifier_2)
        leads = self._create_leads(2)  # Quinn owns cls.lead already: one more, then full
        self.assertEqual(leads[0].qualifier_id, self.user_qualifier)
        stuck = leads[1]
        self.assertTrue(stuck.is_unowned)
        self.assertEqual(self._log(stuck).reason, "to nobody: nobody is available; Quentin Qualifier on leave; "
                                                  "Quinn Qualifier at capacity")
        self.assertEqual((self._log(stuck).skipped_leave, self._log(stuck).skipped_capacity), (1, 1))
        # The hourly retry finds the same: no second row.
        self.env["crm.lead"]._cron_assign_qualifiers()
        self.env["crm.lead"]._cron_assign_qualifiers()
        stuck.invalidate_recordset(["routing_log_ids"])
        self.assertEqual(len(self._log(stuck)), 1)
        # Back from leave: the retry gives the lead to the rep, and says so.
        with self.frozen_at("2026-03-09 10:00:00"):
            self.env["crm.lead"]._cron_assign_qualifiers()
        stuck.invalidate_recordset(["routing_log_ids"])
        self.assertEqual(stuck.qualifier_id, self.user_qualifier_2)
        self.assertEqual(self._log(stuck).mapped("routed_count"), [1, 0])
        self.assertIn("to Quentin Qualifier", stuck.routing_note)
        self.assertIn("Quinn Qualifier at capacity", stuck.routing_note)

    def test_handoff_passes_over_salesperson_on_leave(self):
        self._leave(self.user_salesman_2)
        leads = self._create_leads(3)
        action = leads.with_user(self.user_lead_manager).action_handoff_to_sales()
        # Daily quota of 2 per salesperson: Sam takes two, Sasha is away, the third stays with marketing.
        self.assertEqual(leads.user_id, self.user_salesman)
        self.assertEqual(len(leads.filtered("user_id")), 2)
        self.assertIn("Sasha Salesman on leave", action["params"]["message"])
        handed = leads.filtered("user_id")[0]
        log = self._log(handed, "handoff")
        self.assertEqual(log.user_id, self.user_salesman)
        self.assertEqual(log.reason, "to Sam Salesman: next in turn with room (leads left today: 2); "
                                     "Sasha Salesman on leave")
        self.assertEqual(log.skipped_leave, 1)
        stay = leads.filtered(lambda lead: not lead.user_id)
        self.assertEqual(self._log(stay, "handoff").reason,
                         "to nobody: nobody is available; Sasha Salesman on leave; Sam Salesman at capacity")

    def test_roles_see_the_routing_of_their_leads_only(self):
        self._leave(self.user_salesman_2, end="2026-03-04 10:30:00")
        first = self._create_leads(1)
        first.with_user(self.user_lead_manager).action_handoff_to_sales()
        self.assertEqual(first.user_id, self.user_salesman)
        with self.frozen_at("2026-03-04 11:00:00"):
            second = self._create_leads(1)
            self.team_member_salesman.assignment_optout = True
            second.with_user(self.user_lead_manager).action_handoff_to_sales()
        self.assertEqual(second.user_id, self.user_salesman_2)
        Log = self.env["lead.routing.log"]
        mine = [("lead_id", "in", (first + second).ids), ("kind", "=", "handoff")]
        # Sasha reads her lead's routing, not Sam's: in the list, its count and its groups.
        as_sasha = Log.with_user(self.user_salesman_2)
        self.assertEqual(as_sasha.search(mine).lead_id, second)
        self.assertEqual(as_sasha.search_count(mine), 1)
        self.assertEqual(as_sasha.read_group(mine, ["routed_count:sum"], ["user_id"])[0]["routed_count"], 1)
        with self.assertRaises(AccessError):
            Log.search(mine + [("lead_id", "=", first.id)]).with_user(self.user_salesman_2).read(["reason"])
        # The lead managers and sales managers of the report see both.
        for user in (self.user_lead_manager, self.user_sales_manager):
            self.assertEqual(Log.with_user(user).search_count(mine), 2)
        # Nobody writes a routing row from the web client.
        log = Log.search(mine, limit=1)
        for user in (self.user_lead_manager, self.user_sales_manager, self.user_salesman):
            with self.assertRaises(AccessError):
                log.with_user(user).write({"reason": "to me"})
            with self.assertRaises(AccessError):
                Log.with_user(user).create({"lead_id": first.id, "kind": "handoff", "reason": "to me"})

    @users("lm_qualifier")
    def test_qualifier_reads_why_on_the_form(self):
        self._leave(self.user_qualifier_2)
        lead = self.env["crm.lead"].browse(self._create_leads(1).id)
        self.assertEqual(lead.qualifier_id, self.env.user)
        self.assertIn("Quentin Qualifier on leave", lead.routing_note)
        self.assertEqual(lead.routing_log_ids.user_id, self.env.user)

    def test_query_count_of_routing(self):
        """The presence of the team (leaves and schedules) is read once per assignment, whatever the leads. Measured
        35 alone, 37 in the whole suite (Odoo's caches of groups and policies cold)."""
        self._leave(self.user_qualifier_2)
        self._speed_policy()
        leads = self._create_leads(2)
        self.env.flush_all()
        self.env.cr.execute("UPDATE crm_lead SET qualifier_id = NULL WHERE id IN %s", [tuple(leads.ids)])
        self.env.invalidate_all()
        with self.assertQueryCount(__system__=37):
            leads._assign_qualifiers(track=False)
        leads = self._create_leads(10)
        self.env.flush_all()
        self.env.cr.execute("UPDATE crm_lead SET qualifier_id = NULL WHERE id IN %s", [tuple(leads.ids)])
        self.env.invalidate_all()
        with self.assertQueryCount(__system__=37):
            leads._assign_qualifiers(track=False)
        self.assertEqual(len(leads.routing_log_ids.filtered("user_id")), 20)
