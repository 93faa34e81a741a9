# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models, tools
from odoo.exceptions import UserError
from odoo.tools import SQL

from ..tools import domain_field_names, fields_read_by

# Leads placed in the lifecycle per statement when the addon is installed on an existing CRM.
INIT_BATCH_SIZE = 50000


class CrmLead(models.Model):
    _inherit = "crm.lead"

    # Lifecycle
    lifecycle_stage_id = fields.Many2one(
        "lead.lifecycle.stage", index=True, tracking=True, copy=False, ondelete="set null", check_company=True,
        group_expand="_read_group_expand_lifecycle_stage_id",
        domain="['|', ('company_id', '=', False), ('company_id', '=', company_id)]",
        help="Where the lead stands in the lifecycle marketing and sales agreed on.")
    lifecycle_code = fields.Char(related="lifecycle_stage_id.code", string="Lifecycle Code")
    lifecycle_side = fields.Selection(related="lifecycle_stage_id.side", store=True, string="Owned By")
    lifecycle_definition = fields.Html(related="lifecycle_stage_id.definition", string="Stage Definition")
    lifecycle_date = fields.Datetime("In Lifecycle Stage Since", readonly=True, copy=False)
    lifecycle_history_ids = fields.One2many("lead.lifecycle.history", "lead_id", readonly=True)

    @api.model
    def _read_group_expand_lifecycle_stage_id(self, stages, domain):
        return stages.search([], order=stages._order)

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def action_set_lost(self, **additional_values):
        # crm archives first and writes the reason afterwards: the lead would move to the default lost stage,
        # then to its reason's. Writing the reason first sends it straight to the stage mapped for it.
        if additional_values:
            self.write(dict(additional_values))
        return super().action_set_lost()

    def _merge_dependences(self, opportunities):
        # The merged leads' moves are part of the story of the lead that stays.
        result = super()._merge_dependences(opportunities)
        opportunities.sudo().lifecycle_history_ids.write({"lead_id": self.id})
        return result

    # ------------------------------------------------------------
    # PIPELINE STEP 1: LIFECYCLE
    # ------------------------------------------------------------

    @api.model
    def _lifecycle_prepare_create(self, vals_list):
        """Each new lead's first stage: a stage given in the values (a person's choice, checked), else
        prospect for an opportunity (customer when created won), else the first marketing stage."""
        Stage = self.env["lead.lifecycle.stage"]
        default_type = self.env.context.get("default_type") or self.default_get(["type"]).get("type")
        prepared = []
        for vals in vals_list:
            vals = dict(vals)
            company = self.env["res.company"].browse(vals.get("company_id")) or self.env.company
            lead_type = vals.get("type") or default_type
            won = vals.get("stage_id") and self.env["crm.stage"].browse(vals["stage_id"]).is_won
            if lead_type == "opportunity" or won:
                # crm decides where an opportunity stands.
                vals["lifecycle_stage_id"] = Stage._get_by_code("customer" if won else "prospect", company).id
            elif vals.get("lifecycle_stage_id"):
                self.browse()._lifecycle_check_move(Stage.browse(vals["lifecycle_stage_id"]))
            else:
                vals["lifecycle_stage_id"] = Stage._get_first_marketing_stage(company).id
            vals["lifecycle_date"] = fields.Datetime.now()
            prepared.append(vals)
        Stage.browse({vals["lifecycle_stage_id"] for vals in prepared if vals.get("lifecycle_stage_id")})._warm_cache()
        return prepared

    def _lifecycle_log_created(self):
        staged = self.filtered("lifecycle_stage_id")
        staged._lifecycle_log_moves({}, self.env["lead.lifecycle.stage"], self.env._("Created"))

    def _lifecycle_plan(self, vals, reason, by_hand):
        """[(leads, values to write, move)] for ``vals``: a group per target stage, ``move`` being
        (previous {lead id: (stage, since)}, stage, reason) for the leads that change stage, else None.

        A stage in ``vals`` is where every lead goes (checked when ``by_hand``). Otherwise crm's own change
        decides per lead, and crm's moves are never refused: converted → prospect, won → customer, out of a
        won stage → prospect, lost → the lost reason's stage (default in Settings), restored → back into
        the flow."""
        now = fields.Datetime.now()
        if "lifecycle_stage_id" in vals:
            stage = self.env["lead.lifecycle.stage"].browse(vals["lifecycle_stage_id"])
            targets = [(self, lambda company: stage, reason or self.env._("Changed by %s", self.env.user.name))]
            if by_hand:
                self.filtered(lambda lead: lead.lifecycle_stage_id != stage)._lifecycle_check_move(stage)
        else:
            targets = [(leads, stage_for, reason or label)
                       for leads, stage_for, label in self._lifecycle_crm_moves(vals)]
        plan, rest = [], self
        for leads, stage_for_company, label in targets:
            rest -= leads
            for company, company_leads in leads.grouped("company_id").items():
                stage = stage_for_company(company or self.env.company)
                if not stage:
                    plan.append((company_leads, dict(vals), None))
                    continue
                moving = company_leads.filtered(lambda lead, stage=stage: lead.lifecycle_stage_id != stage)
                if company_leads - moving:
                    plan.append((company_leads - moving, dict(vals, lifecycle_stage_id=stage.id), None))
                if moving:
                    previous = {lead.id: (lead.lifecycle_stage_id, lead.lifecycle_date) for lead in moving}
                    plan.append((moving, dict(vals, lifecycle_stage_id=stage.id, lifecycle_date=now),
                                 (previous, stage, label)))
        if rest:
            plan.append((rest, dict(vals), None))
        return plan

    def _lifecycle_crm_moves(self, vals):
        """[(leads, stage for a company, reason)]: what crm's write of ``vals`` implies for the lifecycle."""
        Stage = self.env["lead.lifecycle.stage"]
        _ = self.env._

        def by_code(code):
            return lambda company: Stage._get_by_code(code, company)

        targets, seen = [], self.browse()

        def add(leads, stage_for_company, label):
            nonlocal seen
            leads -= seen
            if leads:
                targets.append((leads, stage_for_company, label))
                seen |= leads

        if "active" in vals and not vals["active"]:
            reason = self.env["crm.lost.reason"].browse(vals.get("lost_reason_id"))
            by_reason = self.filtered("active").grouped(lambda lead: reason or lead.lost_reason_id)
            for lost_reason, leads in by_reason.items():
                add(leads, lambda company, lost_reason=lost_reason: self._lifecycle_lost_stage(lost_reason, company),
                    _("Lost: %s", lost_reason.name) if lost_reason else _("Lost"))
        elif vals.get("lost_reason_id"):
            reason = self.env["crm.lost.reason"].browse(vals["lost_reason_id"])
            add(self.filtered(lambda lead: not lead.active),
                lambda company: self._lifecycle_lost_stage(reason, company), _("Lost: %s", reason.name))
        elif vals.get("active"):
            inactive = self.filtered(lambda lead: not lead.active)
            add(inactive.filtered(lambda lead: lead.type == "opportunity"), by_code("prospect"), _("Restored"))
            add(inactive, by_code("lead"), _("Restored"))
        if vals.get("type") == "opportunity":
            add(self.filtered(lambda lead: lead.type == "lead"), by_code("prospect"), _("Converted to opportunity"))
        if vals.get("stage_id"):
            if self.env["crm.stage"].browse(vals["stage_id"]).is_won:
                add(self.filtered("active"), by_code("customer"), _("Won"))
            else:
                add(self.filtered(lambda lead: lead.stage_id.is_won and lead.lifecycle_code == "customer"),
                    by_code("prospect"), _("Reopened"))
        return targets

    @api.model
    def _lifecycle_lost_stage(self, lost_reason, company):
        """Where a lead of ``company`` lost for ``lost_reason`` goes: the reason's stage (that company's stage
        of the same code), else the company's setting, else Recycled."""
        Stage = self.env["lead.lifecycle.stage"]
        stage = lost_reason.lifecycle_stage_id
        if stage:
            stage = Stage._get_by_code(stage.code, company)
        if not stage:
            stage = company.lead_lost_stage_id
        return stage or Stage._get_by_code("recycled", company)

    def _lifecycle_check_move(self, stage):
        """A person choosing a stage by hand: sales stages follow sales' own steps; backward moves (other
        than into a side exit) are for Lead Managers. crm's own moves (won, lost, reopened…) are not checked."""
        if self.env.su:
            return
        if not stage:
            raise UserError(self.env._("Every lead stands in a lifecycle stage: choose one instead of clearing it."))
        if stage.side == "sales":
            raise UserError(self.env._(
                "A lead reaches “%s” through sales: the salesperson accepts it (or converts it to an opportunity), "
                "and a won opportunity becomes a customer.", stage.name))
        if stage.is_side_exit or self.env.user.has_group("lead_management.group_lead_manager"):
            return
        backward = self.filtered(lambda lead: lead.lifecycle_stage_id and not lead.lifecycle_stage_id.is_side_exit
                                 and lead.lifecycle_stage_id.sequence > stage.sequence)
        if backward:
            raise UserError(self.env._(
                "Only a Lead Manager can move a lead back from “%(from)s” to “%(to)s” (%(leads)s). "
                "Move it to Recycled or Disqualified instead, or ask a Lead Manager.",
                **{"from": backward[0].lifecycle_stage_id.name, "to": stage.name,
                   "leads": ", ".join(backward[:5].mapped("display_name"))}))

    def _lifecycle_log_moves(self, previous, stage, reason):
        """Append one history row per lead; ``previous`` maps lead id to (stage, date entered). Returns self."""
        now = fields.Datetime.now()
        vals_list = []
        for lead in self:
            from_stage, since = previous.get(lead.id, (self.env["lead.lifecycle.stage"], False))
            to_stage = stage or lead.lifecycle_stage_id
            vals_list.append({
                "lead_id": lead.id,
                "company_id": lead.company_id.id,
                "from_stage_id": from_stage.id,
                "from_code": from_stage.code,
                "to_stage_id": to_stage.id,
                "to_code": to_stage.code,
                "date": now,
                "user_id": self.env.uid,
                "reason": reason,
                "hours_in_previous": since and (now - since).total_seconds() / 3600.0,
            })
        self.env["lead.lifecycle.history"]._log(vals_list)
        # Read again once the rows are written (the read flushes them); dropping the cached value must not
        # flush them now, which invalidate_recordset would do.
        self.env.cache.invalidate([(self._fields["lifecycle_history_ids"], self.ids)])
        return self

    def _lifecycle_move(self, stage, reason):
        """Move these leads to ``stage`` as the system does (hand-off, promotion, rejection): not checked as a
        person's choice, the pipeline runs for them."""
        return self._write_pipeline({"lifecycle_stage_id": stage.id}, reason=reason, by_hand=False)

    # ------------------------------------------------------------
    # PIPELINE STEP 5: PROMOTION
    # ------------------------------------------------------------

    @api.model
    @tools.ormcache()
    def _promotion_stage_ids(self):
        """Ids of the marketing stages with entry criteria, highest sequence first (cached: most writes
        promote nobody and should not pay a query to learn it)."""
        return tuple(self.env["lead.lifecycle.stage"].sudo().search(
            [("entry_domain", "not in", [False, "", "[]"]), ("side", "=", "marketing"), ("is_side_exit", "=", False)],
            order="sequence desc, id").ids)

    @api.model
    @tools.ormcache()
    def _promotion_fields(self):
        """Names of the lead fields some stage's entry criteria read: a write touching none of them promotes
        nobody (a change of score or grade is handled by the scoring step's report, see _promotion_step)."""
        names = set()
        for stage in self.env["lead.lifecycle.stage"].sudo().browse(self._promotion_stage_ids()):
            try:
                names.update(domain_field_names(stage._get_entry_domain()))
            except UserError:
                continue
        return fields_read_by(self, names) | {"lifecycle_stage_id", "active", "company_id", "type"}

    def _promotion_step(self, changes):
        if not self._promotion_stage_ids():
            return
        if changes.created or changes.fields & self._promotion_fields():
            self._lifecycle_promote()
        elif changes.rescored:
            changes.rescored._lifecycle_promote()

    def _lifecycle_promote(self):
        """Promote marketing-owned leads whose data now meet a later stage's entry criteria (forward only)."""
        stages = self.env["lead.lifecycle.stage"].sudo().browse(self._promotion_stage_ids()).exists()
        candidates = self.filtered(lambda lead: lead.active and lead.lifecycle_side == "marketing"
                                   and not lead.lifecycle_stage_id.is_side_exit)
        promoted = self.browse()
        for stage in stages:
            if not candidates:
                break
            matching = candidates.filtered(
                lambda lead, stage=stage: lead.lifecycle_stage_id.sequence < stage.sequence
                and stage.company_id in (lead.company_id, self.env["res.company"])
            ).sudo().filtered_domain(stage._get_entry_domain()).with_env(self.env)
            if matching:
                matching._lifecycle_move(stage, self.env._("Entry criteria of “%s” met", stage.name))
                candidates -= matching
                promoted |= matching
        return promoted

    # ------------------------------------------------------------
    # INSTALL
    # ------------------------------------------------------------

    @api.model
    def _lifecycle_init_existing(self, batch_size=INIT_BATCH_SIZE, zero_score=False):
        """Place every lead without lifecycle stage where its crm state implies, in SQL and in ranges of ids:
        an install on a CRM of 100,000 leads writes one history row per lead and no chatter message.
        ``zero_score``: nothing can score yet (no fit rule, no event: the install), so every open lead gets the
        score 0 and its grade in the same rewrite of its row (one rewrite of each lead, not two)."""
        self.env.flush_all()
        self.env["lead.lifecycle.history"].flush_model()
        self.env.cr.execute("SELECT MIN(id), MAX(id) FROM crm_lead WHERE lifecycle_stage_id IS NULL")
        low, high = self.env.cr.fetchone()
        if low is None:
            return
        Stage = self.env["lead.lifecycle.stage"]
        self.env.cr.execute("SELECT DISTINCT company_id FROM crm_lead WHERE lifecycle_stage_id IS NULL")
        companies = self.env["res.company"].browse(row[0] for row in self.env.cr.fetchall() if row[0])
        default = self.env.company
        # (company id or 0 for leads without company, code, stage id, side), as SQL VALUES
        stage_map = []
        for company in (companies | default):
            keys = [company.id] + ([0] if company == default else [])
            stages = {code: Stage._get_by_code(code, company) for code in ("customer", "prospect", "lead")}
            stages["lost"] = self._lifecycle_lost_stage(self.env["crm.lost.reason"], company)
            stage_map += [(key, code, stage.id, stage.side) for key in keys for code, stage in stages.items() if stage]
        values = SQL(", ").join(SQL("(%s, %s, %s, %s)", *row) for row in stage_map)
        reason = self.env._("Lead Management installed")
        score = SQL()
        if zero_score:
            scored = self.browse()._scoring_scope()
            score = SQL(", lead_score = CASE WHEN %(open)s THEN 0 END,"
                        " grade_id = CASE WHEN %(open)s THEN %(grade)s END", open=scored,
                        grade=self._scoring_grade_sql(SQL("0"), SQL("crm_lead.company_id")))
        for start in range(low, high + 1, batch_size):
            self.env.cr.execute(SQL("""
                WITH placed AS (
                    UPDATE crm_lead
                       SET lifecycle_stage_id = stage_map.stage_id, lifecycle_side = stage_map.side,
                           lifecycle_date = NOW() AT TIME ZONE 'UTC' %(score)s
                      FROM (VALUES %(values)s) AS stage_map(company_id, code, stage_id, side)
                     WHERE crm_lead.lifecycle_stage_id IS NULL
                       AND crm_lead.id >= %(low)s AND crm_lead.id < %(high)s
                       AND stage_map.company_id = COALESCE(crm_lead.company_id, 0)
                       AND stage_map.code = CASE
                               WHEN NOT crm_lead.active THEN 'lost'
                               WHEN (SELECT is_won FROM crm_stage WHERE crm_stage.id = crm_lead.stage_id)
                                   THEN 'customer'
                               WHEN crm_lead.type = 'opportunity' THEN 'prospect'
                               ELSE 'lead' END
                 RETURNING crm_lead.id, crm_lead.lifecycle_stage_id, crm_lead.company_id
                )
                INSERT INTO lead_lifecycle_history (lead_id, company_id, to_stage_id, to_code, date, user_id, reason,
                                                    create_uid, create_date, write_uid, write_date)
                SELECT placed.id, placed.company_id, placed.lifecycle_stage_id, stage.code, NOW() AT TIME ZONE 'UTC',
                       %(uid)s, %(reason)s, %(uid)s, NOW() AT TIME ZONE 'UTC', %(uid)s, NOW() AT TIME ZONE 'UTC'
                  FROM placed JOIN lead_lifecycle_stage stage ON stage.id = placed.lifecycle_stage_id
            """, values=values, low=start, high=start + batch_size, uid=self.env.uid, reason=reason, score=score))
        self.env.invalidate_all()

    # ------------------------------------------------------------
    # CRON
    # ------------------------------------------------------------

    @api.model
    def _cron_promote_lifecycle(self):
        """Promote leads whose data meet a later stage's entry criteria, including changes made in SQL or
        by modules that bypass write()."""
        stages = self.env["lead.lifecycle.stage"].browse(self._promotion_stage_ids())
        if not stages:
            return
        domain = [("lifecycle_side", "=", "marketing"), ("lifecycle_stage_id.is_side_exit", "=", False),
                  ("lifecycle_stage_id.sequence", "<", max(stages.mapped("sequence")))]
        self._lead_management_process_batches(domain, "_lifecycle_promote")
