# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).


def post_init_hook(env):
    """Place the leads that existed before the install in the lifecycle, and score them."""
    env["crm.lead"].with_context(active_test=False)._lifecycle_init_existing()
    env["crm.lead"]._scoring_recompute()
