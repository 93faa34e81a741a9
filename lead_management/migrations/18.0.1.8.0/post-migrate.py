# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""18.0.1.8.0: engagement types are logged by hand or recorded by Odoo's apps and the marketing tools ("Logged by
Hand"). The types that ship with the addon and its bridges for what those record (their data is not updated on an
existing database) are set to recorded, and so are the website's page types (a page URL): nobody logs those by hand
any more. Types an admin made stay logged by hand."""
import logging

from odoo.tools import SQL

_logger = logging.getLogger(__name__)

RECORDED_CODES = ("email_click", "visit", "email_reply", "unsubscribe", "email_open", "email_bounce", "page_view",
                  "event_registration", "event_attendance", "event_no_show")


def migrate(cr, version):
    cr.execute(SQL("UPDATE lead_engagement_type SET manual = FALSE WHERE code IN %s", RECORDED_CODES))
    count = cr.rowcount
    cr.execute("SELECT 1 FROM information_schema.columns WHERE table_name = 'lead_engagement_type' "
               "AND column_name = 'url_pattern'")
    if cr.fetchone():
        cr.execute("UPDATE lead_engagement_type SET manual = FALSE WHERE url_pattern IS NOT NULL")
        count += cr.rowcount
    _logger.info("lead_management 18.0.1.8.0: %s engagement types recorded by the apps, not logged by hand", count)
