# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from ast import literal_eval
from collections import defaultdict

from markupsafe import Markup

from odoo import SUPERUSER_ID, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.osv import expression

from ..tools import for_activities
from .crm_lead_sla import RUNNING
from .lead_handoff import HANDOFF_STATES

HANDOFF_ACTIVITY = "lead_management.mail_activity_type_handoff"


class CrmLead(models.Model):
    _inherit = "crm.lead"

    # Hand-off to sales and sales' answer
    handoff_date = fields.Datetime("Handed Off On", readonly=True, copy=False, tracking=True, index=True)
    handoff_state = fields.Selection(
        HANDOFF_STATES, "Sales Answer", readonly=True, copy=False, tracking=True, index=True,
        help="The last hand-off's outcome: awaiting the salesperson's answer, accepted or rejected by them, "
             "withdrawn by marketing (lost or disqualified by a qualifying rep), or not answered (the salesperson "
             "let it go without answering: unassigned, passed on, lost, or reassigned by the SLA).")
    handoff_answer_date = fields.Datetime("Answered On", readonly=True, copy=False)
    handoff_user_id = fields.Many2one(
        "res.users", "Handed Off To", readonly=True, copy=False, index="btree_not_null",
        help="The salesperson who received the lead last: kept after a rejection, for acceptance reports.")
    rejection_reason_id = fields.Many2one(
        "lead.rejection.reason", readonly=True, copy=False, tracking=True, index="btree_not_null",
        check_company=True)
    rejection_note = fields.Text(readonly=True, copy=False)
    recycle_count = fields.Integer("Times Recycled", readonly=True, copy=False,
                                   help="How many times sales sent this lead back to marketing.")
    is_sales_ready = fields.Boolean(
        "Sales-Ready", compute="_compute_is_sales_ready", search="_search_is_sales_ready",
        help="Qualified, of a grade sales takes (A), and not waiting for sales: ready to be handed off.")

    @api.depends("lifecycle_stage_id", "handoff_state", "active", "type", "grade_id")
    def _compute_is_sales_ready(self):
        for lead in self:
            lead.is_sales_ready = (lead.active and lead.type == "lead" and lead.lifecycle_code == "qualified"
                                   and lead.handoff_state != "pending"
                                   and (not lead.grade_id or lead.grade_id.disposition == "handoff"))

    def _search_is_sales_ready(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise NotImplementedError(self.env._("Search on 'Sales-Ready' supports = True and = False only."))
        ready = [("type", "=", "lead"), ("lifecycle_stage_id.code", "=", "qualified"),
                 ("handoff_state", "!=", "pending"),
                 "|", ("grade_id", "=", False), ("grade_id.disposition", "=", "handoff")]
        return ready if (operator == "=") == value else ["!", *expression.normalize_domain(ready)]

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def action_handoff_to_sales(self):
        """Hand the leads to salespeople of their team, within the members' capacity."""
        self._handoff_check()
        handed, refused, _chosen = self._handoff_to_sales()
        if not handed:
            raise UserError(refused_message(self, refused))
        message = self.env._("%s lead(s) handed off to sales.", len(handed))
        if refused:
            message = "%s %s" % (message, refused_message(self, refused))
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "warning" if refused else "success",
                "message": message,
                "sticky": bool(refused),
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    def action_accept_handoff(self):
        """Sales accepts: the lead becomes a prospect, converted to an opportunity by crm's conversion."""
        self._handoff_check_answer()
        self._handoff_record_acceptance()
        self._handle_partner_assignment(create_missing=True)
        for company, leads in self.grouped("company_id").items():
            prospect = self.env["lead.lifecycle.stage"]._get_by_code("prospect", company or self.env.company)
            leads._lifecycle_move(prospect, self.env._("Accepted by sales"))
        for lead in self:
            lead.convert_opportunity(lead.partner_id)
        return True

    def _handoff_record_acceptance(self):
        """The pending hand-offs of these leads answered: accepted now, their to do done (the SLA step meets the
        clock). What the lead becomes is the caller's: Accept converts it, crm's conversion already does."""
        for_activities(self).activity_feedback([HANDOFF_ACTIVITY], feedback=self.env._("Accepted by sales"))
        self._write_pipeline({"handoff_state": "accepted", "handoff_answer_date": fields.Datetime.now()},
                             by_hand=False)

    def _handoff_accept_before_merge(self):
        """crm's conversion wizards merging these leads with the same person's (conversion by merge): their pending
        hand-offs are answered as a conversion answers them, before crm merges and converts with the wizard's
        choices: accepted when their salesperson or a sales manager converts, refused to anyone else. crm's Merge
        action, which converts nothing, drops them instead; the system's own conversions are left to the merge."""
        pending = self.filtered(lambda lead: lead.handoff_state == "pending" and lead.active)
        if not pending or self.env.uid == SUPERUSER_ID:
            return
        refused = pending - pending._handoff_answerable()
        if refused:
            raise refused._handoff_refusal()
        pending._handoff_record_acceptance()

    def action_reject_handoff(self):
        """Open the wizard where sales says why it rejects the leads."""
        self._handoff_check_answer()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Reject Lead"),
            "res_model": "crm.lead.reject",
            "view_mode": "form",
            "target": "new",
            "context": {"default_lead_ids": self.ids},
        }

    # ------------------------------------------------------------
    # BUSINESS
    # ------------------------------------------------------------

    def _handoff_check(self):
        """Raise a UserError that says what stops these leads from going to sales."""
        if not self.env.su and not self.env.user.has_group("lead_management.group_lead_qualifier"):
            raise AccessError(self.env._("Only qualifying reps and lead managers hand leads off to sales."))
        closed = self.filtered(lambda lead: not lead.active or lead.probability >= 100 or lead.type != "lead")
        if closed:
            raise UserError(self.env._(
                "Only open leads that are not opportunities yet can be handed off: %s.",
                ", ".join(closed[:5].mapped("display_name"))))
        not_marketing = self.filtered(
            lambda lead: lead.lifecycle_side != "marketing" or lead.handoff_state == "pending")
        if not_marketing:
            raise UserError(self.env._(
                "These leads are already with sales: %s. Wait for sales' answer.",
                ", ".join(not_marketing[:5].mapped("display_name"))))
        disqualified = self.filtered(lambda lead: lead.lifecycle_code == "disqualified")
        if disqualified:
            raise UserError(self.env._(
                "Disqualified leads never go to sales: %s. Move them to another stage first if they now fit.",
                ", ".join(disqualified[:5].mapped("display_name"))))
        unreachable = self.filtered(lambda lead: not lead._contact_is_reachable())
        if unreachable:
            raise UserError(self.env._(
                "Sales cannot follow up a lead without a valid e-mail address or phone number: %s. Correct the "
                "e-mail address, or the phone number (with its country prefix, or set the lead's country), before "
                "handing it off. The “No Valid Contact” filter lists such leads.",
                ", ".join(unreachable[:5].mapped("display_name"))))

    def _handoff_check_answer(self):
        not_pending = self.filtered(lambda lead: lead.handoff_state != "pending" or not lead.active)
        if not_pending:
            raise UserError(self.env._(
                "Only leads awaiting sales' answer can be accepted or rejected: %s.",
                ", ".join(not_pending[:5].mapped("display_name"))))
        # Server code acting as superuser (never a client) answers on purpose; a person answers for their own.
        others = self.browse() if self.env.su else self - self._handoff_answerable()
        if others:
            raise AccessError(self.env._(
                "Only the salesperson who received a lead (or a sales manager) answers for it: %s.",
                ", ".join(others[:5].mapped("display_name"))))

    def _handoff_answerable(self):
        """The leads whose pending hand-off the current user may answer: the salesperson it went to, or a sales
        manager. Marketing (qualifying reps, lead managers) hands off and never answers for sales, nor does the
        system (a conversion made by a scheduled job withdraws the hand-off)."""
        if self.env.uid == SUPERUSER_ID:
            return self.browse()
        if self.env.user.has_group("sales_team.group_sale_manager"):
            return self
        return self.filtered(lambda lead: lead.handoff_user_id == self.env.user)

    def _handoff_outcome_if_dropped(self):
        """How a pending hand-off of this lead ends when the current user lets it go without an answer (lost,
        side exit, unassigned, passed on): withdrawn when marketing takes it back, else not answered (the
        salesperson, a sales manager or the system dropped it)."""
        self.ensure_one()
        user = self.env.user
        if user != self.handoff_user_id and user.has_group("lead_management.group_lead_qualifier"):
            return "withdrawn"
        return "unanswered"

    def _handoff_pick_salespeople(self, force_quota=False, exclude=None):
        """Choose a salesperson per lead the way crm's assignment does: members of the lead's team who do
        not skip assignment, whose assignment domain matches, round-robin within their remaining quota
        (crm.team.member capacity, which counts crm's assignments and hand-offs alike, minus the older
        hand-offs still waiting for their answer). Qualifying reps are not salespeople here; ``exclude``:
        salespeople not to choose (the one an SLA escalation takes the leads from).

        Salespeople on time off are passed over, and those outside their working hours when the lead's hand-off clock
        would start with them (_routing_pick).

        Returns ({lead: team member}, {lead: why it could not be handed off}, the routing decisions to log)."""
        qualifiers = self.env.ref("lead_management.group_lead_qualifier").sudo().users
        chosen, refused = {}, {}
        routing = []  # (lead, kind, user, reason, skipped counts): why each went where it did
        Policy = self.env["lead.sla.policy"]
        for team, leads in self.grouped("team_id").items():
            if not team:
                for lead in leads:
                    refused[lead] = self.env._("it has no sales team")
                continue
            members = team.sudo().crm_team_member_ids.filtered(
                lambda member: not member.assignment_optout and member.user_id.active
                and member.user_id not in qualifiers and member.user_id not in (exclude or ()))
            # lead_day_count is not stored and depends on no lead field: recount what was just assigned.
            members.invalidate_recordset(["lead_day_count"])
            waiting = members._lead_management_waiting_handoffs()
            quota = {member: member._get_assignment_quota(force_quota=force_quota) - waiting.get(member, 0)
                     for member in members}
            queue = sorted(members, key=lambda member: (-quota[member], member.id))
            # crm combines the team's assignment domain with each member's, and searches them in SQL (where
            # ['probability', '>=', '20'] works as crm's own demo data writes it).
            team_domain = literal_eval(team.assignment_domain or "[]")
            Leads = leads.sudo().with_context(active_test=False)
            eligible = {member: Leads.search(expression.AND([
                [("id", "in", leads.ids)], team_domain, literal_eval(member.assignment_domain or "[]")]))
                for member in members}
            # Who is at work (routing): salespeople on time off are passed over, and those outside their working
            # hours when the lead's hand-off clock would start with them.
            presence = self._routing_presence(members.user_id, leads.company_id | self.env.company) if members else {}
            for lead in leads.sorted(lambda lead: (-int(lead.priority or 0), lead.id)):
                candidates = [member for member in queue if lead in eligible[member]]
                member_of = {member.user_id: member for member in candidates}
                users = list(member_of)
                user, reason, counts = self._routing_pick(
                    users, presence, lead.company_id or self.env.company, bool(Policy._sla_find(lead, "handoff")),
                    full=lambda user, member_of=member_of, quota=quota: quota[member_of[user]] <= 0,
                    load_of=lambda user, users=users: users.index(user),
                    describe=lambda user, member_of=member_of, quota=quota: self.env._(
                        "next in turn with room (leads left today: %s)", int(quota[member_of[user]])))
                routing.append((lead, "handoff", user, reason, counts))
                if not user:
                    refused[lead] = (self.env._("no salesperson of team %s has capacity left", team.name)
                                     if counts["skipped_capacity"] == len(users) else
                                     self.env._("nobody of team %(team)s is available (%(why)s)", team=team.name,
                                                why=reason.split("; ", 1)[-1]))
                    continue
                member = member_of[user]
                chosen[lead] = member
                quota[member] -= 1
                queue.remove(member)
                queue.append(member)
        return chosen, refused, routing

    def _handoff_to_sales(self, force_quota=False, exclude=None):
        """Assign, date, notify. Returns (handed off leads, {lead: reason} of those that stay, {lead: member})."""
        self.check_access("write")
        # The qualifying rep may lose sight of a lead once a salesperson holds it: what follows the
        # access check runs as superuser, still in the rep's name.
        self = self.sudo()
        chosen, refused, routing = self._handoff_pick_salespeople(force_quota=force_quota, exclude=exclude)
        self._routing_log(routing)
        now = fields.Datetime.now()
        by_user = defaultdict(lambda: self.browse())
        for lead, member in chosen.items():
            by_user[member.user_id, lead.company_id] |= lead
        handed = self.browse()
        Stage = self.env["lead.lifecycle.stage"]
        for (user, company), leads in by_user.items():
            vals = {"user_id": user.id, "handoff_user_id": user.id, "handoff_date": now, "handoff_state": "pending",
                    "rejection_reason_id": False, "rejection_note": False, "handoff_answer_date": False}
            # Handing off an earlier-stage lead qualifies it.
            qualified = Stage._get_by_code("qualified", company or self.env.company)
            if qualified and leads.filtered(lambda lead, qualified=qualified: lead.lifecycle_stage_id.is_side_exit
                                            or lead.lifecycle_stage_id.sequence < qualified.sequence):
                vals["lifecycle_stage_id"] = qualified.id
            # As crm's own assignment does: the hand-off activity tells the salesperson, not one
            # "you have been assigned" email per lead.
            leads.with_context(mail_auto_subscribe_no_notify=True)._write_pipeline(
                vals, reason=self.env._("Handed off to sales"), by_hand=False)
            for_activities(leads).activity_schedule(
                HANDOFF_ACTIVITY, user_id=user.id,
                note=self.env._("Accept this lead or reject it with a reason: it was handed off to you by marketing."))
            handed |= leads
        if handed:
            handed._message_log_batch(bodies={
                lead.id: Markup(self.env._("Handed off to sales: %(user)s now follows up this lead.")) % {
                    "user": lead.user_id.name}
                for lead in handed
            })
        return handed, refused, chosen

    def _handoff_reject(self, reason, note=False):
        """Sales rejects: the lead goes back to its qualifying rep as recycled, salesperson cleared."""
        if not reason:
            raise UserError(self.env._("Say why sales rejects the lead: choose a rejection reason."))
        other_company = self.filtered(lambda lead: reason.company_id and lead.company_id != reason.company_id)
        if other_company:
            raise UserError(self.env._(
                "The rejection reason “%(reason)s” belongs to %(company)s, not to the company of %(leads)s: choose "
                "a reason of the lead's company.", reason=reason.name, company=reason.company_id.name,
                leads=", ".join(other_company[:5].mapped("display_name"))))
        self._handoff_check_answer()
        self.check_access("write")
        self = self.sudo()
        now = fields.Datetime.now()
        for_activities(self).activity_unlink([HANDOFF_ACTIVITY])
        for (count, company), group in self.grouped(lambda lead: (lead.recycle_count, lead.company_id)).items():
            recycled = self.env["lead.lifecycle.stage"]._get_by_code("recycled", company or self.env.company)
            group._write_pipeline({
                "lifecycle_stage_id": recycled.id,
                "user_id": False,
                "handoff_state": "rejected",
                "handoff_answer_date": now,
                "rejection_reason_id": reason.id,
                "rejection_note": note,
                "recycle_count": count + 1,
            }, reason=self.env._("Rejected by sales: %s", reason.name), by_hand=False)
        body = Markup(self.env._("Rejected by sales: %(reason)s")) % {"reason": reason.name}
        if note:
            body += Markup("<br/>") + note
        self._message_log_batch(bodies=dict.fromkeys(self.ids, body))
        for qualifier, leads in self.grouped("qualifier_id").items():
            if qualifier:
                for_activities(leads, notify=True).activity_schedule(
                    "mail.mail_activity_data_todo", user_id=qualifier.id,
                    summary=self.env._("Rejected by sales: %s", reason.name),
                    note=note or self.env._("Nurture this lead, or disqualify it."))
        return True

    # ------------------------------------------------------------
    # PIPELINE STEP 6: HAND-OFF
    # ------------------------------------------------------------

    def _handoff_step(self, changes):
        """A pending hand-off is settled by whatever happened to the lead meanwhile, by whom (see
        _handoff_settle); leads that became sales-ready go to sales when their company hands off automatically."""
        if not (changes.fields or changes.moved):
            self.fetch(["handoff_state"])  # a rescore alone, of thousands of leads a night: that column, not every one
        pending = self.filtered(lambda lead: lead.handoff_state == "pending")
        if pending and not changes.created:
            pending._handoff_settle(changes)
        if changes.created:
            candidates = self
        else:
            candidates = changes.regraded | changes.moved.filtered(lambda lead: lead.lifecycle_code == "qualified")
        candidates._handoff_auto()

    def _handoff_check_write(self, vals):
        """Before crm's write: refuse a write that would settle a pending hand-off as accepted (a conversion, a won
        stage) by anyone but its salesperson or a sales manager, so that nothing of it is written."""
        pending = self.filtered(lambda lead: lead.handoff_state == "pending")
        if not pending or self.env.uid == SUPERUSER_ID:
            return
        # crm's own change (a conversion, a won stage) and a lifecycle stage written beside it both count: naming
        # the lead's current stage in the same write does not make a conversion something else.
        targets = pending._lifecycle_crm_moves({key: value for key, value in vals.items()
                                                if key != "lifecycle_stage_id"})
        if vals.get("lifecycle_stage_id"):
            stage = self.env["lead.lifecycle.stage"].browse(vals["lifecycle_stage_id"])
            targets.append((pending, lambda company: stage, None))
        for leads, stage_for_company, _label in targets:
            to_sales = leads.filtered(lambda lead, stage_for=stage_for_company: (
                stage_for(lead.company_id or self.env.company).side == "sales"))
            refused = to_sales - to_sales._handoff_answerable()
            if refused:
                raise refused._handoff_refusal()
        if vals.get("user_id"):
            # Passed on: to a salesperson, who answers it. Marketing (qualifying reps, lead managers) hands off and
            # never receives a hand-off, unless a sales manager (who may answer any).
            user = self.env["res.users"].sudo().browse(vals["user_id"])
            passed = pending.filtered(lambda lead: lead.handoff_user_id != user)
            if passed and not passed._handoff_may_receive(user):
                raise UserError(self.env._(
                    "%(leads)s awaits a salesperson's answer: pass it on to a salesperson, not to %(user)s "
                    "(a salesperson is a member of a sales team with sales rights; a qualifying rep or lead manager "
                    "hands leads off and does not receive them). To take it back for marketing, unassign it.",
                    leads=", ".join(passed[:5].mapped("display_name")), user=user.name))

    def _handoff_may_receive(self, user):
        """Whether the pending hand-offs of these leads may be passed on to ``user``: a sales manager (who may
        answer any), or a salesperson: sales rights, the leads' companies among theirs and a member of an active
        sales team of each (crm moves a lead to its salesperson's team), and not in marketing. Qualifying reps and
        lead managers hand leads off; they never receive one."""
        if user.share or not user.active:
            return False
        companies = {lead.company_id for lead in self}
        if any(company and company not in user.company_ids for company in companies):
            return False
        if user.has_group("sales_team.group_sale_manager"):
            return True
        if (not user.has_group("sales_team.group_sale_salesman")
                or user.has_group("lead_management.group_lead_qualifier")):
            return False
        Member = self.env["crm.team.member"].sudo().with_context(active_test=True)
        member = [("user_id", "=", user.id), ("crm_team_id.active", "=", True)]
        return all(Member.search_count(member + ([("crm_team_id.company_id", "in", [company.id, False])]
                                                 if company else []), limit=1)
                   for company in companies)

    def _handoff_refusal(self):
        return UserError(self.env._(
            "%(leads)s awaits the answer of %(user)s, to whom it was handed off: only they (or a sales manager) "
            "can accept it, or convert it to an opportunity. Ask them to answer, or reject it for them as a sales "
            "manager.", leads=", ".join(self[:5].mapped("display_name")), user=self[0].handoff_user_id.name))

    def _handoff_settle(self, changes):
        """These leads await their salesperson's answer and were just written. Only that salesperson or a sales
        manager answers, by whatever path: converted or won by them, the hand-off is accepted; by anybody else
        (a qualifying rep converting its own hand-off, say) it is refused, and the system's conversion withdraws
        it. Lost, moved to a side exit, unassigned or passed on: withdrawn when marketing did it, not answered
        when sales (or the system) did; passed on to another salesperson, it becomes a new hand-off to them."""
        _ = self.env._
        moved = changes.moved & self
        to_sales = moved.filtered(lambda lead: lead.lifecycle_side == "sales")
        if changes.fields & {"type", "stage_id"}:
            # Converted or won in a write that named the lead's own stage: an answer all the same.
            to_sales |= (self - moved).filtered(lambda lead: lead.type == "opportunity" or lead.stage_id.is_won)
        accepted = to_sales._handoff_answerable()
        refused = to_sales - accepted
        if refused and self.env.uid != SUPERUSER_ID:
            raise refused._handoff_refusal()  # checked before the write too (_handoff_check_write)
        # What follows is the pipeline's doing, in the user's name: the user may lose sight of the lead meanwhile.
        self, moved, accepted, refused = self.sudo(), moved.sudo(), accepted.sudo(), refused.sudo()
        if accepted:
            accepted._handoff_record_acceptance()
        ended = dict.fromkeys(refused, "withdrawn")  # by the system
        for lead in (self - accepted).filtered(lambda lead: lead.lifecycle_stage_id.is_side_exit or not lead.active):
            ended[lead] = lead._handoff_outcome_if_dropped()
        for lead in (moved - accepted).filtered(lambda lead: lead.lifecycle_side == "marketing"):
            # Taken back to a stage before the one a hand-off leaves a lead at: marketing holds it again.
            qualified = self.env["lead.lifecycle.stage"]._get_by_code("qualified", lead.company_id or self.env.company)
            if qualified and lead.lifecycle_stage_id.sequence < qualified.sequence:
                ended.setdefault(lead, lead._handoff_outcome_if_dropped())
        passed = self.browse()
        if "user_id" in changes.fields:
            for lead in (self - moved).filtered(lambda lead: lead.user_id != lead.handoff_user_id):
                ended[lead] = lead._handoff_outcome_if_dropped()
                if lead.user_id:
                    passed |= lead
        if not ended:
            return
        self._handoff_end(ended)
        for lead in passed:
            # Passed on to a colleague: a hand-off to them, with its own clock and answer.
            lead.sudo().with_context(mail_auto_subscribe_no_notify=True)._write_pipeline({
                "handoff_user_id": lead.user_id.id, "handoff_date": fields.Datetime.now(), "handoff_state": "pending",
                "handoff_answer_date": False, "rejection_reason_id": False, "rejection_note": False,
            }, reason=_("Passed on to %s", lead.user_id.name), by_hand=False)
            for_activities(lead.sudo()).activity_schedule(
                HANDOFF_ACTIVITY, user_id=lead.user_id.id,
                note=_("Accept this lead or reject it with a reason: it was passed on to you."))

    def _handoff_end(self, ended):
        """End pending hand-offs without an answer: ``ended`` is {lead: outcome} (withdrawn, unanswered)."""
        _ = self.env._
        leads = self.sudo().browse([lead.id for lead in ended])
        for_activities(leads).activity_unlink([HANDOFF_ACTIVITY])
        # Not an answer: the clock stops without a first touch (a breached clock stays breached).
        leads.filtered(lambda lead: lead.sla_clock == "handoff" and lead.sla_state in RUNNING)._sla_stop(
            _("Hand-off ended without an answer"))
        by_outcome = defaultdict(lambda: leads.browse())
        for lead, outcome in ended.items():
            by_outcome[outcome] |= lead
        for outcome, group in by_outcome.items():
            group.sudo()._write_pipeline({"handoff_state": outcome}, by_hand=False)
        labels = dict(self._fields["handoff_state"]._description_selection(self.env))
        leads._message_log_batch(bodies={lead.id: Markup("<p>%s</p>") % _(
            "Hand-off to %(user)s ended: %(outcome)s (by %(by)s).", user=lead.handoff_user_id.name,
            outcome=labels[ended[lead]], by=self.env.user.name) for lead in leads})

    def _handoff_auto(self):
        """Hand off the sales-ready leads of companies that do it automatically; those sales has no room for
        stay and say why on their chatter."""
        ready = self.filtered(lambda lead: (lead.company_id or self.env.company).sudo().lead_auto_handoff)
        ready = ready.filtered(lambda lead: lead.is_sales_ready and lead.lifecycle_side == "marketing"
                               and lead._contact_is_reachable())
        if not ready:
            return self.browse()
        handed, refused, _chosen = ready.sudo()._handoff_to_sales()
        if refused:
            self.browse([lead.id for lead in refused])._message_log_batch(bodies={
                lead.id: self.env._("Not handed off automatically: %s. It stays with its qualifying rep.", why)
                for lead, why in refused.items()
            })
        return handed

    @api.model
    def _handoff_assign_team_leads(self, teams, force_quota=False):
        """crm's rule-based assignment for teams qualified by marketing: their sales-ready leads without
        salesperson are handed off within the members' quotas. Returns crm's
        {team member: {"assigned": leads, "quota": quota}}."""
        leads = self.search([("team_id", "in", teams.ids), ("user_id", "=", False), ("is_sales_ready", "=", True)])
        leads = leads.filtered(lambda lead: lead._contact_is_reachable())
        result = {}
        if not leads:
            return result
        quotas = {member: member._get_assignment_quota(force_quota=force_quota)
                  for member in teams.crm_team_member_ids}
        _handed, _refused, chosen = leads._handoff_to_sales(force_quota=force_quota)
        for lead, member in chosen.items():
            data = result.setdefault(member, {"assigned": self.browse(), "quota": quotas.get(member, 0)})
            data["assigned"] |= lead
        return result


def refused_message(leads, refused):
    """One sentence per cause, naming a few leads: why they stay with marketing."""
    by_reason = defaultdict(list)
    for lead, why in refused.items():
        by_reason[why].append(lead.display_name)
    parts = [
        leads.env._("%(leads)s stays with marketing: %(why)s.", leads=", ".join(names[:5]), why=why)
        for why, names in by_reason.items()
    ]
    return " ".join(parts) + " " + leads.env._(
        "Raise a salesperson's capacity (Sales Teams > Members) or try again tomorrow.")
