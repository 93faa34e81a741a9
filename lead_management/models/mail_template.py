# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import models
from odoo.tools import email_normalize, email_split


class MailTemplate(models.Model):
    _inherit = "mail.template"

    def _nurture_recipients(self, leads):
        """{lead id: set of normalised addresses} this template would write to for each lead: its To and Cc as
        rendered (or the lead's default recipients), and the e-mail addresses of its partners. Nurture checks
        every one of them against the blacklist, not only the lead's first address."""
        self.ensure_one()
        if not leads:
            return {}
        rendered = self._generate_template(leads.ids, ("email_to", "email_cc", "partner_to"))
        partners = self.env["res.partner"].sudo().browse(
            {pid for values in rendered.values() for pid in values.get("partner_ids") or ()})
        partner_emails = {partner.id: email_split(partner.email or "") for partner in partners}
        result = {}
        for lead in leads:
            values = rendered.get(lead.id, {})
            addresses = email_split(values.get("email_to") or "") + email_split(values.get("email_cc") or "")
            for pid in values.get("partner_ids") or ():
                addresses += partner_emails.get(pid, [])
            # The lead's own addresses, all of them, whatever the template says.
            addresses += email_split(lead.email_from or "")
            result[lead.id] = {normalized for normalized in map(email_normalize, addresses) if normalized}
        return result
