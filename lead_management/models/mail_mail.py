# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from markupsafe import Markup

from odoo import fields, models, tools


class MailMail(models.Model):
    _inherit = "mail.mail"

    nurture_step_id = fields.Many2one(
        "lead.nurture.step", readonly=True, index="btree_not_null", ondelete="set null",
        help="The nurture step that sent this e-mail: a marketing e-mail, with its unsubscribe link and headers.")

    def _prepare_outgoing_list(self, mail_server=False, recipients_follower_status=None):
        """A nurture e-mail is a marketing e-mail: each recipient's copy carries its own unsubscribe link, in the body
        and as RFC 8058 ``List-Unsubscribe`` / ``List-Unsubscribe-Post`` headers, as mass mailing's do."""
        email_list = super()._prepare_outgoing_list(mail_server=mail_server,
                                                    recipients_follower_status=recipients_follower_status)
        return self._nurture_mark_outgoing(email_list)

    def _nurture_mark_outgoing(self, email_list):
        """The unsubscribe link and headers of a nurture e-mail, on each copy of ``email_list`` (as
        _prepare_outgoing_list gives it); again on the same list changes nothing (a module whose own
        _prepare_outgoing_list runs after this one's, e.g. mass mailing's headers, calls it once more)."""
        if not self.nurture_step_id or self.model != "crm.lead" or not self.res_id:
            return email_list
        Lead = self.env["crm.lead"].sudo()
        lead = Lead.with_context(active_test=False).browse(self.res_id).exists()
        lang = lead.lang_id.code or self.env.context.get("lang")
        for email_values in email_list:
            if not email_values["email_to"]:
                continue
            email = tools.email_normalize(email_values["email_to"][0], strict=False) or email_values["email_to"][0]
            url = Lead._nurture_unsubscribe_url(self.res_id, email)
            # Each copy its own headers (mail gives every recipient's copy one dict): its own link only.
            email_values["headers"] = {
                **email_values["headers"],
                "List-Unsubscribe": f"<{url}>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                "Precedence": "list",
                "X-Auto-Response-Suppress": "OOF",
            }
            translated = self.with_context(lang=lang).env
            text = translated._("You receive this e-mail because you showed interest in our products and services.")
            link_label = translated._("Unsubscribe")
            footer = Markup('<p style="font-size: 12px; color: #6c757d;">%s <a href="%s">%s</a></p>') % (
                text, url, link_label)
            body = email_values.get("body") or ""
            if str(footer) in body:
                continue
            email_values["body"] = (Markup(body) + footer) if "</body>" not in body else Markup(
                body.replace("</body>", f"{footer}</body>", 1))
            if email_values.get("body_alternative"):
                email_values["body_alternative"] = f"{email_values['body_alternative']}\n\n{text} {url}"
        return email_list
