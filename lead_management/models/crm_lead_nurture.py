# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from collections import defaultdict
from datetime import timedelta

import pytz
from markupsafe import Markup

from odoo import api, fields, models
from odoo.tools import SQL

from .crm_lead_batch import id_buckets

NURTURE_BATCH_SIZE = 500
# A write touching one of these may enrol a lead or end its enrolment.
NURTURE_FIELDS = frozenset({"active", "handoff_state", "type", "lifecycle_stage_id", "email_from", "partner_id",
                            "marketing_consent"})


class CrmLead(models.Model):
    _inherit = "crm.lead"

    # Nurture
    nurture_enrolment_id = fields.Many2one("lead.nurture.enrolment", readonly=True, copy=False,
                                           index="btree_not_null", help="The track the lead follows now, if any.")
    nurture_track_id = fields.Many2one(related="nurture_enrolment_id.track_id", string="Nurture Track")
    nurture_next_date = fields.Datetime(related="nurture_enrolment_id.next_date", string="Next Nurture Step On")
    nurture_next_step_id = fields.Many2one(related="nurture_enrolment_id.next_step_id", string="Next Nurture Step")
    nurture_enrolment_ids = fields.One2many("lead.nurture.enrolment", "lead_id", "Nurture History", readonly=True)

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def action_nurture_stop(self):
        """Take the leads off their track by hand."""
        self.check_access("write")
        self.filtered("nurture_enrolment_id")._nurture_exit("manual")
        return True

    def _merge_dependences(self, opportunities):
        # The merged leads' time on nurture tracks is part of the story of the lead that stays: their tracks end
        # (the lead that stays follows its own) and their enrolments and steps come along.
        result = super()._merge_dependences(opportunities)
        tails = opportunities.sudo()
        tails.filtered("nurture_enrolment_id")._nurture_exit("merged")
        tails.nurture_enrolment_ids.trace_ids.write({"lead_id": self.id})
        tails.nurture_enrolment_ids.write({"lead_id": self.id})
        return result

    # ------------------------------------------------------------
    # PIPELINE STEP 8: NURTURE
    # ------------------------------------------------------------

    def _nurture_step(self, changes):
        """Leads leave their track when they become sales-ready, are handed off, opt out, are lost or leave
        marketing's hands (their scheduled steps cancelled at once); leads of a grade whose disposition is
        Nurture and that has a track are enrolled on it."""
        if not self.env["lead.nurture.track"]._get_track_ids():
            return
        if changes.created or changes.fields & NURTURE_FIELDS:
            leads = self
        else:
            leads = changes.regraded | changes.moved
        if not leads:
            return
        leads = leads.sudo()
        exits = defaultdict(lambda: self.browse().sudo())
        for lead in leads.filtered("nurture_enrolment_id"):
            reason = lead._nurture_exit_reason()
            if reason:
                exits[reason] |= lead
        for reason, group in exits.items():
            group._nurture_exit(reason)
        leads.filtered(lambda lead: not lead.nurture_enrolment_id and lead._nurture_track())._nurture_enrol()

    # ------------------------------------------------------------
    # BUSINESS
    # ------------------------------------------------------------

    def _nurture_track(self):
        """The track this lead should follow now (empty when none)."""
        self.ensure_one()
        grade = self.grade_id
        # Marketing nurtures the leads it holds (a qualifying rep owns them), not those of crm-style teams.
        if (not self.qualifier_id or not self.active or self.type != "lead" or self.lifecycle_side != "marketing"
                or self.lifecycle_code == "disqualified" or self.handoff_state == "pending"
                or self.is_blacklisted or self.marketing_consent == "refused"
                or grade.disposition != "nurture" or not grade.nurture_track_id.active):
            return self.env["lead.nurture.track"]
        return grade.nurture_track_id

    def _nurture_tz(self):
        """The lead's time zone, for the hours its marketing e-mails go out: its contact's when it is one of its
        country's (a contact gets its creator's time zone by default: a Tokyo contact made in Brussels is not in
        Brussels), else its country's (the company's when the country has several and the company's is one of them,
        else the country's first, e.g. New York for the United States), else the company's working schedule's."""
        self.ensure_one()
        company = self.company_id or self.env.company
        company_tz = company.resource_calendar_id.tz or company.partner_id.tz or "UTC"
        country = self.country_id or self.partner_id.country_id
        zones = pytz.country_timezones.get(country.code or "", [])
        if self.partner_id.tz and (not zones or self.partner_id.tz in zones):
            return self.partner_id.tz
        if zones:
            return company_tz if company_tz in zones else zones[0]
        return company_tz

    def _nurture_exit_reason(self):
        """Why this enrolled lead leaves its track now, or False."""
        self.ensure_one()
        if not self.active:
            return "lost"
        if self.handoff_state == "pending":
            return "handed_off"
        if self.is_blacklisted or self.marketing_consent == "refused":
            return "opted_out"
        if self.grade_id.disposition == "handoff":
            return "sales_ready"
        if self._nurture_track() != self.nurture_enrolment_id.track_id:
            return "left"
        return False

    def _nurture_enrol(self):
        """Enrol these leads on their grade's track and schedule its first step."""
        now = fields.Datetime.now()
        Enrolment = self.env["lead.nurture.enrolment"].sudo()
        # An enrolment just ended (regraded onto another track) must be written before the new one, which the
        # database allows only once the old one is no longer active.
        Enrolment.flush_model(["state"])
        for track, leads in self.grouped(lambda lead: lead._nurture_track()).items():
            first = track.step_ids[:1]
            enrolments = Enrolment.create([{"lead_id": lead.id, "company_id": lead.company_id.id,
                                            "track_id": track.id, "date_start": now} for lead in leads])
            for lead, enrolment in zip(leads, enrolments, strict=True):
                lead._write_pipeline({"nurture_enrolment_id": enrolment.id}, by_hand=False)
            enrolments._nurture_schedule(first, now)
            leads._message_log_batch(bodies=dict.fromkeys(leads.ids, Markup("<p>%s</p>") % self.env._(
                "Enrolled on the nurture track “%s”.", track.name)))

    def _nurture_exit(self, reason):
        """End the active enrolment of these leads for ``reason``; their scheduled steps are cancelled."""
        enrolments = self.sudo().nurture_enrolment_id
        enrolments.trace_ids.filtered(lambda trace: trace.state == "scheduled").write({"state": "cancelled"})
        enrolments.write({"state": "done" if reason == "finished" else "exited", "exit_reason": reason,
                          "date_end": fields.Datetime.now()})
        self.sudo()._write_pipeline({"nurture_enrolment_id": False}, by_hand=False)

    @api.model
    def _nurture_enrol_pending_grades(self, batch_size):
        """Grades just mapped to a track: enrol their leads, a batch at a time (locked, committed)."""
        grades = self.env["lead.grade"].sudo().search([("nurture_enrol_pending", "=", True)])
        for grade in grades:
            domain = [("grade_id", "=", grade.id), ("nurture_enrolment_id", "=", False), ("qualifier_id", "!=", False),
                      ("type", "=", "lead"), ("lifecycle_side", "=", "marketing"), ("handoff_state", "!=", "pending")]
            self.sudo()._lead_management_process_batches(domain, "_nurture_enrol_on_track", batch_size=batch_size)
        # Two processes may both have enrolled the grades' leads (each lead once: locked): one clears the flags, the
        # other leaves them to it rather than fail on the rows it changed (a flag left set costs the next run a search).
        if grades:
            grades.browse(self._lead_management_lock(SQL(
                "SELECT id FROM lead_grade WHERE id IN %s AND nurture_enrol_pending ORDER BY id FOR UPDATE SKIP LOCKED",
                tuple(grades.ids)))).write({"nurture_enrol_pending": False})

    def _nurture_enrol_on_track(self):
        """Enrol those of these leads whose grade has a track."""
        self.filtered(lambda lead: lead._nurture_track())._nurture_enrol()

    # ------------------------------------------------------------
    # CRON
    # ------------------------------------------------------------

    @api.model
    def _cron_nurture(self, batch_size=NURTURE_BATCH_SIZE):
        """Run the nurture steps that are due: selected by their indexed scheduled date, in chunks of ``batch_size``
        step ids (_lead_management_run: committed one after the other, or jobs of queue_job), each row locked (SKIP
        LOCKED: two Odoo processes never run one step twice), checked again once locked, run. A crash loses at most
        the chunk being run, whose steps are still scheduled for the next run (e-mails are queued in the same
        transaction: nothing is sent twice). Steps that the run made due at once (a step without delay) are run in
        the same run, while there are; the job is then woken at the next due moment."""
        now = fields.Datetime.now()
        self._nurture_enrol_pending_grades(batch_size)
        done = set()
        while True:
            self.env.flush_all()
            self.env.cr.execute(SQL("SELECT id FROM lead_nurture_trace WHERE state = 'scheduled' "
                                    "AND scheduled_date <= %s ORDER BY id", now))
            due = [row[0] for row in self.env.cr.fetchall() if row[0] not in done]
            if not due or not self._lead_management_run("crm.lead", "_nurture_run_chunk",
                                                        id_buckets(due, batch_size), now=now):
                break
            done.update(due)
        self.env.cr.execute("SELECT MIN(scheduled_date) FROM lead_nurture_trace WHERE state = 'scheduled'")
        upcoming = self.env.cr.fetchone()[0]
        if upcoming:
            self.env.ref("lead_management.ir_cron_nurture").sudo()._trigger(at=max(upcoming, now + timedelta(
                minutes=1)))

    @api.model
    def _nurture_run_chunk(self, low, high, now):
        """Run the steps of ids in [low, high) due at ``now``: locked (those another process holds are left to it),
        checked again once locked."""
        now = fields.Datetime.to_datetime(now)
        self.env.flush_all()
        traces = self.env["lead.nurture.trace"].sudo().browse(self._lead_management_lock(SQL("""
            SELECT id FROM lead_nurture_trace
             WHERE state = 'scheduled' AND scheduled_date <= %(now)s AND id >= %(low)s AND id < %(high)s
          ORDER BY scheduled_date, id FOR UPDATE SKIP LOCKED
        """, now=now, low=low, high=high)))
        if not traces:
            return
        traces.invalidate_recordset()
        due = traces.filtered(lambda trace: trace.state == "scheduled" and trace.enrolment_id.state == "active")
        (traces - due).filtered(lambda trace: trace.state == "scheduled").write({"state": "cancelled"})
        due._nurture_run(now)
