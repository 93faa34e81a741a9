# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""18.0.1.1.0:

- Intake API keys carry their own scope, which XML-RPC, JSON-RPC and the web login refuse, and the intake API takes
  no other key: the keys the users of the Lead Intake (API) group had (no scope, or rpc) become intake keys. They
  keep working for the intake API and stop opening RPC as their user.
- References keep the e-mail address their lead was sent with (events by lead_email find the sender's own leads by
  it): taken from their lead as it is, the closest value there is.
- Answers become receipts (what the request made of the lead, the same to every replay): an existing reference's
  receipt is its lead as it is at the upgrade, the last the sender was told."""
from odoo import SUPERUSER_ID, api
from odoo.tools import SQL

from odoo.addons.lead_management_api.models.res_users_apikeys import INTAKE_SCOPE


def migrate(cr, version):
    env = api.Environment(cr, SUPERUSER_ID, {"active_test": False})
    users = env.ref("lead_management.group_lead_intake").users
    if users:
        cr.execute(SQL("""
            UPDATE res_users_apikeys SET scope = %s WHERE user_id = ANY(%s) AND (scope IS NULL OR scope = 'rpc')
        """, INTAKE_SCOPE, users.ids))
        # RPC caches the credentials it checked (res.users._check_uid_passwd): forget them.
        env.registry.clear_cache()
    cr.execute("SELECT id FROM lead_intake_reference WHERE answer_lead_id IS NULL")
    references = env["lead.intake.reference"].browse(row[0] for row in cr.fetchall())
    for reference in references:
        lead = reference.lead_id
        reference.write({"email_normalized": lead.email_normalized or False, **reference._answer_values(lead),
                         "answer_merged_into": lead.id if reference.merged else 0})
