# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo.tools import clean_context

# Keys that change what an activity call does: mail's switches that skip it altogether or create the activity
# without telling its user, the time zone its deadline's day is counted in, and whether archived (done) activities
# are found. Any client can send them over RPC.
ACTIVITY_KEYS = ("mail_activity_automation_skip", "mail_activity_quick_update", "tz", "active_test")


def for_activities(records, notify=False):
    """``records`` in the context the pipeline schedules, answers and removes its activities in: the caller's,
    without what a client may have put there to shape them (``default_<field>``: an activity created archived,
    someone else as its requester; ACTIVITY_KEYS). Its user is told by e-mail only when ``notify`` (otherwise the
    activity is on their list, as crm's assignment leaves its to-dos)."""
    context = {key: value for key, value in clean_context(records.env.context).items() if key not in ACTIVITY_KEYS}
    if not notify:
        context["mail_activity_quick_update"] = True
    return records.with_env(records.env(context=context))
