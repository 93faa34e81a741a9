# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import importlib.util
import json
import os
from contextlib import contextmanager
from datetime import date, datetime
from itertools import count
from unittest.mock import patch

from freezegun import freeze_time

from odoo.modules import get_module_path
from odoo.tests import HttpCase, TransactionCase
from odoo.tests.common import ChromeBrowser

from odoo.addons.mail.tests.common import mail_new_test_user

# The moments the tests' clock is frozen at, innermost last (see frozen_at).
_FROZEN = []

# PostgreSQL's now() (and its siblings) for the test transaction: the frozen moment when one is set, else the real
# one. Found before pg_catalog's through the search path set by frozen_at; CURRENT_DATE and CURRENT_TIMESTAMP are
# SQL keywords that this cannot reach: the addon's SQL uses now().
_PG_CLOCK = """
    CREATE SCHEMA IF NOT EXISTS lm_test_clock;
    CREATE OR REPLACE FUNCTION lm_test_clock.now() RETURNS timestamptz LANGUAGE sql STABLE AS $$
        SELECT COALESCE(NULLIF(current_setting('lm_test_clock.now', true), '')::timestamptz, pg_catalog.now())
    $$;
    CREATE OR REPLACE FUNCTION lm_test_clock.transaction_timestamp() RETURNS timestamptz LANGUAGE sql STABLE AS $$
        SELECT lm_test_clock.now()
    $$;
    CREATE OR REPLACE FUNCTION lm_test_clock.statement_timestamp() RETURNS timestamptz LANGUAGE sql STABLE AS $$
        SELECT lm_test_clock.now()
    $$;
    CREATE OR REPLACE FUNCTION lm_test_clock.clock_timestamp() RETURNS timestamptz LANGUAGE sql VOLATILE AS $$
        SELECT lm_test_clock.now()
    $$;
    SET LOCAL search_path = lm_test_clock, "$user", public, pg_catalog;
"""

# The browser's Date, shifted to the frozen moment when the page loads (then running, as a clock does).
_BROWSER_CLOCK = """(() => {
    const RealDate = Date;
    const offset = %(ms)s - RealDate.now();
    function FrozenDate(...args) {
        if (!new.target) {
            return new RealDate(RealDate.now() + offset).toString();
        }
        return args.length ? new RealDate(...args) : new RealDate(RealDate.now() + offset);
    }
    FrozenDate.prototype = RealDate.prototype;
    FrozenDate.now = () => RealDate.now() + offset;
    FrozenDate.parse = RealDate.parse;
    FrozenDate.UTC = RealDate.UTC;
    globalThis.Date = FrozenDate;
})();"""


def _to_datetime(when):
    if isinstance(when, str):
        when = datetime.fromisoformat(when)
    elif isinstance(when, date) and not isinstance(when, datetime):
        when = datetime(when.year, when.month, when.day)
    return when.replace(tzinfo=None)


@contextmanager
def frozen_at(env, when):
    """Freeze the tests' clock at ``when`` (naive UTC) for the whole stack under test: Python (freezegun), the
    database of the test transaction (now() and the ORM's create and write dates, through ``lm_test_clock``) and
    the browser of the tours started meanwhile (LeadManagementHttpCase). Nests."""
    when = _to_datetime(when)
    cr = env.cr
    cr.execute(_PG_CLOCK)
    with freeze_time(when):
        _FROZEN.append(when)
        cr.execute("SELECT set_config('lm_test_clock.now', %s, true)", [f"{when.isoformat()}+00:00"])
        cr._now = None  # the transaction's timestamp, as the ORM caches it
        try:
            yield when
        finally:
            _FROZEN.pop()
            outer = f"{_FROZEN[-1].isoformat()}+00:00" if _FROZEN else ""
            cr.execute("SELECT set_config('lm_test_clock.now', %s, true)", [outer])
            cr._now = None


class LeadManagementCommon(TransactionCase):
    """The world every lead_management test starts from, built once per class.

    Organisation (team: "Inbound"):
      user_qualifier, user_qualifier_2  Qualifying Rep, members of the team
      user_lead_manager                 Lead Manager
      user_salesman, user_salesman_2    salespeople, team members with a capacity
      user_sales_manager                sales manager, leader of the team
    Outside the team: user_portal (a portal partner), user_intake (Lead Intake API user), user_public
    (the website's public user).
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True, mail_create_nolog=True))
        # LM_TEST_TZ: every test user (and the browser of the tours) lives in that time zone, e.g. Pacific/Tongatapu
        # (UTC+13) to run the suite where "today" is already tomorrow in UTC (README: Running the suite on another
        # date). Tests that need a time zone of their own set it.
        cls.test_tz = os.environ.get("LM_TEST_TZ") or False
        cls.company = cls.env.ref("base.main_company")
        # The database may hold demo configuration (fit rules, SLA policies, nurture tracks): each test sets
        # up what it needs.
        demo_rules = cls.env["lead.scoring.rule"].search([])
        cls.env["lead.grade"].search([]).nurture_track_id = False
        cls.env["lead.nurture.track"].search([]).active = False
        cls.env["lead.sla.policy"].search([]).active = False
        # Nurture e-mails go out whenever they are due (tests of working hours and weekly limits set their own).
        cls.env["res.company"].search([]).write({"nurture_working_hours": False, "nurture_weekly_cap": 0})
        if demo_rules:
            demo_rules.active = False
            cls.env["crm.lead"]._cron_rescore()
        sales_groups = "sales_team.group_sale_salesman,crm.group_use_lead"
        cls.user_qualifier = mail_new_test_user(
            cls.env, login="lm_qualifier", name="Quinn Qualifier",
            groups=f"{sales_groups},lead_management.group_lead_qualifier",
        )
        cls.user_qualifier_2 = mail_new_test_user(
            cls.env, login="lm_qualifier_2", name="Quentin Qualifier",
            groups=f"{sales_groups},lead_management.group_lead_qualifier",
        )
        cls.user_lead_manager = mail_new_test_user(
            cls.env, login="lm_manager", name="Mara Manager",
            groups=f"{sales_groups},lead_management.group_lead_manager",
        )
        cls.user_salesman = mail_new_test_user(
            cls.env, login="lm_salesman", name="Sam Salesman", groups=sales_groups,
        )
        cls.user_salesman_2 = mail_new_test_user(
            cls.env, login="lm_salesman_2", name="Sasha Salesman", groups=sales_groups,
        )
        cls.user_sales_manager = mail_new_test_user(
            cls.env, login="lm_sales_manager", name="Simone Sales Manager",
            groups="sales_team.group_sale_manager,crm.group_use_lead",
        )
        cls.user_portal = mail_new_test_user(
            cls.env, login="lm_portal", name="Paula Portal", groups="base.group_portal")
        cls.user_intake = mail_new_test_user(
            cls.env, login="lm_intake", name="Ivan Intake", groups="lead_management.group_lead_intake")
        cls.user_public = cls.env.ref("base.public_user")
        if cls.test_tz:
            (cls.env.user | cls.env.ref("base.user_admin") | cls.user_qualifier | cls.user_qualifier_2
             | cls.user_lead_manager | cls.user_salesman | cls.user_salesman_2 | cls.user_sales_manager
             | cls.user_portal | cls.user_intake).tz = cls.test_tz
            cls.env = cls.env(context=dict(cls.env.context, tz=cls.test_tz))
        cls.team = cls.env["crm.team"].create({
            "name": "Inbound",
            "use_leads": True,
            "use_opportunities": True,
            "user_id": cls.user_sales_manager.id,
            "assignment_domain": False,
            "company_id": cls.company.id,
        })
        # crm's capacity is per 30 days: 60 means a daily quota of 2 leads per salesperson.
        cls.team_member_salesman, cls.team_member_salesman_2 = cls.env["crm.team.member"].create([
            {"crm_team_id": cls.team.id, "user_id": cls.user_salesman.id, "assignment_max": 60},
            {"crm_team_id": cls.team.id, "user_id": cls.user_salesman_2.id, "assignment_max": 60},
        ])
        cls.env["crm.team.member"].create([
            {"crm_team_id": cls.team.id, "user_id": cls.user_qualifier.id},
            {"crm_team_id": cls.team.id, "user_id": cls.user_qualifier_2.id},
        ])
        cls.stages = {
            stage.code: stage for stage in cls.env["lead.lifecycle.stage"].search([("company_id", "=", False)])
        }
        cls.lead = cls.env["crm.lead"].create({
            "name": "Acme wants a demo",
            "user_id": False,
            "qualifier_id": cls.user_qualifier.id,
            "type": "lead",
            "team_id": cls.team.id,
            "contact_name": "Ada Acme",
            "partner_name": "Acme Corp",
            "email_from": "ada@acme.example.com",
            "phone": "+32 2 290 34 90",
        })

    _contacts = count(1)

    @classmethod
    def frozen_at(cls, when):
        """``with self.frozen_at("2026-03-01 12:00:00"):`` — see the module's frozen_at."""
        return frozen_at(cls.env, when)

    @classmethod
    def _create_leads(cls, number, **values):
        """Leads of the team, owned by nobody yet unless ``values`` says otherwise; each a different person (its
        own e-mail address), so that none is taken for a duplicate of another."""
        return cls.env["crm.lead"].create([{
            "name": f"Lead {index}",
            "type": "lead",
            "team_id": cls.team.id,
            "user_id": False,
            "email_from": f"contact{next(cls._contacts)}@example.com",
            **values,
        } for index in range(number)])

    @classmethod
    def _rescore(cls):
        """What the background rescore job does after a rule, grade or engagement type changed."""
        cls.env["crm.lead"]._cron_rescore()

    @classmethod
    def _set_company(cls, company=None, **values):
        """Lead Management settings of a company (the main one by default): lead_auto_handoff, …"""
        (company or cls.company).write(values)

    def _stage(self, code):
        return self.stages[code]

    def _last_move(self, lead):
        return self.env["lead.lifecycle.history"].search([("lead_id", "=", lead.id)], order="id desc", limit=1)


class LeadManagementHttpCase(HttpCase):
    """HttpCase whose tours run in the browser of the user who logs in: that user's time zone (UTC when none),
    and the clock frozen by frozen_at when one is."""

    def browser_js(self, url_path, code, ready="", login=None, **kwargs):
        user = self.env["res.users"].sudo().search([("login", "=", login)], limit=1) if login else None
        timezone = (user and user.tz) or "UTC"
        moment = _FROZEN[-1] if _FROZEN else None
        navigate_to = ChromeBrowser.navigate_to

        def navigate_in_time(browser, url, wait_stop=False):
            browser._websocket_request("Emulation.setTimezoneOverride", params={"timezoneId": timezone})
            if moment:
                milliseconds = int((moment - datetime(1970, 1, 1)).total_seconds() * 1000)
                browser._websocket_request("Page.addScriptToEvaluateOnNewDocument",
                                           params={"source": _BROWSER_CLOCK % {"ms": json.dumps(milliseconds)}})
            return navigate_to(browser, url, wait_stop=wait_stop)

        with patch.object(ChromeBrowser, "navigate_to", navigate_in_time):
            return super().browser_js(url_path, code, ready=ready, login=login, **kwargs)


def migration(module, version, name):
    """The migration script ``name`` of ``module``'s ``version`` (its ``migrate(cr, version)``), loaded as Odoo
    loads it."""
    path = os.path.join(get_module_path(module), "migrations", version, name)
    spec = importlib.util.spec_from_file_location(f"{module}_{version}_{name}".replace(".", "_").replace("-", "_"),
                                                  path)
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    return script.migrate
