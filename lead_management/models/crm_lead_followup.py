# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import models

# A write of one of these (by the hand-off step, an answer, crm settling a pending hand-off, the SLA step
# or job) is what the hand-off log follows.
HANDOFF_FIELDS = frozenset({"handoff_date", "handoff_state", "handoff_answer_date", "rejection_reason_id"})
SLA_FIELDS = frozenset({"sla_clock", "sla_state", "sla_deadline", "sla_met_date", "sla_response_hours",
                        "sla_response_calendar_hours"})


class CrmLead(models.Model):
    _inherit = "crm.lead"

    def _merge_dependences(self, opportunities):
        """The follow-up figures are the same before and after a merge: the hand-offs of the merged leads come to
        the lead that stays, each as it stood (its answer, its clock, its rejection reason; one still waiting ends
        unanswered, or withdrawn when marketing merged), frozen there; their SLA
        clocks end (a breached one stays breached) and come along; the times they were recycled add up."""
        result = super()._merge_dependences(opportunities)
        tails = opportunities.sudo()
        Handoff = self.env["lead.handoff"].sudo()
        # A hand-off still waiting ends with the lead merged away: not answered, or withdrawn when marketing merged.
        pending = tails.filtered(lambda lead: lead.handoff_state == "pending")
        if pending:
            pending._handoff_end({lead: lead._handoff_outcome_if_dropped() for lead in pending})
        Handoff._follow_leads(tails.filtered("handoff_date"))
        running = tails.filtered(lambda lead: lead.sla_clock_id and not lead.sla_clock_id.closed)
        running._sla_stop(self.env._("Merged into %s", self.display_name), keep=True)
        Handoff.search([("lead_id", "in", tails.ids)]).write({"lead_id": self.id, "merged": True})
        tails.with_context(active_test=False).sla_clock_ids.write({"lead_id": self.id})
        recycled = sum(tails.mapped("recycle_count"))
        if recycled:
            self.sudo()._write_pipeline({"recycle_count": self.recycle_count + recycled}, by_hand=False)
        return result

    # ------------------------------------------------------------
    # PIPELINE STEP 9: FOLLOW-UP LOG
    # ------------------------------------------------------------

    def _followup_step(self, changes):
        """Every hand-off gets a row in lead.handoff (the follow-up report reads them): a new row when a lead
        is handed off, its answer and hand-off clock copied as they change. Last in the pipeline, so that it
        sees what the steps before it decided."""
        written = changes.fields & (HANDOFF_FIELDS | SLA_FIELDS)
        if changes.created or not written:
            return
        Handoff = self.env["lead.handoff"].sudo()
        leads = self.sudo()
        if "handoff_date" in written:
            new = leads.filtered(lambda lead: lead.handoff_date and lead.handoff_state == "pending")
            Handoff._log_handoffs(new)
            leads -= new
        leads = leads.filtered("handoff_date")  # never handed off: no row to follow
        if leads:
            Handoff._follow_leads(leads)
