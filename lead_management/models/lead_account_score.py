# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models

# Addresses of these domains are people's own, not their employer's: their leads roll up into no account.
FREE_MAIL_DOMAINS = frozenset("""
    gmail.com googlemail.com yahoo.com yahoo.fr yahoo.es yahoo.co.uk yahoo.de ymail.com hotmail.com hotmail.fr
    hotmail.co.uk hotmail.de hotmail.es hotmail.it outlook.com outlook.fr outlook.de outlook.es live.com live.fr
    live.be msn.com icloud.com me.com mac.com aol.com gmx.com gmx.de gmx.net web.de t-online.de proton.me
    protonmail.com mail.com mail.ru yandex.ru yandex.com qq.com 163.com 126.com sina.com naver.com daum.net
    orange.fr free.fr laposte.net sfr.fr wanadoo.fr skynet.be telenet.be libero.it bluewin.ch uol.com.br
    bol.com.br terra.com.br
""".split())


class LeadAccountScore(models.Model):
    """The engagement of an account: every open lead and opportunity of one company (the commercial partner of
    the lead's contact, else the domain of its e-mail address when it is not a free mail provider's) rolled up.

    Five engaged people of one company each look lukewarm; their account does not. One row per account key and
    Odoo company, written in SQL by ``crm.lead._scoring_refresh_accounts`` only, in the statements that score
    the leads (never lead by lead). crm.lead reads it back as ``account_score_id`` and its related fields
    (``account_engagement_score``, ``account_grade_id``, ``account_best_grade_id``), which fit rules may read."""

    _name = "lead.account.score"
    _description = "Account Engagement"
    _order = "engagement_score desc, id"
    _log_access = False

    account_key = fields.Char(required=True, readonly=True, index=True)
    name = fields.Char("Account", readonly=True)
    partner_id = fields.Many2one("res.partner", "Company Contact", readonly=True, ondelete="cascade",
                                 help="The commercial partner of the leads' contacts: empty when the account is an "
                                      "e-mail domain.")
    company_id = fields.Many2one("res.company", readonly=True, ondelete="cascade")
    # How many leads the account has, those the reader may not read included: for the managers, who read them all.
    lead_count = fields.Integer("Open Leads", readonly=True, aggregator="sum",
                                groups="sales_team.group_sale_manager,lead_management.group_lead_manager")
    engagement_score = fields.Float("Account Engagement", readonly=True, aggregator="sum",
                                    help="The engagement scores of the account's open leads and opportunities, "
                                         "summed.")
    grade_id = fields.Many2one("lead.grade", "Account Grade", readonly=True, ondelete="set null",
                               help="The grade the account's engagement reaches, on the grades' minimum scores.")
    best_grade_id = fields.Many2one("lead.grade", "Best Contact Grade", readonly=True, ondelete="set null",
                                    help="The best grade among the account's open leads: “any contact of the account "
                                         "is A”.")

    def init(self):
        self.env.cr.execute("""
            CREATE UNIQUE INDEX IF NOT EXISTS lead_account_score_key_company_uniq
                ON lead_account_score (account_key, COALESCE(company_id, 0))
        """)

    def action_open_leads(self):
        """The account's leads and opportunities that the reader may read."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("crm.crm_lead_all_leads")
        return dict(action, name=self.name, context={"active_test": True},
                    domain=[("account_score_id", "=", self.id)])
