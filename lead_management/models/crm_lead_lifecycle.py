# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import logging
import threading

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, split_every

_logger = logging.getLogger(__name__)

CRON_BATCH_SIZE = 500


class CrmLead(models.Model):
    _inherit = "crm.lead"

    # Lifecycle
    lifecycle_stage_id = fields.Many2one(
        "lead.lifecycle.stage", index=True, tracking=True, copy=False, ondelete="set null",
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
    # CRUD
    # ------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if not vals.get("lifecycle_stage_id"):
                stage = self._lifecycle_initial_stage(vals)
                if stage:
                    vals["lifecycle_stage_id"] = stage.id
            vals.setdefault("lifecycle_date", fields.Datetime.now())
        leads = super().create(vals_list)
        staged = leads.filtered("lifecycle_stage_id")
        staged._lifecycle_log_moves({}, self.env["lead.lifecycle.stage"], self.env._("Created"))
        if not self.env.context.get("lead_management_no_promotion"):
            leads._lifecycle_promote()
        return leads

    def write(self, vals):
        reason = self.env.context.get("lead_management_move_reason")
        if "lifecycle_stage_id" in vals:
            return self._lifecycle_write(vals, reason)
        result = True
        handled = self.browse()
        for leads, stage_for_company, label in self._lifecycle_crm_targets(vals):
            for company, company_leads in leads.grouped("company_id").items():
                stage = stage_for_company(company or self.env.company)
                if stage:
                    result = company_leads.with_context(lead_management_crm_move=True)._lifecycle_write(
                        dict(vals, lifecycle_stage_id=stage.id), reason or label)
                    handled |= company_leads
        rest = self - handled
        if rest or not self:
            result = super(CrmLead, rest).write(dict(vals))
            if not self.env.context.get("lead_management_no_promotion"):
                rest._lifecycle_promote()
        return result

    def _lifecycle_write(self, vals, reason):
        """Write ``vals``, which set a lifecycle stage: check the move, date it, log it."""
        stage = self.env["lead.lifecycle.stage"].browse(vals["lifecycle_stage_id"])
        moving = self.filtered(lambda lead: lead.lifecycle_stage_id != stage)
        moving._lifecycle_check_move(stage)
        previous = {lead.id: (lead.lifecycle_stage_id, lead.lifecycle_date) for lead in moving}
        result = True
        # crm's write() changes the vals it gets: each call has its own copy.
        if self - moving:
            result = super(CrmLead, self - moving).write(dict(vals))
        if moving:
            result = super(CrmLead, moving).write(dict(vals, lifecycle_date=fields.Datetime.now()))
            moving._lifecycle_log_moves(
                previous, stage, reason or self.env._("Changed by %s", self.env.user.name))
            moving._lifecycle_after_move(stage)
        return result

    def action_set_lost(self, **additional_values):
        # crm archives first and writes the reason afterwards: pass the reason along so the lead
        # goes straight to the stage mapped for it.
        reason_id = additional_values.get("lost_reason_id")
        return super(CrmLead, self.with_context(lead_management_lost_reason_id=reason_id)).action_set_lost(
            **additional_values)

    # ------------------------------------------------------------
    # LIFECYCLE
    # ------------------------------------------------------------

    @api.model
    def _lifecycle_initial_stage(self, vals):
        """Where a new lead starts: prospect for an opportunity, else the first marketing stage.

        Entry criteria then promote it further (see _lifecycle_promote)."""
        lead_type = vals.get("type") or self.env.context.get("default_type") or self.default_get(["type"]).get("type")
        company = self.env["res.company"].browse(vals.get("company_id")) or self.env.company
        Stage = self.env["lead.lifecycle.stage"]
        if lead_type == "opportunity":
            return Stage._get_by_code("prospect", company)
        return Stage.search([("side", "=", "marketing"), ("is_side_exit", "=", False),
                             ("company_id", "in", [company.id, False])], limit=1)

    def _lifecycle_crm_targets(self, vals):
        """What crm's write implies for the lifecycle, per lead: [(leads, stage for a company, reason)].

        Conversion -> prospect, won -> customer, out of a won stage -> prospect, lost -> the lost reason's
        stage (default in Settings), restored -> back into the flow."""
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
            reason = self.env["crm.lost.reason"].browse(
                vals.get("lost_reason_id") or self.env.context.get("lead_management_lost_reason_id"))
            add(self.filtered("active"), lambda company: self._lifecycle_lost_stage(reason, company),
                _("Lost: %s", reason.name) if reason else _("Lost"))
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

    def _lifecycle_lost_stage(self, lost_reason, company):
        return lost_reason.lifecycle_stage_id or self.with_company(company)._lifecycle_default_lost_stage()

    def _lifecycle_default_lost_stage(self):
        stage_id = self.env["ir.config_parameter"].sudo().get_param("lead_management.lost_stage_id")
        stage = self.env["lead.lifecycle.stage"].browse(int(stage_id or 0)).exists()
        if stage.company_id and stage.company_id != self.env.company:
            stage = stage.browse()
        return stage or self.env["lead.lifecycle.stage"]._get_by_code("recycled", self.env.company)

    def _lifecycle_check_move(self, stage):
        """Sales stages follow sales' own steps; backward moves (other than into a side exit) are for
        Lead Managers."""
        if self.env.su:
            return
        if stage.side == "sales" and not self.env.context.get("lead_management_crm_move"):
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
        """Append one history row per lead; ``previous`` maps lead id to (stage, date entered)."""
        now = fields.Datetime.now()
        vals_list = []
        for lead in self:
            from_stage, since = previous.get(lead.id, (self.env["lead.lifecycle.stage"], False))
            vals_list.append({
                "lead_id": lead.id,
                "from_stage_id": from_stage.id,
                "to_stage_id": (stage if len(stage) == 1 else lead.lifecycle_stage_id).id,
                "date": now,
                "user_id": self.env.uid,
                "reason": reason,
                "hours_in_previous": since and (now - since).total_seconds() / 3600.0,
            })
        return self.env["lead.lifecycle.history"].sudo().create(vals_list)

    def _lifecycle_after_move(self, stage):
        """Hook for what follows a move (hand-off when a lead becomes sales-ready)."""
        return True

    def _lifecycle_promote(self):
        """Promote marketing-owned leads whose data now meet a later stage's entry criteria (forward only)."""
        stages = self.env["lead.lifecycle.stage"].sudo().search(
            [("entry_domain", "not in", [False, "", "[]"]), ("side", "=", "marketing"), ("is_side_exit", "=", False)],
            order="sequence desc")
        if not stages:
            return self.browse()
        candidates = self.filtered(lambda lead: lead.active and lead.lifecycle_side == "marketing"
                                   and not lead.lifecycle_stage_id.is_side_exit)
        promoted = self.browse()
        for stage in stages:
            if not candidates:
                break
            matching = candidates.filtered(
                lambda lead, stage=stage: lead.lifecycle_stage_id.sequence < stage.sequence
                and stage.company_id in (lead.company_id, self.env["res.company"])
            ).filtered_domain(stage._get_entry_domain())
            if matching:
                reason = self.env._("Entry criteria of “%s” met", stage.name)
                matching.with_context(lead_management_move_reason=reason).write({"lifecycle_stage_id": stage.id})
                candidates -= matching
                promoted |= matching
        return promoted

    @api.model
    def _lifecycle_init_existing(self):
        """Give every lead without lifecycle stage the stage its crm state implies."""
        leads = self.search([("lifecycle_stage_id", "=", False)])
        won = leads.filtered(lambda lead: lead.active and lead.stage_id.is_won)
        lost = leads.filtered(lambda lead: not lead.active)
        opportunities = leads.filtered(lambda lead: lead.type == "opportunity") - won - lost
        others = leads - won - lost - opportunities
        for group, code in ((won, "customer"), (opportunities, "prospect"), (others, "lead")):
            for company, company_leads in group.grouped("company_id").items():
                stage = self.env["lead.lifecycle.stage"]._get_by_code(code, company or self.env.company)
                company_leads.with_context(lead_management_move_reason=self.env._("Lead Management installed"),
                                           lead_management_no_promotion=True).write({"lifecycle_stage_id": stage.id})
        for company, company_leads in lost.grouped("company_id").items():
            stage = company_leads.with_company(company or self.env.company)._lifecycle_default_lost_stage()
            company_leads.with_context(lead_management_move_reason=self.env._("Lead Management installed"),
                                       lead_management_no_promotion=True).write({"lifecycle_stage_id": stage.id})

    # ------------------------------------------------------------
    # BATCHES (shared by the scheduled actions)
    # ------------------------------------------------------------

    @api.model
    def _lead_management_process_batches(self, domain, process, batch_size=CRON_BATCH_SIZE):
        """Run ``process`` on the leads matching ``domain`` in batches.

        Each batch is locked (rows another process holds are skipped, never handled twice), re-checked
        against the domain, processed, reported as cron progress and committed, so a crash loses at
        most one batch and the next run resumes with what is left.
        """
        lead_ids = self.search(domain, order="id").ids
        done = 0
        for batch_ids in split_every(batch_size, lead_ids):
            self.env.cr.execute(SQL(
                "SELECT id FROM crm_lead WHERE id IN %s FOR UPDATE SKIP LOCKED", tuple(batch_ids)))
            locked_ids = [row[0] for row in self.env.cr.fetchall()]
            leads = self.browse(locked_ids).filtered_domain(domain)
            if leads:
                process(leads)
            done += len(batch_ids)
            self._lead_management_batch_done(done, len(lead_ids))
        return done

    @api.model
    def _lead_management_batch_done(self, done, total):
        """Report a cron batch as progress and commit it (one batch at a time, as crm's own lead
        assignment commits), except in tests."""
        self.env["ir.cron"]._notify_progress(done=done, remaining=total - done)
        if not getattr(threading.current_thread(), "testing", False):
            self.env.cr.commit()  # pylint: disable=invalid-commit

    # ------------------------------------------------------------
    # CRON
    # ------------------------------------------------------------

    @api.model
    def _cron_promote_lifecycle(self):
        """Promote leads whose data meet a later stage's entry criteria, including changes made in SQL or
        by modules that bypass write()."""
        stages = self.env["lead.lifecycle.stage"].search(
            [("entry_domain", "not in", [False, "", "[]"]), ("side", "=", "marketing"), ("is_side_exit", "=", False)])
        if not stages:
            return
        domain = [("lifecycle_side", "=", "marketing"), ("lifecycle_stage_id.is_side_exit", "=", False),
                  ("lifecycle_stage_id.sequence", "<", max(stages.mapped("sequence")))]
        self._lead_management_process_batches(domain, lambda leads: leads._lifecycle_promote())
