# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import logging
import threading
from ast import literal_eval
from collections import defaultdict
from typing import NamedTuple

from markupsafe import Markup
from psycopg2.errors import LockNotAvailable, SerializationFailure

from odoo import api, fields, models, tools
from odoo.exceptions import AccessError
from odoo.tools import SQL

from ..tools import domain_field_names, fields_read_by
from .crm_lead import LeadChanges
from .crm_lead_batch import id_buckets

_logger = logging.getLogger(__name__)

# Open leads rescored per statement (and per transaction) by the nightly job.
RESCORE_BATCH_SIZE = 100000
# Share of a range's leads above which the nightly rescore reads all the range's events (one pass) rather than
# those of its stale leads (lead by lead, on the index).
STALE_SHARE = 0.2
NO_PARTS = SQL("NULL::jsonb AS new_parts, NULL::timestamp AS new_parts_date, NULL::timestamp AS new_next_date, "
               "NULL::varchar AS new_tz, NULL::varchar AS new_stamp")


class EngagementSql(NamedTuple):
    """The engagement part of the scoring statement (crm.lead's _scoring_engagement_parts)."""

    value: SQL  # the engagement of the lead aliased crm_lead
    from_events: SQL  # whether it was read from the lead's events (a boolean)
    join: SQL  # the joins they read
    columns: SQL  # the columns stored for the leads read from their events (NO_PARTS: none)


class CrmLead(models.Model):
    _inherit = "crm.lead"

    # Scoring: written set-based by _scoring_recompute, never computed lead by lead. The rounded score and
    # the grade are stored on the lead; the floats that change daily live in lead.scoring.state.
    fit_score = fields.Float(compute="_compute_scoring_state", search="_search_fit_score", aggregator="avg",
                             help="Sum of the points of the fit rules the lead matches.")
    engagement_score = fields.Float(compute="_compute_scoring_state", search="_search_engagement_score",
                                    aggregator="avg",
                                    help="Points of the lead's engagement events, decayed by age and capped per day.")
    lead_score = fields.Integer(readonly=True, copy=False, index=True, aggregator="avg",
                                help="Fit score plus engagement score, rounded.")
    grade_id = fields.Many2one("lead.grade", readonly=True, copy=False, index=True, tracking=True,
                               ondelete="set null")
    score_date = fields.Datetime("Scored On", compute="_compute_scoring_state", search="_search_score_date",
                                 help="When the engagement decay was last applied: the explanation uses this moment.")
    engagement_event_ids = fields.One2many("lead.engagement.event", "lead_id", "Engagement Events")
    score_explanation = fields.Html(compute="_compute_score_explanation", sanitize=False)
    grade_calibration = fields.Char(
        "Grade Track Record", compute="_compute_grade_calibration",
        help="What the calibration report measured for this grade: the share of its closed leads that were won (among "
             "those you may read). Put it beside crm's predictive probability: when they disagree, the fit rules or "
             "the grade thresholds need work (a fit rule may read the probability too).")

    def _compute_scoring_state(self):
        # In a form being edited the lead is a new record: its values are those of the lead it edits.
        states = self.env["lead.scoring.state"].sudo().search_fetch(
            [("lead_id", "in", self._origin.ids)], ["lead_id", "fit_score", "engagement_score", "score_date"])
        by_lead = {state.lead_id.id: state for state in states}
        for lead in self:
            state = by_lead.get(lead._origin.id)
            lead.fit_score = state.fit_score if state else 0.0
            lead.engagement_score = state.engagement_score if state else 0.0
            lead.score_date = state.score_date if state else False

    def _search_fit_score(self, operator, value):
        return self._search_scoring_state("fit_score", operator, value)

    def _search_engagement_score(self, operator, value):
        return self._search_scoring_state("engagement_score", operator, value)

    def _search_score_date(self, operator, value):
        return self._search_scoring_state("score_date", operator, value)

    def _search_scoring_state(self, fname, operator, value):
        """Search a lead.scoring.state value as if it were a column of crm_lead (see _field_to_sql)."""
        query = self._where_calc([], active_test=False)
        query.add_where(self._condition_to_sql(self._table, fname, operator, value, query))
        return [("id", "in", query)]

    def _field_to_sql(self, alias, fname, query=None, flush=True):
        """The lead.scoring.state values read in SQL (search, order, group by, aggregates) like columns."""
        if fname not in ("fit_score", "engagement_score", "score_date"):
            return super()._field_to_sql(alias, fname, query, flush)
        if query is None:
            raise ValueError(f"Cannot convert {self._fields[fname]} to SQL without a query")
        self.check_field_access_rights("read", [fname])
        state_alias = query.make_alias(alias, "scoring_state")
        query.add_join("LEFT JOIN", state_alias, "lead_scoring_state",
                       SQL("%s = %s", SQL.identifier(state_alias, "lead_id"), SQL.identifier(alias, "id")))
        if fname == "score_date":
            return SQL.identifier(state_alias, fname)
        # A lead without a state row (closed before the install, say) reads 0: it sorts and averages as 0.
        return SQL("COALESCE(%s, 0)", SQL.identifier(state_alias, fname))

    @api.depends("grade_id")
    @api.depends_context("uid")  # counted among the leads the reader may read
    def _compute_grade_calibration(self):
        Report = self.env["lead.scoring.calibration.report"]
        rates = Report._won_rate_by_grade() if self.grade_id and Report.has_access("read") else {}
        _ = self.env._
        for lead in self:
            if not lead.grade_id:
                lead.grade_calibration = False
            elif lead.grade_id in rates:
                rate, closed = rates[lead.grade_id]
                lead.grade_calibration = _("%(rate).0f%% won of %(closed)s closed leads of grade %(grade)s",
                                           rate=rate, closed=closed, grade=lead.grade_id.name)
            else:
                lead.grade_calibration = _("no closed lead of grade %s yet", lead.grade_id.name)

    def _compute_score_explanation(self):
        for lead in self:
            lead.score_explanation = lead.id and lead._score_explanation_html() or False

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def action_log_engagement(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Log Engagement"),
            "res_model": "lead.engagement.event",
            "view_mode": "form",
            "target": "new",
            "context": {"default_lead_id": self.id},
        }

    def get_score_breakdown(self):
        """Which rules and events gave how many points, summing exactly to ``lead_score`` (RPC-readable).

        A read: it never rescores. When the stored score is older than its data (changed in SQL, a rule
        saved a moment ago), a "not rescored yet" line says by how much until the rescore job runs. Rules
        on fields the caller may not read are shown as one line without their names."""
        self.ensure_one()
        self.check_access("read")
        rules, engagement = self._scoring_contributions()
        fit_total = sum(line["points"] for line in rules)
        engagement_total = sum(line["score"] for line in engagement)
        gap = self.lead_score - (fit_total + engagement_total)
        pending = round(gap) if abs(gap) > 0.5 else 0
        return {
            "fit": rules,
            "engagement": engagement,
            "fit_score": fit_total,
            "engagement_score": engagement_total,
            "pending": pending,
            "rounding": gap - pending,
            "lead_score": self.lead_score,
            "grade": self.grade_id.name or False,
        }

    # ------------------------------------------------------------
    # PIPELINE STEP 4: SCORING
    # ------------------------------------------------------------

    def _scoring_step(self, changes):
        """New leads are scored; a write rescores the fit of leads when a field some rule reads changed."""
        if changes.created:
            # A new lead has no engagement event yet (they need the lead): its fit is all there is to score.
            rescored, regraded = self._scoring_recompute(engagement=False)
        elif changes.fields & self._scoring_fields():
            rescored, regraded = self._scoring_recompute(engagement=False)
        else:
            return
        changes.rescored |= rescored
        changes.regraded |= regraded

    @api.model
    def _scoring_schedule_rescore(self):
        """Configuration that scores read changed (a rule, a grade, an engagement type): every open lead is
        rescored by the background job, never in the request that saved it, and the user is told so."""
        self.env.registry.clear_cache()  # _scoring_fields follows the rules
        cron = self.env.ref("lead_management.ir_cron_rescore", raise_if_not_found=False)
        if not cron:
            return True  # installing: the install scores every lead itself (post_init_hook)
        cron.sudo()._trigger()
        message = self.env._("Scores and grades are being recomputed in the background: leads show them within "
                             "minutes (Settings > Technical > Scheduled Actions shows the progress).")
        # Once per transaction: saving four grade thresholds is one rescore, one message.
        if not self.env.cr.precommit.data.get("lead_management.rescore_notified"):
            self.env.cr.precommit.data["lead_management.rescore_notified"] = True
            self.env.user._bus_send("simple_notification", {"type": "info", "message": message})
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {"type": "info", "message": message},
        }

    def _scoring_events_changed(self):
        """Engagement events of these leads arrived, moved or went: rescore their engagement (a few leads, in
        the request: the one entry point for events stays synchronous) and let the pipeline go on."""
        if self:
            self._scoring_rescored(*self._scoring_recompute(fit=False, engagement=True))

    def _scoring_rescored(self, rescored, regraded):
        """After a rescore made outside a lead's write (events, rule changes, the nightly job): the steps
        after scoring run for the leads whose score or grade moved."""
        if rescored:
            rescored._run_pipeline(LeadChanges.of(rescored, rescored=rescored, regraded=regraded))

    def _merge_dependences(self, opportunities):
        # Engagement is the person's, whichever lead recorded it: the lead that stays keeps every event.
        result = super()._merge_dependences(opportunities)
        opportunities.sudo().engagement_event_ids.write({"lead_id": self.id})
        return result

    # ------------------------------------------------------------
    # BUSINESS
    # ------------------------------------------------------------

    @api.model
    @tools.ormcache()
    def _scoring_fields(self):
        """Names of the lead fields some fit rule reads: a write that touches none of them keeps the fit score."""
        names = set()
        for rule in self.env["lead.scoring.rule"].sudo().browse(self.env["lead.scoring.rule"]._get_valid_rule_ids()):
            try:
                names.update(domain_field_names(literal_eval(rule.domain or "[]")))
            except (ValueError, SyntaxError):
                continue
        # Closing or reopening a lead, or moving it to another company (whose rules apply), also rescores it.
        return fields_read_by(self, names) | {"company_id", "active"}

    def _scoring_scope(self, id_range=None):
        """SQL condition on ``crm_lead``: these leads, or every open lead when called on an empty recordset
        (those with ids in ``id_range``, [low, high), if given).

        Won and lost leads keep the score they closed with: calibration compares what the score said
        with what happened, and full rescores do not rewrite history."""
        if self.ids:
            if id_range:
                raise ValueError("id_range selects among all open leads: call it on an empty recordset")
            return SQL("crm_lead.id IN %s", tuple(self.ids))
        scope = SQL("crm_lead.active AND COALESCE(crm_lead.probability, 0) < 100")
        if id_range:
            scope = SQL("%s AND crm_lead.id >= %s AND crm_lead.id < %s", scope, *id_range)
        return scope

    @api.model
    def _scoring_rule_queries(self, rules, scope):
        """[(rule, Query)]: each rule's domain as a query on crm_lead, restricted to ``scope`` (rules as records
        or RuleSpec)."""
        Lead = self.sudo().with_context(active_test=False)
        result = []
        for rule in rules:
            query = Lead._search(rule._get_domain())
            query.add_where(scope)
            result.append((rule, query))
        return result

    @api.model
    def _scoring_fit_sql(self, rules, scope):
        """SELECT lead_id, points, rule_id: one row per matching (lead, rule)."""
        parts = [
            SQL("SELECT crm_lead.id AS lead_id, %s::float AS points, %s AS rule_id FROM %s WHERE %s",
                rule.points, rule.id, query.from_clause, query.where_clause or SQL("TRUE"))
            for rule, query in self._scoring_rule_queries(rules, scope)
        ]
        if not parts:
            return SQL("SELECT NULL::int AS lead_id, 0::float AS points, NULL::int AS rule_id WHERE FALSE")
        return SQL(" UNION ALL ").join(parts)

    @api.model
    def _scoring_fit_parts(self, rules, scope):
        """(expression, join) giving the fit score of the lead aliased ``crm_lead``. Rules whose domain needs no
        join (the usual case: related paths become sub-selects) are summed inline, in the scan of crm_lead
        itself; the others come from a LEFT JOIN aliased ``fit``."""
        single, joined = [], []
        for rule, query in self._scoring_rule_queries(rules, scope):
            if query.from_clause.code == '"crm_lead"':
                single.append(SQL("CASE WHEN %s THEN %s ELSE 0 END", query.where_clause or SQL("TRUE"), rule.points))
            else:
                joined.append(rule)
        expression = SQL("(%s)::float", SQL(" + ").join(single)) if single else SQL("0::float")
        if not joined:
            return expression, SQL("")
        join = SQL("LEFT JOIN (SELECT lead_id, SUM(points) AS points FROM (%s) AS matches GROUP BY lead_id)"
                   " AS fit ON fit.lead_id = crm_lead.id", self._scoring_fit_sql(joined, scope))
        return SQL("%s + COALESCE(fit.points, 0)", expression), join

    @api.model
    def _scoring_engagement_sql(self, scope, now, id_range=None):
        """SELECT lead id, type id, raw points and decayed score per (lead, type, day), the daily cap applied;
        a day is a day in the time zone of the lead's company. ``id_range`` ([low, high) of lead ids) lets
        PostgreSQL read only those leads' events.

        A closed lead (won or lost) is scored as it stood when it closed: its engagement stops decaying,
        so calibration compares what the score said with what happened, and nightly runs leave it alone."""
        if id_range and not self.ids:
            zones = {self._scoring_company_tz(company) for company in self.env["res.company"].sudo().search([])}
            if len(zones) == 1:
                # Every open lead of a range, and every company counting its days in one time zone: the events of
                # the range alone, without reading the leads again (their scope is the caller's; the events of the
                # range's closed leads are left out by it).
                return SQL("""
                    SELECT e.lead_id, e.type_id, COUNT(*) AS events, SUM(t.points)::float AS raw,
                           SUM(t.points * POWER(0.5, LEAST(GREATEST(EXTRACT(EPOCH FROM (%(now)s::timestamp - e.date)),
                                                                    0) / 86400.0 / t.half_life, 1000)))
                           * CASE WHEN t.daily_cap > 0 AND SUM(t.points) > t.daily_cap
                                  THEN t.daily_cap::float / SUM(t.points) ELSE 1 END AS score
                      FROM lead_engagement_event e
                      JOIN lead_engagement_type t ON t.id = e.type_id AND t.active
                     WHERE e.lead_id >= %(low)s AND e.lead_id < %(high)s AND e.date <= %(now)s
                  GROUP BY e.lead_id, e.type_id, t.points, t.half_life, t.daily_cap,
                           date_trunc('day', (e.date AT TIME ZONE 'UTC') AT TIME ZONE %(tz)s)
                """, now=now, low=id_range[0], high=id_range[1], tz=zones.pop())
        reference = self._scoring_reference_sql(now)
        return SQL("""
            SELECT e.lead_id, e.type_id, COUNT(*) AS events, SUM(t.points)::float AS raw,
                   SUM(t.points * POWER(0.5, LEAST(GREATEST(EXTRACT(EPOCH FROM (%(reference)s - e.date)), 0)
                                                   / 86400.0 / t.half_life, 1000)))
                   * CASE WHEN t.daily_cap > 0 AND SUM(t.points) > t.daily_cap
                          THEN t.daily_cap::float / SUM(t.points) ELSE 1 END AS score
              FROM lead_engagement_event e
              JOIN lead_engagement_type t ON t.id = e.type_id AND t.active
              JOIN crm_lead ON crm_lead.id = e.lead_id
              -- (Joined on the plain column: the planner estimates it.)
         LEFT JOIN (%(zones)s) AS company_tz ON company_tz.id = crm_lead.company_id
             WHERE %(scope)s AND e.date <= %(reference)s %(range)s %(these)s
          GROUP BY e.lead_id, e.type_id, t.points, t.half_life, t.daily_cap,
                   date_trunc('day', (e.date AT TIME ZONE 'UTC') AT TIME ZONE %(tz)s)
        """, reference=reference, scope=scope, zones=self._scoring_company_tz_sql(),
            tz=self._scoring_lead_tz_sql(SQL("company_tz")),
            range=SQL("AND e.lead_id >= %s AND e.lead_id < %s", *id_range) if id_range else SQL(),
            these=self._scoring_these_leads_sql(SQL("e.lead_id")))

    @api.model
    def _scoring_reference_sql(self, now):
        """The moment the engagement of the lead aliased ``crm_lead`` is decayed to: ``now``, or when it closed."""
        return SQL("""CASE WHEN (NOT crm_lead.active OR crm_lead.probability >= 100)
                                AND crm_lead.date_closed IS NOT NULL
                           THEN LEAST(crm_lead.date_closed, %s::timestamp) ELSE %s::timestamp END""", now, now)

    @api.model
    def _scoring_upcoming_sql(self, scope, now, id_range=None):
        """SELECT lead_id, next_date: the date of each lead's first event (of an active type) later than the moment
        its engagement is decayed to, for the leads in ``scope``; with ``id_range`` (all open leads of those ids),
        the events of those ids, later than ``now`` (the caller's join keeps the leads in scope)."""
        if id_range and not self.ids:
            return SQL("""
                SELECT e.lead_id, MIN(e.date) AS next_date
                  FROM lead_engagement_event e
                  JOIN lead_engagement_type t ON t.id = e.type_id AND t.active
                 WHERE e.date > %s AND e.lead_id >= %s AND e.lead_id < %s
              GROUP BY e.lead_id
            """, now, *id_range)
        return SQL("""
            SELECT e.lead_id, MIN(e.date) AS next_date
              FROM lead_engagement_event e
              JOIN lead_engagement_type t ON t.id = e.type_id AND t.active
              JOIN crm_lead ON crm_lead.id = e.lead_id
             WHERE %s AND e.date > %s %s
          GROUP BY e.lead_id
        """, scope, self._scoring_reference_sql(now), self._scoring_these_leads_sql(SQL("e.lead_id")))

    def _scoring_these_leads_sql(self, column):
        """SQL: ``AND column = ANY(these leads' ids)``, nothing on an empty recordset. Said of the events' or the
        scoring states' lead column besides the scope's condition on crm_lead: PostgreSQL then reads those rows by
        index, where from a join on crm_lead alone it scans the whole table for a few thousand leads."""
        return SQL("AND %s = ANY(%s)", column, list(self.ids)) if self.ids else SQL()

    @api.model
    def _scoring_engagement_stamp(self):
        """SQL (a scalar subquery) naming what every lead's engagement is computed with besides its events and its
        time zone: the active engagement types' points, half-lives and daily caps. Engagement parts stored with
        another stamp are stale (lead.scoring.state)."""
        return SQL("""(SELECT md5(COALESCE(string_agg(concat_ws(',', id, points, half_life, daily_cap), ';'
                                                      ORDER BY id), ''))
                         FROM lead_engagement_type WHERE active)""")

    @api.model
    def _scoring_decayed_parts_sql(self, now, id_range):
        """(expression, join): SQL giving the engagement at ``now`` of the lead whose scoring state is aliased
        ``scoring_state`` (of ids in ``id_range``), from its stored parts: each type's part times that type's decay
        since the parts were computed. The decay factors are computed once per distinct moment the range's parts
        were computed at (a lead's last full read of its events), not per lead. A factor stops at 2^-300 and a
        stored part is 0 under 1e-100 (_scoring_engagement_parts): their product, nothing once rounded, never
        underflows."""
        self.env.cr.execute("SELECT id, half_life FROM lead_engagement_type WHERE active ORDER BY id")
        half_lives = self.env.cr.fetchall()
        if not half_lives:
            return SQL("0::float"), SQL("")
        expression = SQL(" + ").join(
            SQL("COALESCE((scoring_state.engagement_parts ->> %s)::float, 0) * decay.%s",
                str(type_id), SQL.identifier(f"type_{type_id}"))
            for type_id, _half_life in half_lives)
        factors = SQL(", ").join(
            SQL("POWER(0.5, LEAST(age / %s::float, 300)) AS %s", half_life, SQL.identifier(f"type_{type_id}"))
            for type_id, half_life in half_lives)
        join = SQL("""
            LEFT JOIN (SELECT parts_date, %(factors)s
                         FROM (SELECT engagement_parts_date AS parts_date,
                                      GREATEST(EXTRACT(EPOCH FROM (%(now)s::timestamp - engagement_parts_date))::float,
                                               0) / 86400.0 AS age
                                 FROM lead_scoring_state
                                WHERE lead_id >= %(low)s AND lead_id < %(high)s
                             GROUP BY engagement_parts_date) AS moments
                      ) AS decay ON decay.parts_date = scoring_state.engagement_parts_date
        """, factors=factors, now=now, low=id_range[0], high=id_range[1])
        return SQL("(%s)", expression), join

    @api.model
    def _scoring_company_tz(self, company):
        """The time zone a company's days are counted in: its working hours', else its address's, else UTC."""
        return company.resource_calendar_id.tz or company.partner_id.tz or "UTC"

    @api.model
    def _scoring_company_tz_sql(self):
        """SELECT id, tz: each company's time zone, as _scoring_company_tz gives it."""
        return SQL("""
            SELECT company.id, COALESCE(NULLIF(calendar.tz, ''), NULLIF(company_partner.tz, ''), 'UTC') AS tz
              FROM res_company company
         LEFT JOIN resource_calendar calendar ON calendar.id = company.resource_calendar_id
         LEFT JOIN res_partner company_partner ON company_partner.id = company.partner_id
        """)

    @api.model
    def _scoring_lead_tz_sql(self, alias):
        """SQL: the time zone the days of the lead aliased ``crm_lead`` are counted in, ``alias`` being
        _scoring_company_tz_sql joined on its company: its company's, else the current company's."""
        return SQL("COALESCE(%s.tz, %s)", alias, self._scoring_company_tz(self.env.company))

    @api.model
    def _scoring_grade_sql(self, score, company, thresholds=None):
        """The one definition of "the grade of a score": an SQL expression giving the grade id for the score
        ``score`` of a lead of company ``company`` (SQL, NULL for none), among the active grades, with
        ``thresholds`` ({grade id: min score}) replacing their minimum scores (what-if).

        A company uses its own grades when it has any, else the shared ones. Grades are ordered by minimum
        score, whatever their names: a score gets the grade with the highest minimum it reaches (the lowest id
        among equal minimums); below every minimum it gets the lowest grade. Grades are few: the expression is a
        CASE ladder per company, computed in the scan (a subquery per lead sorted the grades for each)."""
        self.env["lead.grade"].flush_model(["min_score", "company_id", "active"])
        ladders = defaultdict(list)
        for grade in self.env["lead.grade"].sudo().search([]):
            minimum = thresholds.get(grade.id, grade.min_score) if thresholds else grade.min_score
            ladders[grade.company_id.id or None].append((minimum, grade.id))

        def ladder(grades):
            if not grades:
                return SQL("NULL::int")
            lowest = min(grades)[1]
            steps = [SQL("WHEN %s >= %s THEN %s", score, minimum, grade_id)
                     for minimum, grade_id in sorted(grades, key=lambda grade: (-grade[0], grade[1]))]
            return SQL("CASE %s ELSE %s END", SQL(" ").join(steps), lowest)

        shared = ladder(ladders.pop(None, []))
        if not ladders:
            return SQL("(%s)::int", shared)
        own = SQL(" ").join(SQL("WHEN %s THEN %s", company_id, ladder(grades))
                            for company_id, grades in sorted(ladders.items()))
        return SQL("(CASE %s %s ELSE %s END)::int", company, own, shared)

    def _scoring_recompute(self, fit=True, engagement=True, id_range=None, keep_parts=True):
        """Recompute scores and grades of these leads (of every open lead on an empty recordset, or of those
        in ``id_range``) in one SQL statement, whatever the number of leads; only rows whose values change
        are written. The engagement parts of the leads whose events were read are stored too, unless
        ``keep_parts`` is false (lead.scoring.state). Returns (leads whose score or grade changed, leads whose grade
        changed)."""
        self.env.flush_all()
        now = fields.Datetime.now()
        scope = self._scoring_scope(id_range)
        if fit:
            rules = self.env["lead.scoring.rule"]._get_valid_rule_specs()
            fit_value, fit_join = self._scoring_fit_parts(rules, scope)
        else:
            fit_join, fit_value = SQL(""), SQL("COALESCE(scoring_state.fit_score, 0)")
        if engagement:
            engagement_sql = self._scoring_engagement_parts(scope, now, id_range, keep_parts)
            score_date = SQL("%s::timestamp", now)
        else:
            engagement_sql = EngagementSql(SQL("COALESCE(scoring_state.engagement_score, 0)"), SQL("FALSE"), SQL(""),
                                           NO_PARTS)
            score_date = SQL("COALESCE(scoring_state.score_date, %s::timestamp)", now)
        # For every open lead (a range of them): PostgreSQL's JIT compiles this statement's many expressions for
        # longer than it runs them, and the per-day engagement aggregate of 100,000 leads spills to disk under
        # the default work_mem (4 MB). A few leads need neither.
        many = not self.ids
        if many:
            self.env.cr.execute("SELECT current_setting('jit'), current_setting('work_mem')")
            settings = self.env.cr.fetchone()
            self.env.cr.execute("SET LOCAL jit = off; SET LOCAL work_mem = '64MB'")
        # One statement: compute, write the changed floats into lead_scoring_state, and rewrite a crm_lead
        # row only when its rounded score or its grade changes.
        self.env.cr.execute(SQL("""
            WITH computed AS MATERIALIZED (
                SELECT scored.*, ROUND(scored.fit + scored.engagement)::int AS score FROM (
                    SELECT crm_lead.id, crm_lead.company_id, crm_lead.grade_id AS old_grade,
                           crm_lead.lead_score AS old_score,
                           scoring_state.id AS state_id, scoring_state.fit_score AS old_fit,
                           scoring_state.engagement_score AS old_engagement,
                           %(score_date)s AS score_date, %(fit)s AS fit, %(engagement)s AS engagement,
                           %(from_events)s AS from_events, %(stored)s
                      FROM crm_lead
                 LEFT JOIN lead_scoring_state AS scoring_state ON scoring_state.lead_id = crm_lead.id %(states)s
                           %(fit_join)s %(engagement_join)s
                     WHERE %(scope)s
                ) AS scored
            ), graded AS MATERIALIZED (
                SELECT computed.*, %(grade_of)s AS grade_id FROM computed
            ), updated_states AS (
                UPDATE lead_scoring_state SET fit_score = graded.fit, engagement_score = graded.engagement,
                       score_date = graded.score_date,
                       engagement_parts = CASE WHEN graded.from_events THEN graded.new_parts
                                               ELSE lead_scoring_state.engagement_parts END,
                       engagement_parts_date = CASE WHEN graded.from_events THEN graded.new_parts_date
                                                    ELSE lead_scoring_state.engagement_parts_date END,
                       engagement_next_date = CASE WHEN graded.from_events THEN graded.new_next_date
                                                   ELSE lead_scoring_state.engagement_next_date END,
                       engagement_tz = CASE WHEN graded.from_events THEN graded.new_tz
                                            ELSE lead_scoring_state.engagement_tz END,
                       engagement_stamp = CASE WHEN graded.from_events THEN graded.new_stamp
                                               ELSE lead_scoring_state.engagement_stamp END
                  FROM graded
                 WHERE lead_scoring_state.id = graded.state_id %(updated_states)s
                   AND (graded.old_fit IS DISTINCT FROM graded.fit
                        OR graded.old_engagement IS DISTINCT FROM graded.engagement
                        OR graded.from_events
                           AND (lead_scoring_state.engagement_stamp IS DISTINCT FROM graded.new_stamp
                                OR lead_scoring_state.engagement_tz IS DISTINCT FROM graded.new_tz
                                OR lead_scoring_state.engagement_parts IS DISTINCT FROM graded.new_parts
                                OR lead_scoring_state.engagement_next_date IS DISTINCT FROM graded.new_next_date))
            ), new_states AS (
                INSERT INTO lead_scoring_state (lead_id, fit_score, engagement_score, score_date, engagement_parts,
                                                engagement_parts_date, engagement_next_date, engagement_tz,
                                                engagement_stamp)
                SELECT id, fit, engagement, score_date, new_parts, new_parts_date, new_next_date, new_tz, new_stamp
                  FROM graded WHERE state_id IS NULL
                    ON CONFLICT (lead_id) DO NOTHING
            ), leads AS (
                -- The leads to rewrite are chosen in graded (read in this statement's snapshot), before the join:
                -- PostgreSQL then fetches those few rows by id instead of hashing the whole table.
                UPDATE crm_lead SET lead_score = changed.score, grade_id = changed.grade_id
                  FROM (SELECT * FROM graded WHERE graded.old_score IS DISTINCT FROM graded.score
                                                OR graded.old_grade IS DISTINCT FROM graded.grade_id) AS changed
                 WHERE crm_lead.id = changed.id
             RETURNING crm_lead.id, changed.old_grade, changed.grade_id, changed.score
            )
            SELECT id, old_grade, grade_id, score FROM leads
        """, score_date=score_date, fit=fit_value, engagement=engagement_sql.value,
            from_events=engagement_sql.from_events, stored=engagement_sql.columns, fit_join=fit_join,
            engagement_join=engagement_sql.join, scope=scope,
            states=self._scoring_these_leads_sql(SQL("scoring_state.lead_id")),
            updated_states=self._scoring_these_leads_sql(SQL("lead_scoring_state.lead_id")),
            grade_of=self._scoring_grade_sql(SQL("computed.score"), SQL("computed.company_id"))))
        rows = self.env.cr.fetchall()
        if many:
            self.env.cr.execute(SQL("SELECT set_config('jit', %s, true), set_config('work_mem', %s, true)",
                                    *settings))
        rescored = self.browse([row[0] for row in rows])
        regraded = self.browse([lead_id for lead_id, old, new, _score in rows if old != new])
        # Written in SQL: put the new values in the cache and tell the ORM, so that what depends on the score
        # or the grade (sales-readiness, stored computes of other modules) follows, and nothing is re-read.
        self.env["lead.scoring.state"].invalidate_model()
        self.invalidate_model(["fit_score", "engagement_score", "score_date"])
        if rescored:
            self.env.cache.update(rescored, self._fields["lead_score"], [score for *_ids, score in rows])
            self.env.cache.update(rescored, self._fields["grade_id"], [grade_id for _id, _old, grade_id, _s in rows])
            rescored.modified(["lead_score", "grade_id"])
        if regraded:
            regraded._scoring_log_grade_changes({lead_id: old for lead_id, old, new, _score in rows if old != new})
        return rescored, regraded

    def _scoring_engagement_parts(self, scope, now, id_range=None, keep_parts=True):
        """The engagement part of _scoring_recompute's statement (EngagementSql): SQL giving the engagement of the
        lead aliased ``crm_lead``, whether it was computed from the lead's events (a boolean), the joins they read,
        and the columns (``new_parts``, ``new_parts_date``, ``new_next_date``, ``new_tz``, ``new_stamp``) that the
        statement stores for the leads computed from their events (none without ``keep_parts``).

        These leads, or every open lead: from their events. A range of open leads (the nightly rescore): the leads
        whose stored parts are valid (lead.scoring.state) decay them, without reading their events; the others (no
        parts yet, an event whose date came, another stamp or time zone) are computed from their events, those of
        the whole range when they are many."""
        if not keep_parts:
            return EngagementSql(SQL("COALESCE(eng.score, 0)"), SQL("FALSE"), SQL(
                "LEFT JOIN (SELECT lead_id, SUM(score) AS score FROM (%s) AS days GROUP BY lead_id)"
                " AS eng ON eng.lead_id = crm_lead.id", self._scoring_engagement_sql(scope, now, id_range)), NO_PARTS)
        lead_tz = self._scoring_lead_tz_sql(SQL("lead_tz"))
        tz_join = SQL("LEFT JOIN (%s) AS lead_tz ON lead_tz.id = crm_lead.company_id", self._scoring_company_tz_sql())
        stamp = self._scoring_engagement_stamp()
        decayed = decay_join = None
        events_of, events_scope, events_range = self, scope, id_range
        if id_range:
            stale = SQL("""(scoring_state.engagement_stamp IS DISTINCT FROM %s
                            OR scoring_state.engagement_tz IS DISTINCT FROM %s
                            OR COALESCE(scoring_state.engagement_next_date <= %s, FALSE))""", stamp, lead_tz, now)
            self.env.cr.execute(SQL("""
                SELECT COUNT(*), ARRAY_AGG(crm_lead.id) FILTER (WHERE %s)
                  FROM crm_lead LEFT JOIN lead_scoring_state AS scoring_state ON scoring_state.lead_id = crm_lead.id
                       %s
                 WHERE %s
            """, stale, tz_join, scope))
            count, stale_ids = self.env.cr.fetchone()
            if not stale_ids or len(stale_ids) <= count * STALE_SHARE:
                decayed, decay_join = self._scoring_decayed_parts_sql(now, id_range)
            if not stale_ids:
                return EngagementSql(decayed, SQL("FALSE"), decay_join, NO_PARTS)
            if decayed is not None:
                events_of = self.browse(stale_ids)
                events_scope, events_range = events_of._scoring_scope(), None
        join = SQL("""
            LEFT JOIN (SELECT lead_id, SUM(score) AS score, jsonb_object_agg(
                              type_id, CASE WHEN score < 1e-100 THEN 0 ELSE score END) AS parts
                         FROM (SELECT lead_id, type_id, SUM(score) AS score FROM (%s) AS days
                             GROUP BY lead_id, type_id) AS types
                     GROUP BY lead_id) AS eng ON eng.lead_id = crm_lead.id
            LEFT JOIN (%s) AS upcoming ON upcoming.lead_id = crm_lead.id
            %s %s
        """, events_of._scoring_engagement_sql(events_scope, now, events_range),
            events_of._scoring_upcoming_sql(events_scope, now, events_range), tz_join, decay_join or SQL())
        columns = SQL("""COALESCE(eng.parts, '{}'::jsonb) AS new_parts, %s AS new_parts_date,
                         upcoming.next_date AS new_next_date, %s AS new_tz, %s AS new_stamp""",
                      self._scoring_reference_sql(now), lead_tz, stamp)
        if decayed is None:
            return EngagementSql(SQL("COALESCE(eng.score, 0)"), SQL("TRUE"), join, columns)
        return EngagementSql(SQL("CASE WHEN %s THEN COALESCE(eng.score, 0) ELSE %s END", stale, decayed), stale, join,
                             columns)

    def _scoring_log_grade_changes(self, old_grades):
        """Track the new grade in the chatter, as Odoo's field tracking would, in batch (the grade is written
        in SQL). A first grade (a new lead) is not a change."""
        Grade = self.env["lead.grade"]
        regraded = self.filtered(lambda lead: old_grades.get(lead.id))
        if not regraded:
            return
        messages = regraded._message_log_batch(bodies={
            lead.id: Markup(self.env._("Score: %(score)s")) % {"score": lead.lead_score} for lead in regraded})
        column = self.fields_get(["grade_id"], ["type", "string"])["grade_id"]
        Tracking = self.env["mail.tracking.value"].sudo()
        Tracking.create([
            dict(Tracking._create_tracking_values(Grade.browse(old_grades[lead.id]), lead.grade_id, "grade_id",
                                                  column, lead), mail_message_id=message.id)
            for message, lead in zip(messages, regraded, strict=True)
        ])

    def _scoring_contributions(self):
        """(fit lines, engagement lines) of this lead, at the moment its engagement was last scored. Rules on
        fields the current user may not read are summed in one line without their names."""
        self.ensure_one()
        rules = self.env["lead.scoring.rule"]._get_valid_rules()
        scope = self._scoring_scope()
        self.env.flush_all()
        by_rule = {}
        if rules:
            self.env.cr.execute(SQL("SELECT rule_id, points FROM (%s) AS matches ORDER BY rule_id",
                                    self._scoring_fit_sql(rules, scope)))
            by_rule = dict(self.env.cr.fetchall())
        fit, hidden = [], 0
        for rule in rules.filtered(lambda rule: rule.id in by_rule):
            if rule.with_env(self.env)._is_readable_by_user():
                fit.append({"rule_id": rule.id, "rule": rule.name, "points": by_rule[rule.id]})
            else:
                hidden += by_rule[rule.id]
        if hidden:
            fit.append({"rule_id": False, "rule": self.env._("Rules on fields you cannot see"), "points": hidden})
        at = self.score_date or fields.Datetime.now()
        self.env.cr.execute(SQL("""
            SELECT type_id, SUM(events), SUM(raw), SUM(score) FROM (%s) AS days GROUP BY type_id ORDER BY type_id
        """, self._scoring_engagement_sql(scope, at)))
        types = self.env["lead.engagement.type"].sudo()
        engagement = [{"type_id": type_id, "type": types.browse(type_id).name, "events": int(count),
                       "points": raw, "decay": raw - score, "score": score}
                      for type_id, count, raw, score in self.env.cr.fetchall()]
        details = self._scoring_event_details([line["type_id"] for line in engagement])
        for line in engagement:
            line["details"] = details.get(line["type_id"], [])
        return fit, engagement

    def _scoring_event_details(self, type_ids, limit=5):
        """{type id: [{"note", "count"}]}: what the lead's events of each type were, by their notes ("Clicked
        “Pricing” in the mailing “Spring webinar”", "Visited /pricing"), most frequent first, ``limit`` per type.
        Read as the caller: only events they may read."""
        if not type_ids:
            return {}
        groups = self.env["lead.engagement.event"]._read_group(
            [("lead_id", "=", self.id), ("type_id", "in", type_ids), ("note", "!=", False)],
            ["type_id", "note"], ["__count", "date:max"])
        details = {}
        for event_type, note, count, _last in sorted(groups, key=lambda group: (-group[2], -group[3].timestamp())):
            lines = details.setdefault(event_type.id, [])
            if len(lines) < limit:
                lines.append({"note": note, "count": count})
        return details

    def _score_explanation_html(self):
        breakdown = self.get_score_breakdown()
        rows = [Markup("<tr><td>%s</td><td class='text-end'>%+g</td></tr>") % (line["rule"], line["points"])
                for line in breakdown["fit"]]
        for line in breakdown["engagement"]:
            rows.append(Markup("<tr><td>%s</td><td class='text-end'>%+.2f</td></tr>") % (
                self.env._("%(type)s: %(events)s event(s), %(points)g points, %(decay).2f decayed",
                           type=line["type"], events=line["events"], points=line["points"],
                           decay=line["decay"]), line["score"]))
            # What the events were, under their type: "Visited /pricing (3 times)".
            rows += [Markup("<tr class='text-muted small'><td class='ps-4'>%s</td><td/></tr>") % (
                         self.env._("%(note)s (%(count)s times)", note=detail["note"], count=detail["count"])
                         if detail["count"] > 1 else detail["note"])
                     for detail in line["details"]]
        if breakdown["pending"]:
            rows.append(Markup("<tr class='text-warning'><td>%s</td><td class='text-end'>%+d</td></tr>") % (
                self.env._("Not rescored yet: the rescore job brings the score up to date"), breakdown["pending"]))
        if abs(breakdown["rounding"]) > 1e-9:
            rows.append(Markup("<tr><td>%s</td><td class='text-end'>%+.2f</td></tr>") % (
                self.env._("Rounding"), breakdown["rounding"]))
        if not rows:
            return Markup("<p class='text-muted'>%s</p>") % self.env._("No rule or event gives this lead points yet.")
        total = Markup("<tr class='fw-bold'><td>%s</td><td class='text-end'>%s</td></tr>") % (
            self.env._("Score"), breakdown["lead_score"])
        return Markup("<table class='table table-sm'>%s%s</table>") % (Markup("").join(rows), total)

    @api.model
    def _scoring_preview_rule(self, old_rule, new_domain, new_points):
        """{(from grade, to grade): count} over the open leads the current user may read, if ``old_rule``
        were replaced by a rule (``new_domain``, ``new_points``); ``new_domain`` None: the rule removed or
        inactive. Domains are searched as the user: record rules and field groups apply."""
        zero = SQL("SELECT NULL::int AS lead_id WHERE FALSE")
        old_sql = self._search(old_rule._get_domain()).subselect() if old_rule else zero
        new_sql = self._search(new_domain).subselect() if new_domain is not None else zero
        old_points = old_rule.points if old_rule else 0
        return self._scoring_preview(SQL(
            "COALESCE(scoring_state.fit_score, 0) - CASE WHEN crm_lead.id IN (%s) THEN %s ELSE 0 END"
            " + CASE WHEN crm_lead.id IN (%s) THEN %s ELSE 0 END",
            old_sql, old_points, new_sql, new_points or 0))

    @api.model
    def _scoring_preview(self, fit_expression=None, thresholds=None):
        """Count the open leads the current user may read (record rules applied: their companies, their
        leads) per (current grade, grade they would get), with the fit score given as SQL (on ``crm_lead``
        and its ``scoring_state``; by default the current fit score) and the grades' minimum scores
        optionally replaced by ``thresholds`` ({grade id: min score}). For Lead Managers only."""
        if not self.env.su and not self.env.user.has_group("lead_management.group_lead_manager"):
            raise AccessError(self.env._("Only Lead Managers preview the impact of scoring changes."))
        fit_expression = fit_expression or SQL("COALESCE(scoring_state.fit_score, 0)")
        readable = self._search([("probability", "<", 100)])
        self.env.flush_all()
        self.env.cr.execute(SQL("""
            WITH scored AS (
                SELECT crm_lead.grade_id AS old_grade, crm_lead.company_id,
                       ROUND((%(fit)s) + COALESCE(scoring_state.engagement_score, 0)) AS score
                  FROM crm_lead
             LEFT JOIN lead_scoring_state AS scoring_state ON scoring_state.lead_id = crm_lead.id
                 WHERE %(open)s AND crm_lead.id IN (%(readable)s)
            )
            SELECT old_grade, %(grade_of)s AS new_grade, COUNT(*) FROM scored GROUP BY 1, 2
        """, fit=fit_expression, readable=readable.subselect(), open=self.browse()._scoring_scope(),
            grade_of=self._scoring_grade_sql(SQL("scored.score"), SQL("scored.company_id"), thresholds)))
        rows = self.env.cr.fetchall()
        grades = self.env["lead.grade"].sudo().with_context(active_test=False).search([])
        names = {grade.id: grade.name for grade in grades}
        return {(names.get(old), names.get(new)): count for old, new, count in rows}

    # ------------------------------------------------------------
    # INSTALL
    # ------------------------------------------------------------

    @api.model
    def _scoring_init_existing(self, batch_size=RESCORE_BATCH_SIZE):
        """Score every open lead once, when the addon is installed on an existing CRM: one statement per
        range of ``batch_size`` leads (bounded memory), no chatter message (a first grade is not a change),
        and none of the later steps (nothing is configured to promote or hand off yet)."""
        self.env.flush_all()
        self.env.cr.execute(SQL("SELECT MIN(id), MAX(id) FROM crm_lead WHERE %s", self.browse()._scoring_scope()))
        low, high = self.env.cr.fetchone()
        if low is None:
            return
        for start in range(low, high + 1, batch_size):
            # The parts of the engagement are left to the first nightly rescore (it reads the events once more).
            self._scoring_recompute(id_range=(start, start + batch_size), keep_parts=False)

    # ------------------------------------------------------------
    # CRON
    # ------------------------------------------------------------

    @api.model
    def _cron_rescore(self, batch_size=RESCORE_BATCH_SIZE):
        """Nightly (and "Recompute all scores", and after a rule, grade or engagement type changed): apply
        engagement decay and re-grade every open lead; then the steps after scoring run for the leads whose
        score or grade moved (promotion, hand-off).

        In chunks of ``batch_size`` lead ids (_lead_management_run: committed one after the other, or jobs of
        queue_job), one statement per chunk. The engagement decays from each lead's stored parts; the leads whose
        parts are stale are read from their events, by id, or in one pass over the range's events when they are
        many (_scoring_engagement_parts). No lead is locked beforehand: the statement locks only the rows it
        rewrites, as crm's own probability recompute does."""
        self.env.flush_all()
        self._scoring_drop_empty_accounts()
        self.env.cr.execute(SQL("SELECT id FROM crm_lead WHERE %s ORDER BY id", self.browse()._scoring_scope()))
        lead_ids = [row[0] for row in self.env.cr.fetchall()]
        self._lead_management_run("crm.lead", "_scoring_rescore_chunk", id_buckets(lead_ids, batch_size))

    @api.model
    def _scoring_rescore_chunk(self, low, high):
        """Rescore the open leads of ids in [low, high), and run the steps after scoring for those that moved. A chunk
        that meets a concurrent update (a lead saved meanwhile) is retried once in a new transaction (outside tests),
        then left for the next run."""
        auto_commit = not getattr(threading.current_thread(), "testing", False)
        for attempt in (1, 2):
            try:
                with self.env.cr.savepoint():
                    rescored, regraded = self._scoring_recompute(id_range=(low, high))
                    self._scoring_rescored(rescored, regraded)
                return
            except (SerializationFailure, LockNotAvailable) as error:
                self.env.invalidate_all()
                _logger.warning("Rescore of leads %s to %s met a concurrent update (attempt %s): %s",
                                low, high - 1, attempt, error)
                if not auto_commit:
                    return
                self.env.cr.commit()  # pylint: disable=invalid-commit
