# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from itertools import count

from odoo.tests import TransactionCase

from odoo.addons.mail.tests.common import mail_new_test_user


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
        cls.company = cls.env.ref("base.main_company")
        # The database may hold demo configuration (fit rules, SLA policies, nurture tracks): each test sets
        # up what it needs.
        demo_rules = cls.env["lead.scoring.rule"].search([])
        cls.env["lead.grade"].search([]).nurture_track_id = False
        cls.env["lead.nurture.track"].search([]).active = False
        cls.env["lead.sla.policy"].search([]).active = False
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
