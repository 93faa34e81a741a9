# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models

from .lead_nurture_track import EXIT_REASONS


class LeadNurtureEnrolment(models.Model):
    """A lead's time on a track: at most one active per lead; a lead that falls back to a nurtured grade
    later gets a new one."""

    _name = "lead.nurture.enrolment"
    _inherit = ["lead.access.mixin"]
    _description = "Lead Nurture Enrolment"
    _order = "date_start desc, id desc"
    _rec_name = "track_id"

    lead_id = fields.Many2one("crm.lead", required=True, index=True, ondelete="cascade", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True, index=True)
    track_id = fields.Many2one("lead.nurture.track", required=True, readonly=True, index=True, ondelete="cascade")
    state = fields.Selection([("active", "Active"), ("done", "Finished"), ("exited", "Left")], required=True,
                             default="active", readonly=True, index=True)
    exit_reason = fields.Selection(EXIT_REASONS, readonly=True)
    date_start = fields.Datetime("Enrolled On", required=True, readonly=True, default=fields.Datetime.now)
    date_end = fields.Datetime("Left On", readonly=True)
    trace_ids = fields.One2many("lead.nurture.trace", "enrolment_id", "Steps", readonly=True)
    next_date = fields.Datetime("Next Step On", compute="_compute_next", help="When the next step runs.")
    next_step_id = fields.Many2one("lead.nurture.step", compute="_compute_next")

    def init(self):
        # At most one active enrolment per lead, whatever two processes do at the same moment.
        self.env.cr.execute("""
            CREATE UNIQUE INDEX IF NOT EXISTS lead_nurture_enrolment_one_active
                ON lead_nurture_enrolment (lead_id) WHERE state = 'active'
        """)

    def _compute_next(self):
        for enrolment in self:
            trace = enrolment.trace_ids.filtered(lambda trace: trace.state == "scheduled")[:1]
            enrolment.next_date = trace.scheduled_date
            enrolment.next_step_id = trace.step_id

    def _nurture_schedule(self, step, after):
        """Schedule ``step`` for these enrolments, its delay counted from ``after`` (the previous step) or
        from the enrolment."""
        Trace = self.env["lead.nurture.trace"].sudo()
        if not step:
            return Trace
        vals_list = []
        for enrolment in self:
            base = enrolment.date_start if step.delay_from == "enrolment" else after
            vals_list.append({"enrolment_id": enrolment.id, "lead_id": enrolment.lead_id.id,
                              "company_id": enrolment.company_id.id, "step_id": step.id,
                              "scheduled_date": step._nurture_due(base, enrolment.lead_id)})
        traces = Trace.create(vals_list)
        self.env.ref("lead_management.ir_cron_nurture").sudo()._trigger(at=min(traces.mapped("scheduled_date")))
        return traces
