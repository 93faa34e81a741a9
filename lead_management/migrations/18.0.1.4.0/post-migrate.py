# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""18.0.1.4.0: numbers are read with the lead's country, else its company's, and e-mail syntax is checked for
real. crm's stored phone_sanitized, phone_state and email_state of open leads follow, in batches."""
from odoo import SUPERUSER_ID, api
from odoo.tools import split_every

BATCH_SIZE = 5000


def migrate(cr, version):
    env = api.Environment(cr, SUPERUSER_ID, {"active_test": False})
    Lead = env["crm.lead"]
    names = ("phone_sanitized", "phone_state", "email_state")
    lead_ids = Lead.search([("active", "=", True), ("probability", "<", 100), "|", "|",
                            ("phone", "!=", False), ("mobile", "!=", False), ("email_from", "!=", False)]).ids
    for batch_ids in split_every(BATCH_SIZE, lead_ids):
        leads = Lead.browse(batch_ids)
        for name in names:
            env.add_to_compute(Lead._fields[name], leads)
        leads.flush_recordset()
        env.invalidate_all()
