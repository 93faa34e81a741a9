# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).


def post_init_hook(env):
    """Turn crm's "Leads" option on, place the leads that existed before the install in the lifecycle and
    score them: in SQL, by ranges of ids, without a chatter message per lead."""
    _enable_crm_leads(env)
    env["crm.lead"]._lifecycle_init_existing()
    env["crm.lead"]._scoring_init_existing()


def _enable_crm_leads(env):
    """What Settings > CRM > Leads does when ticked (crm's res.config.settings): this addon is about leads.
    Without it, leads created by users and public forms start as opportunities and skip marketing."""
    group_use_lead = env.ref("crm.group_use_lead")
    env.ref("base.group_user")._apply_group(group_use_lead)
    teams = env["crm.team"].with_context(active_test=False).search([("use_opportunities", "=", True)])
    teams.filtered(lambda team: not team.use_leads).use_leads = True
    for team in teams.filtered("alias_id"):
        team.alias_id.write(team._alias_get_creation_values())
