# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Account scores: the open leads of one company rolled up into an account engagement score and grade, refreshed in
the statements that score the leads, readable on each lead and by fit rules."""
from unittest.mock import patch

from odoo.exceptions import AccessError
from odoo.tests import users
from odoo.tools import SQL

from odoo.addons.lead_management.models import crm_lead_account

from .common import LeadManagementCommon


class TestAccountScores(LeadManagementCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.grades = {grade.name: grade for grade in cls.env["lead.grade"].search([])}  # A 70, B 40, C 15, D 0
        cls.click = cls.env["lead.engagement.type"].create({
            "name": "Click", "code": "test_account_click", "points": 12, "half_life": 1000, "daily_cap": 0})
        cls.initech = cls.env["res.partner"].create({"name": "Initech", "is_company": True})

    def _people(self, *addresses, **values):
        return self.env["crm.lead"].create([{
            "name": f"Lead of {address}", "type": "lead", "team_id": self.team.id, "user_id": False,
            "email_from": address, **values} for address in addresses])

    def _click(self, leads, times=1):
        self.env["lead.engagement.event"].sudo()._record_events(  # what Odoo's apps record
            [{"lead_id": lead.id, "type": "test_account_click"} for lead in leads for _time in range(times)])

    def test_five_lukewarm_people_make_a_hot_account(self):
        people = self._people(*(f"person{index}@acme.lm-test.example" for index in range(5)))
        loner, = self._people("someone@gmail.com")
        self._click(people + loner, times=2)  # 24 points each: grade C, each of them
        self.assertEqual(set(people.grade_id.mapped("name")), {"C"})
        account = people[0].account_score_id
        self.assertEqual(people.account_score_id, account, "one account for the five of them")
        self.assertEqual(account.name, "acme.lm-test.example")
        self.assertEqual(account.lead_count, 5)
        self.assertAlmostEqual(people[0].account_engagement_score, 120, places=1)
        self.assertEqual(people[0].account_grade_id, self.grades["A"], "120 reaches A's 70")
        self.assertEqual(people[0].account_best_grade_id, self.grades["C"])
        self.assertFalse(loner.account_key, "a free mail provider's domain is nobody's company")
        self.assertFalse(loner.account_score_id)
        # crm's leads without a team have no company: in a database of one company they are its.
        stray = self.env["crm.lead"].create({"name": "Stray", "type": "lead", "team_id": False, "user_id": False,
                                             "company_id": False, "email_from": "stray@acme.lm-test.example"})
        self.assertFalse(stray.company_id)
        if self.env["res.company"].search_count([]) == 1:
            self.assertEqual(stray.account_score_id, account)
            self.assertEqual(account.lead_count, 6)
        else:
            self.assertNotEqual(stray.account_score_id, account)
            self.assertFalse(stray.account_score_id.company_id)
        domain = stray.account_score_id.action_open_leads()["domain"]
        self.assertEqual(domain, [("account_score_id", "=", stray.account_score_id.id)])
        self.assertIn(stray, self.env["crm.lead"].search(domain))

    def test_the_contacts_company_is_the_account_whatever_the_addresses(self):
        boss = self.env["res.partner"].create({"name": "Bill Lumbergh", "parent_id": self.initech.id})
        peter = self.env["res.partner"].create({"name": "Peter Gibbons", "parent_id": self.initech.id})
        first, second = self._people("bill@initech.lm-test.example", "peter@gmail.com")
        first.partner_id, second.partner_id = boss, peter
        self.assertEqual(first.account_key, f"partner:{self.initech.id}")
        self.assertEqual(first.account_score_id, second.account_score_id)
        self.assertEqual(first.account_score_id.partner_id, self.initech)
        self.assertEqual(first.account_score_id.name, "Initech")
        self.assertEqual(first.account_score_id.lead_count, 2)

    def test_a_lead_that_moves_to_another_account_leaves_its_old_one(self):
        first, second = self._people("a@oscorp.lm-test.example", "b@oscorp.lm-test.example")
        self._click(first + second)
        oscorp = first.account_score_id
        self.assertEqual(oscorp.lead_count, 2)
        first.email_from = "a@zorg.lm-test.example"
        self.assertEqual(first.account_score_id.name, "zorg.lm-test.example")
        self.assertEqual(oscorp.lead_count, 1, "counted once, in its new account only")
        self.assertAlmostEqual(oscorp.engagement_score, 12, places=1)
        zorg = first.account_score_id
        first.email_from = "a@gmail.com"
        self.assertFalse(first.account_score_id)
        self.assertFalse(zorg.exists(), "its last lead left: the account goes at once")

    def test_closed_leads_leave_the_account_and_the_last_one_takes_it_away(self):
        first, second = self._people("a@globex.lm-test.example", "b@globex.lm-test.example")
        self._click(first + second)
        account = first.account_score_id
        self.assertEqual(account.lead_count, 2)
        first.action_set_lost()
        self.assertEqual(account.lead_count, 1)
        self.assertAlmostEqual(account.engagement_score, 12, places=1)
        second.action_set_won()
        self.assertFalse(account.exists(), "an account without open lead goes")
        self.assertFalse(second.account_score_id)

    def test_a_fit_rule_on_the_account_follows_the_other_contacts(self):
        """"Any contact of the account is A": the event of one person rescores every lead of the account."""
        self.env["lead.scoring.rule"].create({
            "name": "Hot account", "domain": "[('account_grade_id.min_score', '>=', 70)]", "points": 30})
        self._rescore()
        quiet, busy = self._people("quiet@hooli.lm-test.example", "busy@hooli.lm-test.example")
        self.assertEqual(quiet.fit_score, 0)
        self._click(busy, times=6)  # 72 points: the account is A
        self.assertEqual(busy.account_grade_id, self.grades["A"])
        self.assertEqual(quiet.fit_score, 30, "the quiet contact's lead was rescored with its account")
        self.assertEqual(quiet.lead_score, 30)
        self.assertEqual(quiet.grade_id, self.grades["C"])
        self.assertIn(quiet, self.env["crm.lead"].search([("account_grade_id", "=", self.grades["A"].id)]))
        self.assertNotIn(quiet, self.env["crm.lead"].search([("account_grade_id", "!=", self.grades["A"].id)]))
        self.assertNotIn(quiet, self.env["crm.lead"].search([("account_score_id", "=", False)]))

    def test_entry_criteria_on_the_account_promote_its_other_leads(self):
        """A stage entered when "any contact of the account is A": the quiet contact's lead moves with the busy one."""
        stage = self.stages["lead"]
        stage.entry_domain = "[('account_best_grade_id.name', '=', 'A')]"
        quiet, busy = self._people("quiet@soylent.lm-test.example", "busy@soylent.lm-test.example")
        self.assertNotEqual(quiet.lifecycle_stage_id, stage)
        self._click(busy, times=6)  # 72 points: busy is A
        self.assertEqual(busy.grade_id, self.grades["A"])
        self.assertEqual(quiet.account_best_grade_id, self.grades["A"])
        self.assertEqual(busy.lifecycle_stage_id, stage)
        self.assertEqual(quiet.lifecycle_stage_id, stage, "promoted with its account, without a change of its own")

    def test_one_event_rolls_up_in_a_bounded_number_of_queries(self):
        """The rescore of the lead and its account's roll-up: a fixed cost, whatever the size of the account."""
        for size in (2, 20):
            people = self._people(*(f"person{index}@bounded{size}.lm-test.example" for index in range(size)))
            self._click(people[1])  # the first event of the test reads what Odoo caches once
            self.env.flush_all()
            self.env.invalidate_all()
            # The event, its lead rescored, its account read before and after and the change added to it.
            with self.assertQueryCount(__system__=13):
                self._click(people[0])
            self.assertAlmostEqual(people[0].account_engagement_score, 24, places=1)

    @users("lm_salesman")
    def test_a_salesperson_moves_other_peoples_leads_of_the_account_without_reading_them(self):
        """A salesperson's lead joins an account: the account's other leads, which they may not read, are rescored
        by the system, not refused to them."""
        Lead = self.env["crm.lead"]
        self.env["lead.scoring.rule"].sudo().create({
            "name": "Warm account", "domain": "[('account_grade_id.min_score', '>=', 40)]", "points": 30})
        self._rescore()
        theirs = Lead.sudo().create({"name": "Sasha's", "type": "opportunity", "user_id": self.user_salesman_2.id,
                                     "team_id": self.team.id, "email_from": "x@wonka.lm-test.example"})
        mine = Lead.create({"name": "Mine", "type": "opportunity", "user_id": self.user_salesman.id,
                            "team_id": self.team.id, "email_from": "me@gmail.com"})
        self._click(theirs, times=3)  # 36: their account is C
        self._click(mine)
        self.assertFalse(Lead.search([("id", "=", theirs.id)]), "the salesperson may not read Sasha's lead")
        self.assertEqual(theirs.sudo().fit_score, 0)
        mine.email_from = "me@wonka.lm-test.example"  # 36 + 12: the account is B
        self.assertEqual(mine.account_grade_id, self.grades["B"])
        self.assertEqual(theirs.sudo().fit_score, 30, "rescored with its account")
        self.assertEqual(mine.fit_score, 30)

    def test_an_account_of_too_many_leads_is_rolled_up_at_night(self):
        """A domain shared by more leads than ACCOUNT_LIVE_LIMIT is not a company: requests do not aggregate it (an
        event adds its lead's change to it, which reads none of its other leads)."""
        people = self._people(*(f"p{index}@shared.lm-test.example" for index in range(3)))
        account = people.account_score_id
        self.assertEqual(account.lead_count, 3)
        with self.frozen_at("2026-03-01 12:00:00"), patch.object(crm_lead_account, "ACCOUNT_LIVE_LIMIT", 2):
            self._click(people[0])
            self.assertAlmostEqual(account.engagement_score, 12, places=6, msg="the event's change, added")
            newcomer = self._people("p3@shared.lm-test.example")
            self.assertEqual(newcomer.account_score_id, account, "linked at once, counted at night")
            self.assertEqual(account.lead_count, 3)
            self._rescore()
            self.assertEqual(account.lead_count, 4)
            self.assertAlmostEqual(account.engagement_score, 12, places=1)

    def _assert_rolled_up_as_in_full(self, account):
        """The account's values are those a roll-up of all its leads gives."""
        values = account.read(["engagement_score", "grade_id", "best_grade_id", "lead_count"])[0]
        self.env["crm.lead"]._scoring_refresh_accounts(SQL("crm_lead.account_score_id = %s", account.id))
        account.invalidate_recordset()
        rolled = account.read(["engagement_score", "grade_id", "best_grade_id", "lead_count"])[0]
        self.assertAlmostEqual(values.pop("engagement_score"), rolled.pop("engagement_score"), places=6)
        self.assertEqual(values, rolled)

    def test_events_add_their_change_to_the_account_without_reading_its_other_leads(self):
        """A batch of events (the Email Marketing job's) adds each lead's change of engagement to its account, in
        one statement that reads none of the account's other leads: the same values as a roll-up of them all."""
        # One moment for every event and rescore: the sums below are exact, not decayed by the seconds between.
        with self.frozen_at("2026-03-01 12:00:00"):
            people = self._people(*(f"person{index}@globex.lm-test.example" for index in range(6)))
            account = people.account_score_id
            self._click(people[:2], times=2)  # 24 each: C
            self._assert_rolled_up_as_in_full(account)
            self.assertEqual(account.best_grade_id, self.grades["C"])
            statements = []
            roll_up = crm_lead_account.CrmLead._scoring_roll_up_accounts

            def counted(records, scope, follow, live):
                statements.append(scope)
                return roll_up(records, scope, follow, live)

            with patch.object(crm_lead_account.CrmLead, "_scoring_roll_up_accounts", counted):
                self._click(people[1:4], times=4)  # 48 and 72: B and A
            self.assertFalse(statements, "no roll-up of the account's leads")
            self.assertAlmostEqual(account.engagement_score, 24 + 72 + 48 + 48, places=6)
            self.assertEqual(account.grade_id, self.grades["A"])
            self.assertEqual(account.best_grade_id, self.grades["A"], "its new best contact")
            self._assert_rolled_up_as_in_full(account)

    def test_the_best_contact_falling_rolls_its_account_up_in_full(self):
        """What a lead's own change cannot say: the account's best contact fell (another lead may now be best), or a
        lead not linked to its key's account. Those accounts are rolled up from all their leads."""
        # One moment for every event and rescore: the sums below are exact, not decayed by the seconds between.
        with self.frozen_at("2026-03-01 12:00:00"):
            people = self._people(*(f"person{index}@soylent.lm-test.example" for index in range(3)))
            account = people.account_score_id
            self._click(people[0], times=4)  # 48: B, the best
            self._click(people[1], times=2)  # 24: C
            self.assertEqual(account.best_grade_id, self.grades["B"])
            people[0].engagement_event_ids[:3].unlink()  # 12: D
            self.assertEqual(people[0].grade_id, self.grades["D"])
            self.assertEqual(account.best_grade_id, self.grades["C"], "the other contact is the best now")
            self.assertAlmostEqual(account.engagement_score, 36, places=6)
            self._assert_rolled_up_as_in_full(account)
            # A lead unlinked behind the ORM's back, in a batch with a linked lead of its account: the account is rolled
            # up in full after the linked lead's change was added (counted once), and the lead linked again.
            self.env.cr.execute("UPDATE crm_lead SET account_score_id = NULL WHERE id = %s", [people[2].id])
            self.env.invalidate_all()
            self._click(people[0] + people[2])
            self.assertEqual(people[2].account_score_id, account)
            self.assertAlmostEqual(account.engagement_score, 24 + 24 + 12, places=6)
            self._assert_rolled_up_as_in_full(account)

    def test_the_nightly_rescore_drops_accounts_left_empty(self):
        lead, = self._people("only@vandelay.lm-test.example")
        account = lead.account_score_id
        self.env.cr.execute("UPDATE crm_lead SET active = false WHERE id = %s", [lead.id])  # closed behind our back
        self._rescore()
        self.assertFalse(account.exists())

    def test_the_nightly_rescore_rolls_accounts_up_once_after_every_range(self):
        """An account's leads are spread over the ids: the nightly rescore rolls it up once, in its last range, with
        every range's leads rescored (rolled up in its first range, the account would miss the second's decay)."""
        self.click.half_life = 10
        with self.frozen_at("2026-03-01 12:00:00"):
            first, second = self._people("first@hooli.lm-test.example", "second@hooli.lm-test.example")
            self._click(first + second)
        statements = []
        roll_up = crm_lead_account.CrmLead._scoring_roll_up_accounts

        def counted(records, scope, follow, live):
            statements.append(scope)
            return roll_up(records, scope, follow, live)

        with self.frozen_at("2026-03-11 12:00:00"), patch.object(crm_lead_account.CrmLead,
                                                                 "_scoring_roll_up_accounts", counted):
            # Ranges of one id: the two leads are rescored in two ranges, among those of every other open lead.
            self.env["crm.lead"]._cron_rescore(batch_size=second.id - first.id)
        self.assertEqual(len(statements), 1, "one roll-up for the night")
        self.assertAlmostEqual(first.engagement_score, 6.0, places=6, msg="a half-life later")
        self.assertAlmostEqual(first.account_score_id.engagement_score, 12.0, places=6)

    @users("lm_salesman")
    def test_a_salesperson_reads_the_account_of_their_lead_not_its_count(self):
        lead = self.env["crm.lead"].create({"name": "Mine", "type": "opportunity", "user_id": self.user_salesman.id,
                                            "email_from": "x@umbrella.lm-test.example", "team_id": self.team.id})
        self.env["crm.lead"].sudo().create({"name": "Not mine", "type": "opportunity", "user_id": False,
                                            "email_from": "y@umbrella.lm-test.example", "team_id": self.team.id})
        self.assertEqual(lead.account_score_id.name, "umbrella.lm-test.example")
        self.assertEqual(lead.account_grade_id, self.grades["D"])
        self.assertIn(lead, self.env["crm.lead"].search([("account_grade_id", "=", self.grades["D"].id)]))
        with self.assertRaises(AccessError):  # the managers' figure: it counts leads the salesperson may not read
            lead.account_score_id.read(["lead_count"])
        with self.assertRaises(AccessError):
            self.env["lead.account.score"].browse(lead.account_score_id.id).write({"engagement_score": 1000})

    @users("lm_manager")
    def test_the_accounts_report_for_a_lead_manager(self):
        self.env["crm.lead"].sudo().create([{"name": f"Lead {index}", "type": "lead", "team_id": self.team.id,
                                             "email_from": f"p{index}@stark.lm-test.example"} for index in range(3)])
        action = self.env.ref("lead_management.lead_account_score_action")._get_action_dict()
        accounts = self.env["lead.account.score"].search([("name", "=", "stark.lm-test.example")])
        self.assertEqual(accounts.lead_count, 3)
        self.assertEqual(action["res_model"], "lead.account.score")
        leads_action = accounts.action_open_leads()
        self.assertEqual(self.env["crm.lead"].search_count(leads_action["domain"]), 3)
