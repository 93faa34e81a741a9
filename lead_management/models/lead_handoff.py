# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models

from .crm_lead_sla import SLA_STATES

HANDOFF_STATES = [
    ("pending", "Awaiting Sales Answer"),
    ("accepted", "Accepted"),
    ("rejected", "Rejected"),
    ("withdrawn", "Withdrawn by Marketing"),
    ("unanswered", "Not Answered"),
]
# The lead's hand-off clock, copied to its current hand-off while that clock runs: once sales rejects the
# lead, a new (speed-to-lead) clock replaces these values on the lead, the hand-off keeps them.
SLA_COPY = {
    "sla_deadline": "sla_deadline",
    "sla_state": "sla_state",
    "sla_met_date": "sla_met_date",
    "sla_response_hours": "sla_response_hours",
    "sla_response_calendar_hours": "sla_response_calendar_hours",
}


class LeadHandoff(models.Model):
    """One row per hand-off of a lead to a salesperson, and what became of it.

    crm.lead keeps its last hand-off only; a lead rejected by one salesperson and handed to another later
    has two rows here, so that follow-up figures count every hand-off, rejection and reason. Written by the
    pipeline's follow-up step only (crm_lead_followup.py)."""

    _name = "lead.handoff"
    _inherit = ["lead.access.mixin"]
    _description = "Lead Hand-off"
    _order = "date desc, id desc"
    _rec_name = "lead_id"

    lead_id = fields.Many2one("crm.lead", required=True, readonly=True, index=True, ondelete="cascade")
    company_id = fields.Many2one("res.company", readonly=True, index=True)
    date = fields.Datetime("Handed Off On", required=True, readonly=True, index=True)
    user_id = fields.Many2one("res.users", "Salesperson", readonly=True, index=True)
    qualifier_id = fields.Many2one("res.users", "Qualifying Rep", readonly=True)
    team_id = fields.Many2one("crm.team", "Sales Team", readonly=True)
    grade_id = fields.Many2one("lead.grade", "Grade at Hand-off", readonly=True)
    state = fields.Selection(HANDOFF_STATES, "Sales Answer", required=True, readonly=True, default="pending")
    answer_date = fields.Datetime("Answered On", readonly=True)
    rejection_reason_id = fields.Many2one("lead.rejection.reason", readonly=True)
    # The hand-off clock (see SLA_COPY)
    sla_deadline = fields.Datetime("SLA Deadline", readonly=True)
    sla_state = fields.Selection(SLA_STATES, "SLA", readonly=True)
    sla_met_date = fields.Datetime("First Touch On", readonly=True)
    sla_response_hours = fields.Float("Response (Working Hours)", readonly=True, aggregator="avg")
    sla_response_calendar_hours = fields.Float("Response (Hours)", readonly=True, aggregator="avg")
    merged = fields.Boolean(readonly=True, help="The lead it was made for was merged into this one: the row keeps what "
                                                "that lead's hand-off was and no longer follows a lead.")

    def init(self):
        # The follow-up step looks up each lead's current (latest) hand-off.
        self.env.cr.execute("""
            CREATE INDEX IF NOT EXISTS lead_handoff_lead_id_id_idx ON lead_handoff (lead_id, id DESC)
        """)

    @api.model
    def _log_handoffs(self, leads):
        """New hand-offs of ``leads`` (their handoff_* fields just written): a row each; a pending row the lead
        still had was not answered (handed off again: the SLA gave it to another salesperson)."""
        self._current(leads).filtered(lambda row: row.state == "pending").state = "unanswered"
        rows = self.create([{
            "lead_id": lead.id,
            "company_id": lead.company_id.id,
            "date": lead.handoff_date,
            "user_id": (lead.handoff_user_id or lead.user_id).id,
            "qualifier_id": lead.qualifier_id.id,
            "team_id": lead.team_id.id,
            "grade_id": lead.grade_id.id,
            "state": lead.handoff_state or "pending",
            "answer_date": lead.handoff_answer_date,
            "rejection_reason_id": lead.rejection_reason_id.id,
        } for lead in leads])
        rows._copy_sla()
        return rows

    @api.model
    def _follow_leads(self, leads):
        """The current hand-off of each of ``leads`` follows what the lead says now: sales' answer, and the
        hand-off clock while it runs."""
        rows = self._current(leads)
        rows._write_changes({row: {
            "state": row.lead_id.handoff_state or ("withdrawn" if row.state == "pending" else row.state),
            "answer_date": row.lead_id.handoff_answer_date or row.answer_date,
            "rejection_reason_id": (row.lead_id.rejection_reason_id or row.rejection_reason_id).id,
        } for row in rows})
        rows._copy_sla()
        return rows

    def _copy_sla(self):
        running = self.filtered(lambda row: row.lead_id.sla_clock == "handoff" and row.lead_id.handoff_date == row.date)
        running._write_changes({row: {fname: row.lead_id[lead_fname] for fname, lead_fname in SLA_COPY.items()}
                                for row in running})

    def _write_changes(self, values):
        """Write {row: values}, only what differs, one write per group of rows getting the same values."""
        groups = {}
        for row, vals in values.items():
            changed = tuple((fname, value) for fname, value in vals.items()
                            if row._fields[fname].convert_to_write(row[fname], row) != value)
            if changed:
                groups[changed] = groups.get(changed, self.browse()) | row
        for changed, rows in groups.items():
            rows.write(dict(changed))

    @api.model
    def _current(self, leads):
        """The latest hand-off row of each lead that has one (rows brought in by a merge are not the lead's own)."""
        if not leads:
            return self.browse()
        self.flush_model()
        self.env.cr.execute("""
            SELECT DISTINCT ON (lead_id) id FROM lead_handoff WHERE lead_id = ANY(%s) AND merged IS NOT TRUE
             ORDER BY lead_id, id DESC
        """, [list(leads.ids)])
        return self.browse(row[0] for row in self.env.cr.fetchall())
