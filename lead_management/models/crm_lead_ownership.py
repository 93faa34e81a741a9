# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from collections import defaultdict

from odoo import api, fields, models, tools
from odoo.exceptions import AccessError
from odoo.osv import expression

# A write touching one of these may leave a lead without owner.
OWNERSHIP_FIELDS = frozenset({"user_id", "qualifier_id", "type", "active", "lifecycle_stage_id", "team_id"})


class CrmLead(models.Model):
    _inherit = "crm.lead"

    # Ownership
    qualifier_id = fields.Many2one(
        "res.users", "Qualifying Rep", index=True, tracking=True, copy=False,
        domain=lambda self: [("groups_id", "in", self.env["ir.model.data"]._xmlid_to_res_id(
                                 "lead_management.group_lead_qualifier")), ("share", "=", False)],
        help="Marketing's qualifying rep who owns the lead until sales accepts it, and gets it back when "
             "sales rejects it.")
    is_unowned = fields.Boolean(
        "Without Owner", compute="_compute_is_unowned", search="_search_is_unowned",
        help="Open lead with neither a qualifying rep nor a salesperson, in a team whose leads marketing "
             "qualifies.")

    def init(self):
        result = super().init()
        # The qualifier assignment counts the open leads of each candidate rep (marketing's side): an index-only scan
        # of this partial index instead of reading the table (at 1,000,000 leads, six reps of 135,000: 0.09 s instead
        # of 0.5 to 0.9 s, most of a one-lead request).
        tools.create_index(self.env.cr, "crm_lead_qualifier_open_index", self._table, ["qualifier_id"],
                           where="active AND lifecycle_side = 'marketing'")
        return result

    @api.depends("qualifier_id", "user_id", "active", "probability", "type", "lifecycle_side",
                 "team_id.use_qualification")
    def _compute_is_unowned(self):
        for lead in self:
            # Stored values first: probability may be a pending recompute (crm's PLS), read it last.
            lead.is_unowned = (not lead.qualifier_id and not lead.user_id and lead.active and lead.type == "lead"
                               and lead.lifecycle_side == "marketing"
                               and (not lead.team_id or lead.team_id.use_qualification)
                               and lead.probability < 100)

    def _search_is_unowned(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise NotImplementedError(self.env._("Search on 'Without Owner' supports = True and = False only."))
        unowned = [("qualifier_id", "=", False), ("user_id", "=", False), ("probability", "<", 100),
                   ("type", "=", "lead"), ("lifecycle_side", "=", "marketing"),
                   "|", ("team_id", "=", False), ("team_id.use_qualification", "=", True)]
        return unowned if (operator == "=") == value else ["!", *expression.normalize_domain(unowned)]

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def action_assign_qualifier(self):
        """Give the selected leads without owner to qualifying reps, round-robin."""
        if not self.env.user.has_group("lead_management.group_lead_manager"):
            raise AccessError(self.env._("Only lead managers assign leads to qualifying reps in bulk."))
        assigned = self.filtered("is_unowned")._assign_qualifiers()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success" if assigned else "warning",
                "message": self.env._("%(assigned)s of %(total)s leads were given to a qualifying rep.",
                                      assigned=len(assigned), total=len(self)) if assigned else self.env._(
                    "No qualifying rep could take these leads: add qualifying reps to the leads' sales teams or "
                    "raise the cap of open leads per rep in Settings."),
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    # ------------------------------------------------------------
    # PIPELINE STEP 3: OWNERSHIP
    # ------------------------------------------------------------

    @api.model
    def _ownership_defaults(self, defaults, fields_list):
        """A lead a qualifying rep creates is theirs to qualify, not a salesperson's yet; one a lead manager
        creates (or imports) goes round-robin to the team's reps."""
        if (defaults.get("type", "lead") == "lead" and "user_id" in fields_list
                and defaults.get("user_id") == self.env.uid and "default_user_id" not in self.env.context
                and self.env.user.has_group("lead_management.group_lead_qualifier")):
            defaults["user_id"] = False
            if not self.env.user.has_group("lead_management.group_lead_manager"):
                defaults.setdefault("qualifier_id", self.env.uid)
        return defaults

    def _ownership_step(self, changes):
        if changes.created:
            # Part of the creation: not tracked as a change (the lead is logged as created), the reps follow
            # their new leads without an e-mail per lead, as crm's own assignment does.
            self.filtered("is_unowned")._assign_qualifiers(track=False)
        elif changes.fields & OWNERSHIP_FIELDS and not self._ownership_kept(changes.values):
            self.filtered("is_unowned")._assign_qualifiers()

    @api.model
    def _ownership_kept(self, vals):
        """Whether ``vals`` leave every lead with an owner or out of marketing's hands (a salesperson or a
        qualifying rep set, converted, archived): most writes of crm, which then need no check per lead."""
        return bool(vals.get("user_id") or vals.get("qualifier_id") or vals.get("type") == "opportunity"
                    or vals.get("active") is False)

    # ------------------------------------------------------------
    # BUSINESS
    # ------------------------------------------------------------

    def _qualifier_pools(self):
        """Qualifying reps per team: the team's members in the Qualifying Rep group who take assignments.
        Leads without a team use every qualifying rep of their company. Lead managers supervise: they get
        no leads this way."""
        qualifiers = self.env["crm.team"]._lead_management_qualifiers()
        pools = {}
        for team in self.team_id:
            pools[team] = team.sudo().crm_team_member_ids.filtered(
                lambda member: not member.assignment_optout).user_id & qualifiers
        pools[self.env["crm.team"]] = qualifiers
        return pools

    def _assign_qualifiers(self, track=True, exclude=None):
        """Round-robin the leads among qualifying reps, each under their company's cap of open leads.
        ``track``: log the assignment in the chatter (False for leads being created); ``exclude``: reps
        not to choose (the one an SLA escalation takes the leads from).

        Returns the leads that got a qualifying rep; the others stay without owner (the "Without owner"
        filter lists them, the scheduled assignment retries them)."""
        if not self:
            return self
        _ = self.env._
        pools = self._qualifier_pools()
        reps = self.env["res.users"].union(*pools.values())
        load = defaultdict(int)
        load.update(dict(self.sudo()._read_group(
            [("qualifier_id", "in", reps.ids), ("lifecycle_side", "=", "marketing")], ["qualifier_id"], ["__count"])))
        # Who is at work (routing): reps on time off are passed over, and those outside their working hours when the
        # lead's speed-to-lead clock would start with them.
        presence = self._routing_presence(reps, self.company_id | self.env.company) if reps else {}
        Policy = self.env["lead.sla.policy"]
        by_rep = defaultdict(lambda: self.browse())
        routed = []
        for lead in self.sorted(lambda lead: (-int(lead.priority or 0), lead.id)):
            company = lead.company_id or self.env.company
            cap = company.sudo().lead_qualifier_cap
            pool = pools[lead.team_id].filtered(lambda user, company=company: company in user.company_ids)
            if exclude:
                pool -= exclude
            rep, reason, counts = self._routing_pick(
                sorted(pool, key=lambda user: user.id), presence, company, bool(Policy._sla_find(lead, "speed")),
                full=lambda user, cap=cap: bool(cap) and load[user] >= cap, load_of=lambda user: load[user],
                describe=lambda user: _("the least loaded qualifying rep (open leads: %s)", load[user]))
            routed.append((lead, "qualifier", rep, reason, counts))
            if not rep:
                continue
            load[rep] += 1
            by_rep[rep] |= lead
        self._routing_log(routed)
        assigned = self.browse()
        for rep, leads in by_rep.items():
            if track:
                leads.sudo()._write_pipeline({"qualifier_id": rep.id}, by_hand=False)
            else:
                leads.sudo().with_context(tracking_disable=True)._write_pipeline({"qualifier_id": rep.id},
                                                                                by_hand=False)
                leads.sudo().message_subscribe(partner_ids=rep.partner_id.ids)
            assigned |= leads
        return assigned

    # ------------------------------------------------------------
    # CRON
    # ------------------------------------------------------------

    @api.model
    def _cron_assign_qualifiers(self):
        """Give every open lead that slipped in without owner (SQL, full reps) a qualifying rep."""
        self._lead_management_process_batches([("is_unowned", "=", True)], "_assign_qualifiers")
