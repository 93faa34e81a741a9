# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo.tools import clean_context

# mail's context keys that change what an activity call does: skip it altogether, or create the activity without
# telling its user. Any client can send them over RPC.
ACTIVITY_KEYS = ("mail_activity_automation_skip", "mail_activity_quick_update")


def for_activities(records, notify=False):
    """``records`` in the context the pipeline schedules, answers and removes its activities in: the caller's,
    without the keys a client may have put there to shape them (``default_<field>``: a deadline, a type, a note
    of its own; mail's switch that skips every activity call). Its user is told by e-mail only when ``notify``
    (otherwise the activity is on their list, as crm's assignment leaves its to-dos)."""
    context = {key: value for key, value in clean_context(records.env.context).items() if key not in ACTIVITY_KEYS}
    if not notify:
        context["mail_activity_quick_update"] = True
    return records.with_env(records.env(context=context))
