# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from datetime import timedelta

from odoo import fields, models


class MailComposeMessage(models.TransientModel):
    _inherit = "mail.compose.message"

    def _get_optout_emails(self, mail_values_dict):
        """A mailing on leads skips the addresses that got their company's weekly limit of marketing e-mails in the last
        7 days (nurture e-mails and mailings alike, Lead Management's setting): their e-mail is cancelled as Email
        Marketing cancels an opted-out one. A nurture step's mailing is held by the nurture job itself, until the
        address is under the limit again."""
        optout = super()._get_optout_emails(mail_values_dict)
        mailing = self.mass_mailing_id
        if not mailing or mailing.mailing_model_real != "crm.lead" or mailing._nurture_step_mailings():
            return optout
        leads = self.env["crm.lead"].sudo().browse(mail_values_dict).exists()
        caps = {company: company.nurture_weekly_cap for company in leads.company_id | self.env.company}
        capped = leads.filtered(lambda lead: lead.email_normalized and caps[lead.company_id or self.env.company])
        if not capped:
            return optout
        sent = self.env["lead.nurture.trace"]._nurture_marketing_sent(
            set(capped.mapped("email_normalized")), fields.Datetime.now() - timedelta(days=7))
        return optout + [lead.email_normalized for lead in capped
                         if len(sent.get(lead.email_normalized, ())) >= caps[lead.company_id or self.env.company]]
