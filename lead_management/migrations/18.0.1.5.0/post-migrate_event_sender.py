# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""18.0.1.5.0: an engagement event's external id is its sender's own (``sender_id``, the intake API user that sent
it), no longer unique across the senders of a company: two marketing tools may use the same ids. The model's init
made the new unique index (company, sender, type, external id); the old one (company, type, external id) goes.
Events the intake API recorded before were recorded as their API user (the intake runs as that user, as
superuser): they get it as their sender. Events of no sender (Odoo, other modules) keep one id space per
company."""
from odoo import SUPERUSER_ID, api
from odoo.tools import SQL


def migrate(cr, version):
    cr.execute("DROP INDEX IF EXISTS lead_engagement_event_external_uniq")
    env = api.Environment(cr, SUPERUSER_ID, {"active_test": False})
    group = env.ref("lead_management.group_lead_intake", raise_if_not_found=False)
    if group and group.users:
        cr.execute(SQL("""
            UPDATE lead_engagement_event
               SET sender_id = create_uid
             WHERE sender_id IS NULL AND external_id IS NOT NULL AND create_uid = ANY(%s)
        """, group.users.ids))
