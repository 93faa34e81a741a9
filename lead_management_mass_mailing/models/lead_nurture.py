# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models
from odoo.tools import SQL


class LeadNurtureStep(models.Model):
    _inherit = "lead.nurture.step"

    mailing_id = fields.Many2one(
        "mailing.mailing", readonly=True, copy=False, ondelete="set null",
        help="Email Marketing's mailing this e-mail step sends through (made at its first e-mail): its traces, "
             "opens, clicks, replies and bounces are the step's, in Email Marketing as in the lead's score.")

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
        self.env.cr.execute("SELECT COALESCE(MAX(id), 0) FROM mail_mail")
        last_mail = self.env.cr.fetchone()[0]
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
             WHERE trace.trace_type = 'mail' AND trace.email = ANY(%s)
               AND COALESCE(trace.sent_datetime, trace.create_date) > %s
               AND trace.trace_status NOT IN ('cancel', 'error')
               AND NOT EXISTS (SELECT 1 FROM lead_nurture_step step WHERE step.mailing_id = trace.mass_mailing_id)
        """, list(addresses), since))
        for address, date in self.env.cr.fetchall():
            sent[address].append(date)
        return sent


class MailMail(models.Model):
    _inherit = "mail.mail"

    def _prepare_outgoing_list(self, mail_server=False, recipients_follower_status=None):
        # Mass mailing's headers are its own unsubscribe link's: a nurture e-mail sent through its engine keeps the
        # nurture link (which ends the track at once), whichever of the two modules' overrides ran last.
        email_list = super()._prepare_outgoing_list(mail_server=mail_server,
                                                    recipients_follower_status=recipients_follower_status)
        return self._nurture_mark_outgoing(email_list)
