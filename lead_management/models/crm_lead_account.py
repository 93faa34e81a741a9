# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Account scores: the open leads and opportunities of one company rolled up (lead.account.score), refreshed in the
statements that score the leads, for the accounts of the leads scored."""
import logging

from psycopg2.errors import SerializationFailure

from odoo import api, fields, models
from odoo.tools import SQL
from odoo.tools.sql import column_exists, create_column

from .lead_account_score import FREE_MAIL_DOMAINS

_logger = logging.getLogger(__name__)

# The lead fields that read the account's roll-up: a fit rule on one of them rescores the account's leads when the
# roll-up moves.
ACCOUNT_SCORE_FIELDS = frozenset({"account_score_id", "account_engagement_score", "account_grade_id",
                                  "account_best_grade_id"})
# What moves a lead to another account, besides what rescores it (crm writes the stage, the type and the salesperson
# far more often: a won or reopened stage alone takes a lead out of or back into its account's open leads).
ACCOUNT_FIELDS = frozenset({"partner_id", "email_from"})
# An "account" of more open leads than this is a domain that many people share rather than a company (its roll-up,
# an aggregate of all its leads, took 1.2 s for 141,261 leads): the nightly rescore rolls it up, not each request
# (events add their lead's change to it: _scoring_add_to_accounts).
ACCOUNT_LIVE_LIMIT = 10000


def account_company(alias):
    """The company of the account of the leads of ``alias`` (SQL, 0 for none): the lead's, else the database's only
    company (crm's leads without a team have no company; in a database of one company they are its), else none."""
    return SQL("COALESCE(%s, (SELECT MIN(id) FROM res_company HAVING COUNT(*) = 1), 0)",
               SQL.identifier(alias, "company_id"))


class CrmLead(models.Model):
    _inherit = "crm.lead"

    account_key = fields.Char(
        compute="_compute_account_key", store=True, index="btree_not_null", copy=False,
        help="The account the lead rolls up into: “partner:<id>”, its contact's company, else “domain:<domain>”, the "
             "domain of its e-mail address when it is not a free mail provider's.")
    # Linked in SQL by the roll-up (_scoring_refresh_accounts), like the score: an indexed join for searches, filters
    # and group-bys, and a rewrite of the lead's row only when its account changes.
    account_score_id = fields.Many2one(
        "lead.account.score", "Account", readonly=True, copy=False, index="btree_not_null", ondelete="set null",
        help="The company this lead belongs to, with the engagement of all its open leads.")
    account_engagement_score = fields.Float(
        related="account_score_id.engagement_score", string="Account Engagement",
        help="The engagement scores of the open leads and opportunities of this lead's account, summed.")
    account_grade_id = fields.Many2one(
        related="account_score_id.grade_id", string="Account Grade",
        help="The grade the account's engagement reaches: five lukewarm contacts of one company make a hot account.")
    account_best_grade_id = fields.Many2one(
        related="account_score_id.best_grade_id", string="Best Contact Grade",
        help="The best grade among the open leads of this lead's account: “any contact of the account is A”.")

    @api.depends("partner_id.commercial_partner_id.is_company", "email_normalized")
    def _compute_account_key(self):
        for lead in self:
            lead.account_key = self._account_key_of(lead.partner_id.commercial_partner_id, lead.email_normalized)

    @api.model
    def _account_key_of(self, commercial_partner, email_normalized):
        """The one definition of an account key (and _account_key_sql, the same in SQL)."""
        if commercial_partner.is_company:
            return f"partner:{commercial_partner.id}"
        domain = (email_normalized or "").rpartition("@")[2]
        return f"domain:{domain}" if domain and domain not in FREE_MAIL_DOMAINS else False

    @api.model
    def _account_key_sql(self):
        """_account_key_of in SQL, on ``crm_lead`` with its contact's commercial partner as ``account_partner``."""
        domain = SQL("split_part(crm_lead.email_normalized, '@', 2)")
        return SQL("""CASE WHEN account_partner.is_company THEN 'partner:' || account_partner.id
                           WHEN %(domain)s != '' AND %(domain)s NOT IN %(free)s THEN 'domain:' || %(domain)s END""",
                   domain=domain, free=tuple(sorted(FREE_MAIL_DOMAINS)))

    def _auto_init(self):
        # On a CRM of a million leads the ORM would compute the new column lead by lead: it is filled in SQL.
        if not column_exists(self.env.cr, "crm_lead", "account_key") and column_exists(
                self.env.cr, "crm_lead", "email_normalized"):
            create_column(self.env.cr, "crm_lead", "account_key", "varchar")
            self.env.cr.execute(SQL("""
                UPDATE crm_lead SET account_key = keys.account_key
                  FROM (SELECT crm_lead.id, %s AS account_key
                          FROM crm_lead
                     LEFT JOIN res_partner contact ON contact.id = crm_lead.partner_id
                     LEFT JOIN res_partner account_partner ON account_partner.id = contact.commercial_partner_id
                       ) AS keys
                 WHERE keys.id = crm_lead.id AND keys.account_key IS NOT NULL
            """, self._account_key_sql()))
        return super()._auto_init()

    # ------------------------------------------------------------
    # PIPELINE STEP 4: SCORING (the accounts of the leads scored)
    # ------------------------------------------------------------

    def _scoring_step(self, changes):
        super()._scoring_step(changes)
        if changes.created or changes.fields & self._scoring_fields():
            return  # rescored: their accounts with them
        if changes.fields & ACCOUNT_FIELDS or "stage_id" in changes.fields and changes.moved:
            # Another contact, won or reopened: the account's open leads changed, the lead's score did not.
            self._scoring_refresh_accounts(self._scoring_scope())

    def _scoring_recompute(self, fit=True, engagement=True, id_range=None, keep_parts=True, accounts=True):
        """And the roll-up of the accounts of the leads scored, in the same transaction (_scoring_refresh_accounts):
        followed by the accounts' other leads when these are a few leads (the nightly rescore scores them all).

        A range of ids (the nightly rescore, the install) rolls up no account but the last range, every account at
        once: an account's leads are spread over all ids, so each range rolling up its own leads' accounts read the
        leads of nearly every account again (at 1,000,000 leads, 5 s of each range's 9).

        Events of these leads (their engagement alone rescored: no lead joins or leaves an account) add the change of
        their engagement to their accounts (_scoring_add_to_accounts), without reading the accounts' other leads: a
        batch of 2,000 leads of the Email Marketing job re-read half of a CRM of 1,000,000 leads (4.4 s a batch)."""
        events_only = accounts and engagement and not fit and not id_range and self.ids
        before = self._scoring_account_members() if events_only else None
        result = super()._scoring_recompute(fit=fit, engagement=engagement, id_range=id_range, keep_parts=keep_parts)
        if events_only:
            self._scoring_add_to_accounts(before)
        elif accounts and id_range:
            scope = self._scoring_scope()
            self.env.cr.execute(SQL("SELECT EXISTS (SELECT 1 FROM crm_lead WHERE %s AND crm_lead.id >= %s)",
                                    scope, id_range[1]))
            if not self.env.cr.fetchone()[0]:
                self._scoring_refresh_accounts(scope, follow=False, guarded=True)
        elif accounts:
            self._scoring_refresh_accounts(self._scoring_scope(), follow=bool(self.ids))
        return result

    def _scoring_account_members(self):
        """{lead id: (account id, its best grade, engagement, grade)} of these leads that are open and have an
        account, read by id, a grade as (id, min score); a lead not linked to its key's account (or linked without a
        key) has account id None: its account is rolled up in full."""
        if not self:
            return {}
        self.env.flush_all()
        return {row[0]: (row[1] if row[-1] else None, row[2:4], row[4], row[5:7])
                for row in self.env.execute_query(SQL("""
            SELECT crm_lead.id, account.id, account.best_grade_id, best.min_score,
                   COALESCE(state.engagement_score, 0), crm_lead.grade_id, grade.min_score,
                   crm_lead.account_key IS NOT DISTINCT FROM account.account_key
                   AND (account.id IS NULL OR COALESCE(account.company_id, 0) = %(company)s)
              FROM crm_lead
         LEFT JOIN lead_account_score account ON account.id = crm_lead.account_score_id
         LEFT JOIN lead_grade best ON best.id = account.best_grade_id
         LEFT JOIN lead_grade grade ON grade.id = crm_lead.grade_id
         LEFT JOIN lead_scoring_state state ON state.lead_id = crm_lead.id
             WHERE %(these)s AND %(open)s
               AND (crm_lead.account_key IS NOT NULL OR crm_lead.account_score_id IS NOT NULL)
        """, these=self._scoring_scope(), open=self.browse()._scoring_scope(), company=account_company("crm_lead")))}

    def _scoring_add_to_accounts(self, before):
        """After these leads' engagement was rescored (their events): add its change to their accounts (``before``,
        _scoring_account_members as it stood), set their accounts' grade from the new sum and their best contact grade
        when one of these leads now outranks it, in one statement. What this cannot know from these leads alone is
        then rolled up in full (_scoring_refresh_accounts): an account whose best contact was one of them and fell,
        and the accounts of the leads not linked to their key's account. The nightly rescore rolls every account up
        in full."""
        after = self._scoring_account_members()

        def rank(grade):
            """A grade (id, min score) in the roll-up's order of best contacts: highest minimum, then lowest id."""
            grade_id, min_score = grade
            return (min_score, -grade_id) if grade_id else (float("-inf"), 0)

        changes, current, full = {}, {}, set()
        for lead_id, (account_id, account_best, engagement, grade) in after.items():
            if account_id is None or lead_id not in before or before[lead_id][0] != account_id:
                full.add(lead_id)
                continue
            current[account_id] = account_best
            delta, best = changes.get(account_id, (0.0, account_best))
            if before[lead_id][3][0] == account_best[0] and rank(grade) < rank(account_best):
                full.add(lead_id)  # the account's best contact fell: its other leads say what is best now
            elif grade[0] and rank(grade) > rank(best):
                best = grade
            changes[account_id] = (delta + engagement - before[lead_id][2], best)
        # Nothing to write for an account whose sum and best contact stayed (a capped day, a type archived).
        changes = {account_id: (delta, best[0]) for account_id, (delta, best) in changes.items()
                   if delta or best[0] != current[account_id][0]}
        moved_accounts = self._scoring_add_changes(changes) if changes else []
        by_rules, by_criteria = self._scoring_account_readers()
        moved = self._scoring_account_leads(moved_accounts) if moved_accounts and (by_rules or by_criteria) else []
        self._scoring_accounts_done(moved, by_rules, by_criteria)
        if full:
            # After the changes were added: the roll-up of these leads' accounts (those they are linked to and those
            # of their keys) from all their leads replaces the sums (an account over ACCOUNT_LIVE_LIMIT keeps the
            # sum with the changes, its best contact left to the night).
            self._scoring_refresh_accounts(SQL("crm_lead.id IN %s", tuple(sorted(full))), follow=True)

    @api.model
    def _scoring_add_changes(self, changes):
        """Add ``changes`` ({account id: (change of engagement, best contact grade id)}) to the accounts, their grade
        set from the new sum, in one statement; returns the ids of the accounts whose values the rules may read
        moved."""
        account_ids = sorted(changes)
        self.env.cr.execute(SQL("""
            WITH change AS (
                SELECT * FROM unnest(%(ids)s::int[], %(deltas)s::float[], %(bests)s::int[]) AS change(id, delta, best)
            ), old AS MATERIALIZED (
                SELECT account.id, account.grade_id, account.best_grade_id, account.engagement_score
                  FROM lead_account_score account JOIN change ON change.id = account.id
            ), updated AS (
                UPDATE lead_account_score account
                   SET engagement_score = account.engagement_score + change.delta,
                       grade_id = %(grade_of)s, best_grade_id = change.best
                  FROM change
                 WHERE account.id = change.id
             RETURNING account.id, account.grade_id, account.best_grade_id, account.engagement_score
            )
            SELECT updated.id FROM updated JOIN old ON old.id = updated.id
             WHERE (old.grade_id, old.best_grade_id, ROUND(old.engagement_score))
                   IS DISTINCT FROM (updated.grade_id, updated.best_grade_id, ROUND(updated.engagement_score))
        """, ids=account_ids, deltas=[changes[account_id][0] for account_id in account_ids],
            bests=[changes[account_id][1] or None for account_id in account_ids],
            grade_of=self._scoring_grade_sql(SQL("ROUND(account.engagement_score + change.delta)"),
                                             SQL("account.company_id"))))
        return [row[0] for row in self.env.cr.fetchall()]

    @api.model
    def _scoring_account_readers(self):
        """(by_rules, by_criteria): whether a fit rule, and a stage's entry criteria, read an account's values."""
        return tuple(bool(names & ACCOUNT_SCORE_FIELDS) for names in (self._scoring_fields(), self._promotion_fields()))

    @api.model
    def _scoring_account_leads(self, account_ids):
        """The ids of the open leads of these accounts."""
        self.env.cr.execute(SQL("""
            SELECT id FROM crm_lead
             WHERE account_score_id = ANY(%s) AND active AND COALESCE(probability, 0) < 100
        """, account_ids))
        return [row[0] for row in self.env.cr.fetchall()]

    @api.model
    def _scoring_accounts_done(self, moved, by_rules, by_criteria):
        """After accounts were rolled up: the caches told, and the leads that ``moved`` (their account's values did, or
        their account) followed (_scoring_follow_accounts)."""
        self.env["lead.account.score"].invalidate_model()
        self.invalidate_model(ACCOUNT_SCORE_FIELDS)
        if moved:
            self.sudo()._scoring_follow_accounts(moved, by_rules, by_criteria)

    @api.model
    def _scoring_refresh_accounts(self, scope, follow=True, guarded=False):
        """Roll up the accounts of the leads in ``scope`` (SQL on ``crm_lead``) and link those leads to them: two
        statements, whatever the number of leads. An account left without open lead goes (its leads' link with it).
        With ``follow``, the leads of the accounts whose grades or rounded engagement moved, and the leads that
        changed account, are rescored when a fit rule reads the account, and promoted when a stage's entry criteria
        do: as the system (they may be other people's leads), once (their own accounts are not followed further).
        ``guarded`` (a chunk of the nightly rescore): a roll-up that meets another process's (the same account, at the
        same moment) is left to the next one, in a savepoint, rather than undo the chunk's rescore."""
        self.env.flush_all()
        by_rules, by_criteria = self._scoring_account_readers()
        follow = follow and (by_rules or by_criteria)
        if guarded:
            # A chunk of the nightly rescore: a roll-up that meets a concurrent one must not undo the chunk's rescore.
            try:
                with self.env.cr.savepoint():
                    moved = self._scoring_roll_up_accounts(scope, follow, live=False)
            except SerializationFailure as error:
                _logger.info("An account roll-up met a concurrent one, left to the next: %s", error)
                moved = []
        else:
            moved = self._scoring_roll_up_accounts(scope, follow, live=True)
        self._scoring_accounts_done(moved, by_rules, by_criteria)

    @api.model
    def _scoring_roll_up_accounts(self, scope, follow, live):
        """_scoring_refresh_accounts' statements; with ``follow``, returns the ids of the leads whose account changed
        and of the leads of the accounts whose grades or rounded engagement moved. ``live`` (in a request): the
        accounts of more than ACCOUNT_LIVE_LIMIT open leads are left to the nightly rescore."""
        companies = {"crm_lead_company": account_company("crm_lead"), "member_company": account_company("member")}
        too_big = SQL("""EXISTS (SELECT 1 FROM lead_account_score big
                                  WHERE big.account_key = candidates.account_key
                                    AND COALESCE(big.company_id, 0) = COALESCE(candidates.company_id, 0)
                                    AND big.lead_count > %s)""", ACCOUNT_LIVE_LIMIT) if live else SQL("FALSE")
        self.env.cr.execute(SQL("""
            WITH candidates AS MATERIALIZED (
                -- The accounts of the leads in scope, and those they are still linked to (a lead that moved to
                -- another account leaves its old one: rolled up again, gone when it was its last lead).
                SELECT crm_lead.account_key, NULLIF(%(crm_lead_company)s, 0) AS company_id
                  FROM crm_lead
                 WHERE crm_lead.account_key IS NOT NULL AND %(scope)s
                 UNION
                SELECT account.account_key, account.company_id
                  FROM crm_lead
                  JOIN lead_account_score account ON account.id = crm_lead.account_score_id
                 WHERE %(scope)s
            ), account_keys AS MATERIALIZED (
                SELECT * FROM candidates WHERE NOT %(too_big)s
            ), rolled AS MATERIALIZED (
                SELECT account_keys.account_key, account_keys.company_id, COUNT(member.id) AS lead_count,
                       COALESCE(SUM(COALESCE(state.engagement_score, 0)), 0) AS engagement,
                       (ARRAY_AGG(member.grade_id ORDER BY grade.min_score DESC, grade.id)
                            FILTER (WHERE member.grade_id IS NOT NULL))[1] AS best_grade_id
                  FROM account_keys
             LEFT JOIN crm_lead member
                       ON member.account_key = account_keys.account_key
                      AND %(member_company)s = COALESCE(account_keys.company_id, 0)
                      AND member.active AND COALESCE(member.probability, 0) < 100
             LEFT JOIN lead_scoring_state state ON state.lead_id = member.id
             LEFT JOIN lead_grade grade ON grade.id = member.grade_id
              GROUP BY account_keys.account_key, account_keys.company_id
            ), gone AS (
                DELETE FROM lead_account_score account USING rolled
                 WHERE account.account_key = rolled.account_key
                   AND COALESCE(account.company_id, 0) = COALESCE(rolled.company_id, 0) AND rolled.lead_count = 0
            ), kept AS (
                INSERT INTO lead_account_score (account_key, company_id, name, partner_id, lead_count, engagement_score,
                                                grade_id, best_grade_id)
                SELECT rolled.account_key, rolled.company_id, COALESCE(partner.name, substr(rolled.account_key, 8)),
                       partner.id, rolled.lead_count, rolled.engagement, %(grade_of)s, rolled.best_grade_id
                  FROM rolled
             LEFT JOIN res_partner partner ON partner.id = CASE WHEN starts_with(rolled.account_key, 'partner:')
                                                               THEN substr(rolled.account_key, 9)::int END
                 WHERE rolled.lead_count > 0
                    ON CONFLICT (account_key, COALESCE(company_id, 0)) DO UPDATE
                   SET name = EXCLUDED.name, partner_id = EXCLUDED.partner_id, lead_count = EXCLUDED.lead_count,
                       engagement_score = EXCLUDED.engagement_score, grade_id = EXCLUDED.grade_id,
                       best_grade_id = EXCLUDED.best_grade_id
                 WHERE (lead_account_score.lead_count, lead_account_score.engagement_score,
                        lead_account_score.grade_id, lead_account_score.best_grade_id, lead_account_score.name)
                       IS DISTINCT FROM (EXCLUDED.lead_count, EXCLUDED.engagement_score, EXCLUDED.grade_id,
                                         EXCLUDED.best_grade_id, EXCLUDED.name)
             RETURNING id, grade_id, best_grade_id, engagement_score
            )
            -- The accounts whose values the rules may read moved (the table as it stood before this statement).
            SELECT kept.id FROM kept LEFT JOIN lead_account_score old ON old.id = kept.id
             WHERE (old.grade_id, old.best_grade_id, ROUND(old.engagement_score))
                   IS DISTINCT FROM (kept.grade_id, kept.best_grade_id, ROUND(kept.engagement_score))
        """, scope=scope, too_big=too_big, **companies,
            grade_of=self._scoring_grade_sql(SQL("ROUND(rolled.engagement)"), SQL("rolled.company_id"))))
        moved_accounts = [row[0] for row in self.env.cr.fetchall()]
        self.env.cr.execute(SQL("""
            UPDATE crm_lead AS target SET account_score_id = linked.account_id
              FROM (SELECT crm_lead.id, account.id AS account_id
                      FROM crm_lead
                 LEFT JOIN lead_account_score account
                           ON account.account_key = crm_lead.account_key
                          AND COALESCE(account.company_id, 0) = %(crm_lead_company)s
                     WHERE %(scope)s) AS linked
             WHERE target.id = linked.id AND target.account_score_id IS DISTINCT FROM linked.account_id
         RETURNING target.id
        """, scope=scope, **companies))
        relinked = [row[0] for row in self.env.cr.fetchall()]
        if not follow:
            return []
        if not moved_accounts:
            return relinked
        return sorted(set(self._scoring_account_leads(moved_accounts)) | set(relinked))

    def _scoring_follow_accounts(self, lead_ids, by_rules, by_criteria):
        """The leads of accounts that moved (``lead_ids``): rescored and the pipeline run for them when a fit rule
        reads the account (``by_rules``), promoted when a stage's entry criteria do (``by_criteria``); as the caller
        (the system, see above)."""
        members = self.browse(lead_ids).filtered(lambda lead: lead.active)
        if by_rules and members:
            rescored, regraded = members._scoring_recompute(engagement=False, accounts=False)
            if regraded:
                self._scoring_refresh_accounts(regraded._scoring_scope(), follow=False)
            members._scoring_rescored(rescored, regraded)
        if by_criteria and members:
            # A stage's entry criteria on the account ("any contact of the account is A").
            members._lifecycle_promote()

    @api.model
    def _scoring_drop_empty_accounts(self):
        """The accounts left without an open lead (their last one closed, or moved to another account): gone, their
        leads' link with them. The nightly rescore's, which rolls up the accounts of the open leads only."""
        self.env.cr.execute(SQL("""
            DELETE FROM lead_account_score account
             WHERE NOT EXISTS (SELECT 1 FROM crm_lead member
                                WHERE member.account_key = account.account_key
                                  AND %s = COALESCE(account.company_id, 0)
                                  AND member.active AND COALESCE(member.probability, 0) < 100)
        """, account_company("member")))
        self.env["lead.account.score"].invalidate_model()
        self.invalidate_model(ACCOUNT_SCORE_FIELDS)
