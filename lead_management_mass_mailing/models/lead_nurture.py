# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

# What a person may not change on a nurture step's mailing (the nurture job sends it, to the leads of the step).
NURTURE_MAILING_LOCKED = frozenset({"mailing_domain", "mailing_model_id", "contact_list_ids", "state", "schedule_type",
                                    "schedule_date", "mailing_filter_id", "mailing_on_mailing_list"})


class LeadNurtureStep(models.Model):
    _inherit = "lead.nurture.step"

    mailing_id = fields.Many2one(
        "mailing.mailing", readonly=True, copy=False, ondelete="set null",
        help="Email Marketing's mailing this e-mail step sends through (made at its first e-mail): its traces, "
             "opens, clicks, replies and bounces are the step's, in Email Marketing as in the lead's score.")

    @api.model_create_multi
    def create(self, vals_list):
        # The step's mailing is the nurture job's to make (_nurture_mailing), not a client's to point at a newsletter.
        if not self.env.su:
            vals_list = [{key: value for key, value in vals.items() if key != "mailing_id"} for vals in vals_list]
        return super().create(vals_list)

    def write(self, vals):
        if "mailing_id" in vals and not self.env.su:
            vals = {key: value for key, value in vals.items() if key != "mailing_id"}
        return super().write(vals)

    def _nurture_mailing(self):
        """The step's mailing in Email Marketing's engine, made on first use: on leads, sent (never to be sent
        from Email Marketing, which would mail every lead), replies going to the lead's thread."""
        self.ensure_one()
        if self.mailing_id:
            return self.mailing_id
        template = self.mail_template_id
        mailing = self.env["mailing.mailing"].sudo().create({
            "subject": template.subject or self.name,
            "body_html": template.body_html,
            "body_arch": template.body_html,
            "email_from": template.email_from or self.env.company.email_formatted,
            "mailing_model_id": self.env["ir.model"]._get_id("crm.lead"),
            "mailing_domain": "[('id', 'in', [])]",
            "reply_to_mode": "update",
            "state": "done",
            "user_id": False,
            "name": self.env._("Nurture: %(track)s / %(step)s", track=self.track_id.name, step=self.name),
        })
        self.sudo().mailing_id = mailing
        return mailing


class LeadNurtureTrace(models.Model):
    _inherit = "lead.nurture.trace"

    def _nurture_send(self, step, leads):
        """Through Email Marketing's engine: the step's mailing gets a trace per lead, its links are tracked, bounces
        and replies are read back (and scored by this bridge's job); the e-mail is the step's template, with the
        nurture unsubscribe link and headers. Queued in this transaction, as the plain path."""
        mailing = step._nurture_mailing()
        self.env.flush_all()
        self.env.cr.execute("SELECT (SELECT COALESCE(MAX(id), 0) FROM mail_mail), "
                            "(SELECT COALESCE(MAX(id), 0) FROM mailing_trace)")
        last_mail, last_trace = self.env.cr.fetchone()
        composer = self.env["mail.compose.message"].sudo().with_context(
            active_ids=leads.ids, default_composition_mode="mass_mail", **mailing._get_mass_mailing_context(),
        ).create({
            "composition_mode": "mass_mail",
            "model": "crm.lead",
            "template_id": step.mail_template_id.id,
            "mass_mailing_id": mailing.id,
            "record_name": False,
            "auto_delete_keep_log": True,
            "force_send": False,  # queued, sent by the mail queue (as the plain path)
        })
        composer._action_send_mail(auto_commit=False)
        self.env["mail.mail"].sudo().search([("id", ">", last_mail), ("mailing_id", "=", mailing.id)]).write(
            {"nurture_step_id": step.id})
        if not mailing.sent_date:
            mailing.sent_date = fields.Datetime.now()
        # A lead the engine did not write to (an address twice in the batch, blacklisted, invalid): its step is
        # skipped, not done (it opens nothing, and counts against no weekly limit).
        self.env.cr.execute(SQL("""
            SELECT DISTINCT ON (res_id) res_id, failure_type FROM mailing_trace
             WHERE mass_mailing_id = %s AND res_id = ANY(%s) AND trace_status = 'cancel' AND id > %s
             ORDER BY res_id, id DESC
        """, mailing.id, leads.ids, last_trace))
        cancelled = dict(self.env.cr.fetchall())
        by_lead = {trace.lead_id.id: trace for trace in self}
        for lead_id, failure in cancelled.items():
            if lead_id in by_lead:
                by_lead[lead_id].write({"state": "skipped", "note": self.env._(
                    "not sent by Email Marketing (%s)", failure or self.env._("cancelled"))})

    @api.model
    def _nurture_marketing_sent(self, addresses, since):
        # Mailings count against the weekly limit too (those of nurture steps are counted as their steps).
        sent = super()._nurture_marketing_sent(addresses, since)
        if not addresses:
            return sent
        self.env["mailing.trace"].flush_model()
        self.env.cr.execute(SQL("""
            SELECT trace.email, COALESCE(trace.sent_datetime, trace.create_date)
              FROM mailing_trace trace
             WHERE trace.trace_type = 'mail' AND lower(trace.email) = ANY(%s)
               AND COALESCE(trace.sent_datetime, trace.create_date) > %s
               AND trace.trace_status NOT IN ('cancel', 'error')
               AND NOT EXISTS (SELECT 1 FROM lead_nurture_step step WHERE step.mailing_id = trace.mass_mailing_id)
        """, list(addresses), since))
        for address, date in self.env.cr.fetchall():
            sent[address].append(date)
        return sent


class MailingMailing(models.Model):
    _inherit = "mailing.mailing"

    def _nurture_step_mailings(self):
        return self.filtered(lambda mailing: self.env["lead.nurture.step"].sudo().search_count(
            [("mailing_id", "=", mailing.id)], limit=1))

    def write(self, vals):
        # Who gets a nurture step's mailing is the nurture's: a person changing its recipients or its state could
        # send the step's e-mail to every lead, past consent and working hours.
        if not self.env.su and NURTURE_MAILING_LOCKED & set(vals) and self._nurture_step_mailings():
            raise UserError(self.env._(
                "This mailing is sent by a nurture step, to the leads the step reaches: its recipients, state and "
                "schedule cannot be changed here. Edit the nurture track (CRM > Configuration > Nurture Tracks)."))
        return super().write(vals)

    def _get_seen_list(self):
        # A nurture step writes to each lead it reaches, every time the lead reaches it (a lead enrolled again gets
        # the e-mail again): no "already sent" list across runs (within a batch, an address gets one copy).
        if self._nurture_step_mailings():
            return set()
        return super()._get_seen_list()


class MailMail(models.Model):
    _inherit = "mail.mail"

    def _prepare_outgoing_list(self, mail_server=False, recipients_follower_status=None):
        # Mass mailing's headers are its own unsubscribe link's: a nurture e-mail sent through its engine keeps the
        # nurture link (which ends the track at once), whichever of the two modules' overrides ran last.
        email_list = super()._prepare_outgoing_list(mail_server=mail_server,
                                                    recipients_follower_status=recipients_follower_status)
        return self._nurture_mark_outgoing(email_list)
