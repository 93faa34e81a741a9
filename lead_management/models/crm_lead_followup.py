# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import models

# A write of one of these (by the hand-off step, an answer, crm settling a pending hand-off, the SLA step
# or job) is what the hand-off log follows.
HANDOFF_FIELDS = frozenset({"handoff_date", "handoff_state", "handoff_answer_date", "rejection_reason_id"})
SLA_FIELDS = frozenset({"sla_clock", "sla_state", "sla_deadline", "sla_met_date", "sla_response_hours",
                        "sla_response_calendar_hours"})


class CrmLead(models.Model):
    _inherit = "crm.lead"

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
