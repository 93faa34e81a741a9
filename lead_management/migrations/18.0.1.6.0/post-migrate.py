# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""18.0.1.6.0: fit rules and entry criteria may not depend on whether a lead duplicates another (its duplicate flags,
and what a flagged lead gets from the lead it duplicates: its qualifying rep, with the rep's SLA clock and nurture
track, a follower, a chatter note): they would tell a marketing tool, through the score and stage of its intake
answers, that someone else had the person. Saving such a condition is refused from now on; those saved before are
put aside here, nothing deleted:

- a fit rule is flagged as not working (skipped, as a rule whose field was removed), its domain kept, and the lead
  managers get a to do to fix it, as for any broken rule;
- a stage's entry criteria are removed (a stage has no such flag: its criteria are read on every change of a lead)
  and the lead managers are told what they were, to write them again without that condition.

The leads are rescored by the scheduled rescore the rules' change triggers."""
import logging
from ast import literal_eval

from markupsafe import Markup

from odoo import SUPERUSER_ID, api
from odoo.exceptions import ValidationError

from odoo.addons.lead_management.tools.domain import check_domain_ignores_duplicates

_logger = logging.getLogger(__name__)


def _reason(env, text):
    """The error a condition on duplicates in the domain ``text`` gives, or None when it has none (or cannot be
    read: such a domain is flagged when the scoring or the promotion reads it, as before)."""
    try:
        domain = literal_eval(text or "[]")
        check_domain_ignores_duplicates(env["crm.lead"], domain if isinstance(domain, list) else [])
    except ValidationError as error:
        return error.args[0]
    except Exception:  # not a domain at all: not this migration's to judge
        return None
    return None


def migrate(cr, version):
    env = api.Environment(cr, SUPERUSER_ID, {"active_test": False})
    broken = env["lead.scoring.rule"]
    for rule in env["lead.scoring.rule"].search([("is_valid", "=", True)]):
        reason = _reason(env, rule.domain)
        if reason:
            rule.write({"is_valid": False, "invalid_reason": reason})
            broken |= rule
    broken.filtered("active")._notify_invalid()
    managers = env.ref("lead_management.group_lead_manager").users.filtered(lambda user: user.active and not user.share)
    for stage in env["lead.lifecycle.stage"].search([("entry_domain", "not in", (False, "", "[]"))]):
        reason = _reason(env, stage.entry_domain)
        if not reason:
            continue
        criteria = stage.entry_domain
        stage.write({"entry_domain": False})
        _logger.warning("Entry criteria of lifecycle stage %s removed: %s (%s)", stage.name, criteria, reason)
        if managers:
            env["mail.thread"].message_notify(
                partner_ids=managers.partner_id.ids,
                subject=env._("Entry criteria of the lifecycle stage “%s” removed", stage.name),
                body=Markup("<p>%s</p><p><code>%s</code></p>") % (env._(
                    "The entry criteria of the lifecycle stage “%(stage)s” were removed at the upgrade of Lead "
                    "Management: %(reason)s Write them again without that condition; they were:",
                    stage=stage.name, reason=reason), criteria),
            )
