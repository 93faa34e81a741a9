# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from collections import defaultdict

from markupsafe import Markup

from odoo import api, fields, models
from odoo.tools import SQL

from ..tools import for_activities


class LeadNurtureTrace(models.Model):
    """One step of a track for one lead: scheduled at a date, then done, skipped, failed or cancelled (as
    Odoo's marketing automation traces). The nurture job selects due rows by the indexed scheduled date."""

    _name = "lead.nurture.trace"
    _inherit = ["lead.access.mixin"]
    _description = "Lead Nurture Step Trace"
    _order = "scheduled_date, id"
    _rec_name = "step_id"

    enrolment_id = fields.Many2one("lead.nurture.enrolment", required=True, ondelete="cascade", index=True,
                                   readonly=True)
    lead_id = fields.Many2one("crm.lead", required=True, index=True, ondelete="cascade", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True, index=True)
    step_id = fields.Many2one("lead.nurture.step", required=True, readonly=True, ondelete="cascade")
    scheduled_date = fields.Datetime(required=True, readonly=True)
    state = fields.Selection([
        ("scheduled", "Scheduled"), ("done", "Done"), ("skipped", "Skipped"), ("failed", "Failed"),
        ("cancelled", "Cancelled"),
    ], required=True, default="scheduled", readonly=True)
    date_done = fields.Datetime("Done On", readonly=True)
    note = fields.Char(readonly=True, help="What happened, or why the step was skipped or failed.")

    def init(self):
        # The job's only way in: due scheduled rows, by date.
        self.env.cr.execute("""
            CREATE INDEX IF NOT EXISTS lead_nurture_trace_due
                ON lead_nurture_trace (scheduled_date) WHERE state = 'scheduled'
        """)

    def _nurture_note_suffix(self):
        return " (%s)" % self.note if self.note else ""

    def _nurture_run(self, now):
        """Run these due steps (of active enrolments): e-mail, activity, rescore or stage move, step by
        step in batch; then schedule each enrolment's next step or finish it. A step that cannot be done for
        a lead is marked skipped or failed with the reason, and the batch goes on."""
        _ = self.env._
        for step, traces in self.grouped("step_id").items():
            leads = traces.lead_id
            handler = getattr(traces, f"_nurture_run_{step.action}")
            try:
                with self.env.cr.savepoint():
                    handler(step, leads)
            except Exception as error:
                traces.write({"state": "failed", "date_done": now, "note": str(error)[:250]})
            traces.filtered(lambda trace: trace.state == "scheduled").write({"state": "done", "date_done": now})
            logged = traces.filtered(lambda trace: trace.state in ("done", "skipped", "failed"))
            states = dict(self._fields["state"]._description_selection(self.env))
            logged.lead_id._message_log_batch(bodies={
                trace.lead_id.id: Markup("<p>%s</p>") % _(
                    "Nurture “%(track)s”, step “%(step)s”: %(state)s%(note)s.", track=trace.step_id.track_id.name,
                    step=trace.step_id.name, state=states[trace.state], note=trace._nurture_note_suffix())
                for trace in logged})
        # Next steps (scheduled together, step by step), or the end of the track.
        following_of = defaultdict(lambda: self.env["lead.nurture.enrolment"])
        finished = self.env["crm.lead"]
        for trace in self.filtered(lambda trace: trace.enrolment_id.state == "active"):
            enrolment, step = trace.enrolment_id, trace.step_id
            following = enrolment.track_id.step_ids.filtered(
                lambda other, step=step: (other.sequence, other.id) > (step.sequence, step.id))[:1]
            if following:
                following_of[following] |= enrolment
            elif enrolment.lead_id.nurture_enrolment_id == enrolment:
                finished |= enrolment.lead_id
        for following, enrolments in following_of.items():
            enrolments._nurture_schedule(following, now)
        finished._nurture_exit("finished")

    def _nurture_run_email(self, step, leads):
        """Send the step's template to the leads that may receive it. A lead whose consent is refused, or one of
        whose recipients (every address the template would write to: the lead's, its copies, its partners') is on
        the e-mail blacklist, opted out: the step is skipped and the lead leaves the track. A lead without a valid
        address fails this step."""
        _ = self.env._
        by_lead = {trace.lead_id: trace for trace in self}
        refused = leads.filtered(lambda lead: lead.marketing_consent == "refused")
        for lead in refused:
            by_lead[lead].write({"state": "skipped", "note": _("opted out: the person refused marketing e-mails")})
        no_address = (leads - refused).filtered(lambda lead: not lead.email_normalized)
        for lead in no_address:
            by_lead[lead].write({"state": "failed", "note": _("no valid e-mail address")})
        candidates = leads - refused - no_address
        recipients = step.mail_template_id._nurture_recipients(candidates)
        # Asked now, not read from a cached value: an address may have been blacklisted a minute ago.
        addresses = set().union(*recipients.values())
        blacklisted = set(self.env["mail.blacklist"].sudo().search([("email", "in", list(addresses))]).mapped("email"))
        # Consent is the person's: an address whose latest statement, on any lead of the company, is a refusal is
        # not written to from another lead of theirs where nobody asked.
        # Each company's own: a statement made to another company of the database neither stops nor allows it.
        refusing = defaultdict(set)  # company id: addresses whose latest statement there is a refusal
        for company_id, address in self._nurture_refusing_addresses(
                addresses, (candidates.company_id | self.env.company).ids):
            refusing[company_id].add(address)

        def refused_here(lead):
            return recipients[lead.id] & refusing[(lead.company_id or self.env.company).id]

        opted_out = candidates.filtered(lambda lead: recipients[lead.id] & blacklisted or refused_here(lead))
        for lead in opted_out:
            if recipients[lead.id] & blacklisted:
                note = _("opted out: %s is blacklisted", ", ".join(sorted(recipients[lead.id] & blacklisted)))
            else:
                note = _("opted out: %s refused marketing e-mails on another lead",
                         ", ".join(sorted(refused_here(lead))))
            by_lead[lead].write({"state": "skipped", "note": note})
        receivers = candidates - opted_out
        if receivers:
            # Marketing e-mails: each with its unsubscribe link and headers (mail.mail._prepare_outgoing_list).
            step.mail_template_id.send_mail_batch(receivers.ids, email_values={"nurture_step_id": step.id})
        if refused | opted_out:
            (refused | opted_out)._nurture_exit("opted_out")

    @api.model
    def _nurture_refusing_addresses(self, addresses, company_ids):
        """{(company id, address)} for those of ``addresses`` (normalised) whose latest stated consent, on any lead
        of that company (or of none), is a refusal; for each of ``company_ids``."""
        if not addresses:
            return set()
        self.env["crm.lead"].flush_model(["email_normalized", "marketing_consent", "marketing_consent_date",
                                          "company_id"])
        self.env.cr.execute(SQL("""
            SELECT company, email_normalized FROM (
                SELECT DISTINCT ON (company.id, lead.email_normalized)
                       company.id AS company, lead.email_normalized, lead.marketing_consent
                  FROM unnest(%s::int[]) AS company(id)
                  JOIN crm_lead lead ON lead.company_id = company.id OR lead.company_id IS NULL
                 WHERE lead.email_normalized = ANY(%s) AND lead.marketing_consent IS NOT NULL
                 ORDER BY company.id, lead.email_normalized, lead.marketing_consent_date DESC NULLS LAST, lead.id DESC
            ) latest
             WHERE marketing_consent = 'refused'
        """, list(company_ids), list(addresses)))
        return {(company_id, address) for company_id, address in self.env.cr.fetchall()}

    def _nurture_run_activity(self, step, leads):
        for owner, owned in leads.grouped(lambda lead: lead.qualifier_id or lead.user_id).items():
            for_activities(owned).activity_schedule(
                activity_type_id=step.activity_type_id.id, summary=step.activity_summary or step.name,
                user_id=owner.id or self.env.uid)

    def _nurture_run_rescore(self, step, leads):
        leads._scoring_rescored(*leads._scoring_recompute())

    def _nurture_run_stage(self, step, leads):
        leads._lifecycle_move(step.stage_id, self.env._("Nurture step “%s”", step.name))
