# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from datetime import datetime

from odoo.tests import tagged

from .common import LeadManagementCommon, LeadManagementHttpCase
from .test_reports import NOW, ReportsCommon


@tagged("post_install", "-at_install")
class TestUi(LeadManagementHttpCase, LeadManagementCommon):

    def test_login_and_find_lead_management_menu(self):
        self.start_tour("/web/login", "lead_management_menu_tour", login=None)

    def test_handoff_reject_recycle(self):
        self.lead.lifecycle_stage_id = self._stage("qualified")
        # One salesperson with room: the tour knows who answers.
        self.team_member_salesman_2.assignment_optout = True

        self.start_tour("/odoo", "lead_management_handoff_tour", login="lm_qualifier")
        self.assertEqual(self.lead.user_id, self.user_salesman)
        self.assertEqual(self.lead.handoff_state, "pending")

        self.start_tour("/odoo", "lead_management_reject_tour", login="lm_salesman")
        self.assertEqual(self.lead.lifecycle_stage_id, self._stage("recycled"))
        self.assertEqual(self.lead.rejection_reason_id, self.env.ref("lead_management.rejection_reason_not_ready"))
        self.assertEqual(self.lead.rejection_note, "Call again after their budget round in Q3")
        self.assertFalse(self.lead.user_id)
        self.assertEqual(self.lead.qualifier_id, self.user_qualifier)

        self.start_tour("/odoo", "lead_management_recycled_tour", login="lm_qualifier")

    def test_add_rule_with_preview(self):
        leads = self._create_leads(3)
        self.assertEqual(set(leads.grade_id.mapped("name")), {"D"})
        self.start_tour("/odoo", "lead_management_scoring_rule_tour", login="lm_manager")
        rule = self.env["lead.scoring.rule"].search([("name", "=", "Every lead counts")])
        self.assertEqual(rule.points, 80)
        self.assertEqual(set(leads.grade_id.mapped("name")), {"D"}, "rescored in the background, not on save")
        self._rescore()
        self.assertEqual(set(leads.grade_id.mapped("name")), {"A"})

    def test_answer_the_breached_lead_first(self):
        """A salesperson opens "Leads to Answer": the breached hand-off comes first; accepted late, it stays
        breached."""
        self.env["lead.sla.policy"].create({"name": "Answer within a day", "clock": "handoff", "target_hours": 8,
                                            "warning_hours": 4})
        self.team_member_salesman_2.assignment_optout = True
        overdue, on_time = self._create_leads(2, lifecycle_stage_id=self._stage("qualified").id)
        overdue.name, on_time.name = "Overdue: Initrode", "On time: Vandelay"
        (overdue + on_time).with_user(self.user_lead_manager).action_handoff_to_sales()
        self.env.flush_all()
        self.env.cr.execute("""UPDATE lead_sla_clock SET deadline = now() at time zone 'UTC' - interval '1 hour',
                                      warning_date = now() at time zone 'UTC' - interval '2 hour',
                                      next_check = now() at time zone 'UTC' - interval '2 hour'
                                WHERE lead_id = %s""", (overdue.id,))
        self.env.cr.execute("UPDATE crm_lead SET sla_deadline = now() at time zone 'UTC' - interval '1 hour' "
                            "WHERE id = %s", (overdue.id,))
        self.env.invalidate_all()
        self.env["crm.lead"]._cron_sla()
        self.assertEqual((overdue.sla_state, on_time.sla_state), ("breached", "on_track"))
        self.start_tour("/odoo", "lead_management_sla_answer_tour", login="lm_salesman")
        self.assertEqual(overdue.handoff_state, "accepted")
        self.assertEqual(overdue.sla_state, "breached")
        self.assertTrue(overdue.sla_met_date)

def speak(env, user, lang):
    """``user`` works in ``lang``: the language active, the addon's translations loaded."""
    env["res.lang"]._activate_lang(lang)
    env["ir.module.module"]._get("lead_management")._update_translations(lang)
    user.lang = lang


@tagged("post_install", "-at_install")
class TestArabicUi(LeadManagementHttpCase, LeadManagementCommon):
    """The addon in the rollout's languages: the hand-off in Arabic, right to left."""

    def test_handoff_in_arabic(self):
        speak(self.env, self.user_qualifier, "ar_001")
        self.assertEqual(self.env["res.lang"]._lang_get("ar_001").direction, "rtl")
        self.lead.lifecycle_stage_id = self._stage("qualified")
        self.team_member_salesman_2.assignment_optout = True
        self.start_tour("/odoo", "lead_management_handoff_ar_tour", login="lm_qualifier")
        self.assertEqual((self.lead.user_id, self.lead.handoff_state), (self.user_salesman, "pending"))


@tagged("post_install", "-at_install")
class TestJapaneseUi(LeadManagementHttpCase, ReportsCommon):
    """The addon in the rollout's languages: a report in Japanese."""

    def test_a_report_in_japanese(self):
        speak(self.env, self.user_lead_manager, "ja_JP")
        with self.frozen_at(NOW):
            self.start_tour("/odoo", "lead_management_report_ja_tour", login="lm_manager")


@tagged("post_install", "-at_install")
class TestReportsUi(LeadManagementHttpCase, ReportsCommon):

    def test_dashboard_and_reports(self):
        """A Lead Manager opens the overview and every report, switches pivot and graph, filters a campaign and
        opens the leads behind a figure. The data set is dated 2025-12 to 2026-03 and the overview shows the last 12
        months: the tour runs on the data set's day, in Python, the database and the browser."""
        with self.frozen_at(NOW):
            self.start_tour("/odoo", "lead_management_reports_tour", login="lm_manager")


@tagged("post_install", "-at_install")
class TestClock(LeadManagementHttpCase, LeadManagementCommon):
    """The tests' clock (common.frozen_at) holds for the whole stack: Python, the database and the browser."""

    def test_database_and_orm_on_the_frozen_clock(self):
        with self.frozen_at("2028-02-29 23:30:00"):
            self.env.cr.execute("SELECT now() AT TIME ZONE 'UTC', transaction_timestamp() AT TIME ZONE 'UTC'")
            self.assertEqual(self.env.cr.fetchone(), (datetime(2028, 2, 29, 23, 30),) * 2)
            lead = self._create_leads(1)
            self.env.flush_all()
            self.assertEqual(lead.create_date, datetime(2028, 2, 29, 23, 30))
            self.assertEqual(lead.lifecycle_history_ids.date, datetime(2028, 2, 29, 23, 30))
        # Back to the clock the suite runs on (which may be moved to that very day: make test-at).
        self.env.cr.execute("SELECT now() AT TIME ZONE 'UTC'")
        self.assertNotEqual(self.env.cr.fetchone()[0], datetime(2028, 2, 29, 23, 30), "the running clock is back")

    def test_browser_on_the_frozen_clock_in_the_users_time_zone(self):
        """31 December, 23:30 UTC: for a user in Tonga (UTC+13) it is already the 1st of January."""
        self.user_lead_manager.tz = "Pacific/Tongatapu"
        code = """
            const now = luxon.DateTime.now();
            const seen = now.toFormat("yyyy-MM-dd HH:mm") + " UTC" + now.toFormat("ZZ");
            if (seen.startsWith("2027-01-01 12:3") && seen.endsWith("UTC+13:00")
                    && new Date().toISOString().startsWith("2026-12-31T23:3")) {
                console.log("test successful");
            } else {
                console.error("the browser's clock says " + seen + " / " + new Date().toISOString());
            }
        """
        with self.frozen_at("2026-12-31 23:30:00"):
            self.browser_js("/odoo", code, ready="odoo.isReady", login="lm_manager")
