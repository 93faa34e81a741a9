# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import http
from odoo.http import request

from ..models.crm_lead_mail import UNSUBSCRIBE_ROUTE


class NurtureUnsubscribe(http.Controller):
    """The unsubscribe link of nurture e-mails. Opening it (GET: mail scanners follow links) only asks; the button,
    or a mail client's RFC 8058 one-click POST, unsubscribes. The link is signed: a wrong or altered one changes
    nothing and tells nothing (404)."""

    # website=True: where the website is installed, the frontend layout of the page reads the current website, which
    # only a website route sets (without the website the flag is ignored), as mass_mailing's own unsubscribe pages.
    @http.route(UNSUBSCRIBE_ROUTE, type="http", auth="public", methods=["GET"], website=True, sitemap=False)
    def unsubscribe_page(self, lead_id=None, email=None, token=None, **kwargs):
        lead = request.env["crm.lead"]._nurture_unsubscribe_lead(lead_id, email, token)
        if not lead:
            return request.not_found()
        return request.render("lead_management.nurture_unsubscribe_page", {
            "email": email, "lead_id": lead.id, "token": token, "done": False})

    @http.route(UNSUBSCRIBE_ROUTE, type="http", auth="public", methods=["POST"], csrf=False, website=True,
                sitemap=False)
    def unsubscribe(self, lead_id=None, email=None, token=None, **kwargs):
        # No CSRF token: a mail client's one-click POST has none; the signed link is what protects it.
        lead = request.env["crm.lead"]._nurture_unsubscribe_lead(lead_id, email, token)
        if not lead:
            return request.not_found()
        lead._nurture_unsubscribe(email)
        return request.render("lead_management.nurture_unsubscribe_page", {
            "email": email, "lead_id": lead.id, "token": token, "done": True})
