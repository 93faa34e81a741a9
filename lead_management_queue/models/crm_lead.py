# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import hashlib
import json

from markupsafe import Markup

from odoo import api, models
from odoo.tools import split_every

from odoo.addons.queue_job.utils import must_run_without_delay

# Enqueuing of Lead Management's chunks, one process at a time (two crons, or a cron and a button, of two Odoo servers
# would both find no waiting job with a chunk's key, then both queue it).
ENQUEUE_LOCK = 67_010_001
# A hand-off of more leads than this is split into jobs of this many.
HANDOFF_CHUNK = 500


def identity_key(model_name, chunk_method, args, kwargs):
    """The key of a chunk: its work (model, method, arguments), not the moment it was found due (``now``): a chunk
    still waiting is not queued again by the next run of its scheduled action."""
    work = json.dumps([model_name, chunk_method, args, {key: value for key, value in kwargs.items() if key != "now"}],
                      sort_keys=True, default=str)
    return f"lead_management:{model_name}.{chunk_method}:{hashlib.sha1(work.encode()).hexdigest()}"


class CrmLead(models.Model):
    _inherit = "crm.lead"

    @api.model
    def _lead_management_run(self, model_name, chunk_method, chunks, **kwargs):
        """Each chunk a job of queue_job instead of a batch of the scheduled action: on the Lead Management channel
        (its job functions say so; an admin may move them), with an identity key (a chunk is never queued twice
        while it waits), run by whichever worker of whichever Odoo server the job runner gives it to. What the chunk
        methods lock and check again once locked keeps two jobs of one chunk from acting twice."""
        if not chunks or must_run_without_delay(self.env):
            return super()._lead_management_run(model_name, chunk_method, chunks, **kwargs)
        self.env.cr.execute("SELECT pg_advisory_xact_lock(%s)", [ENQUEUE_LOCK])
        model = self.env[model_name].sudo()
        for chunk in chunks:
            args = list(chunk)
            delayable = model.with_delay(
                identity_key=identity_key(model_name, chunk_method, args, kwargs),
                description=self.env._("Lead Management: %(method)s %(chunk)s", method=chunk_method,
                                       chunk=_describe(args)))
            getattr(delayable, chunk_method)(*args, **kwargs)
        return len(chunks)

    def action_handoff_to_sales(self):
        """A large selection is handed off in jobs of HANDOFF_CHUNK leads (checked now, as the caller), each in the
        caller's name; a few leads at once, as without the queue."""
        if len(self) <= HANDOFF_CHUNK or must_run_without_delay(self.env):
            return super().action_handoff_to_sales()
        self._handoff_check()
        self.check_access("write")
        self.env.cr.execute("SELECT pg_advisory_xact_lock(%s)", [ENQUEUE_LOCK])
        for ids in split_every(HANDOFF_CHUNK, self.ids):
            self.browse().with_delay(
                identity_key=identity_key("crm.lead", "_handoff_chunk", [list(ids)], {}),
                description=self.env._("Lead Management: hand-off of %s leads", len(ids)),
            )._handoff_chunk(list(ids))
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "info",
                "message": self.env._("%s leads are being handed off to sales in the background; each lead's chatter "
                                      "says to whom, or why it stays with marketing.", len(self)),
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    @api.model
    def _handoff_chunk(self, ids):
        """One job of a large hand-off: those of the leads still with marketing and not waiting for sales (checked
        again: another job or a person may have handed some off meanwhile), handed off; those sales has no room for
        say so on their chatter."""
        leads = self.browse(ids).exists().filtered(
            lambda lead: lead.active and lead.lifecycle_side == "marketing" and lead.handoff_state != "pending")
        if not leads:
            return
        _handed, refused, _chosen = leads._handoff_to_sales()
        if refused:
            self.browse([lead.id for lead in refused]).sudo()._message_log_batch(bodies={
                lead.id: Markup("<p>%s</p>") % self.env._("Not handed off: %s. It stays with its qualifying rep.", why)
                for lead, why in refused.items()
            })


def _describe(args):
    """A chunk in a job's description: an id range, or how many records."""
    if len(args) == 2 and all(isinstance(arg, int) for arg in args):
        return f"[{args[0]}, {args[1]})"
    counted = [arg for arg in args if isinstance(arg, list)]
    return f"({len(counted[0])} records)" if counted else ""
