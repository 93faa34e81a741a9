# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""18.0.1.5.0: the superuser (OdooBot) is no longer a Lead Manager. Installing the addon made it one, and through the
groups Lead Manager implies, a user of crm's Leads: a lead created as superuser (by other addons' code and tests)
then defaulted to a lead instead of crm's opportunity. It leaves the addon's groups, and crm's Leads unless every
internal user has it (the company turned Leads on)."""
from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    env = api.Environment(cr, SUPERUSER_ID, {"active_test": False})
    root = env.ref("base.user_root", raise_if_not_found=False)
    if not root:
        return
    groups = env["res.groups"]
    for xmlid in ("lead_management.group_lead_manager", "lead_management.group_lead_qualifier"):
        groups |= env.ref(xmlid, raise_if_not_found=False) or groups
    use_lead = env.ref("crm.group_use_lead", raise_if_not_found=False)
    if use_lead and use_lead not in env.ref("base.group_user").trans_implied_ids:
        groups |= use_lead
    if groups:
        cr.execute("DELETE FROM res_groups_users_rel WHERE uid = %s AND gid = ANY(%s)", [root.id, groups.ids])
        env.registry.clear_cache("groups")
