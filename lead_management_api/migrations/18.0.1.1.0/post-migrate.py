# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""18.0.1.1.0:

- Intake API keys carry their own scope, which XML-RPC, JSON-RPC and the web login refuse, and the intake API takes
  no other key: the keys the users of the Lead Intake (API) group had (no scope, or rpc) become intake keys. They
  keep working for the intake API and stop opening RPC as their user.
- References keep the e-mail address their lead was sent with (events by lead_email find the sender's own leads by
  it): taken from their lead as it is, the closest value there is. They were all answered as their lead is: they
  stay so (what a sender was told cannot be withdrawn); merges from now on withhold another sender's lead."""
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
    cr.execute("""
        UPDATE lead_intake_reference reference
           SET email_normalized = lead.email_normalized, answer_lead_id = lead.id
          FROM crm_lead lead
         WHERE lead.id = reference.lead_id AND reference.answer_lead_id IS NULL
    """)
