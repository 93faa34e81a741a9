# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import logging
import threading

from psycopg2.errors import SerializationFailure

from odoo import api, models
from odoo.tools import SQL

_logger = logging.getLogger(__name__)

CRON_BATCH_SIZE = 500


def id_buckets(ids, size):
    """The ranges [low, high) of ``size`` ids (aligned on multiples of ``size``) that hold any of ``ids``, in order:
    the chunks of a job. Aligned, so that a chunk is the same whichever run of the job finds work in it (the key that
    keeps a chunk from being queued twice)."""
    return [(bucket * size, (bucket + 1) * size) for bucket in sorted({record_id // size for record_id in ids})]


class CrmLead(models.Model):
    _inherit = "crm.lead"

    # ------------------------------------------------------------
    # BATCHES (shared by the scheduled actions)
    # ------------------------------------------------------------

    @api.model
    def _lead_management_run(self, model_name, chunk_method, chunks, **kwargs):
        """Run the chunks of a scheduled job: ``chunk_method`` of ``model_name`` (as superuser) called with each chunk's
        arguments (a tuple: an id range [low, high), or a list of ids) and ``kwargs``. Here, as the scheduled action
        that called it: one chunk after the other, each reported as progress and committed, so that a crash loses
        at most the chunk being run and the next run does it again. With OCA's queue_job, lead_management_queue
        makes each chunk a job instead (on its own channel, an identity key per chunk: never queued twice), run by
        any worker of any Odoo server. Every chunk method locks what it works on (SKIP LOCKED) and checks it again
        once locked: two processes never act twice on one record."""
        model = self.env[model_name].sudo()
        if chunks:
            # Each chunk in a transaction of its own, that sees what other processes committed before it began.
            self._lead_management_commit()
        for done, chunk in enumerate(chunks, 1):
            getattr(model, chunk_method)(*chunk, **kwargs)
            self._lead_management_batch_done(done, len(chunks))
        return len(chunks)

    @api.model
    def _lead_management_lock(self, query):
        """The ids that ``query`` (a SELECT … FOR UPDATE SKIP LOCKED) locks: the rows another process holds are
        skipped; none when it meets rows another process changed since this transaction began (PostgreSQL refuses to
        lock them at Odoo's isolation level): that process acted on them, the next run sees what is left."""
        try:
            with self.env.cr.savepoint():
                self.env.cr.execute(query)
                return [row[0] for row in self.env.cr.fetchall()]
        except SerializationFailure:
            _logger.info("A chunk met rows another process changed meanwhile: left to the next run.")
            return []

    @api.model
    def _lead_management_commit(self):
        if not getattr(threading.current_thread(), "testing", False):
            self.env.cr.commit()  # pylint: disable=invalid-commit

    @api.model
    def _lead_management_process_batches(self, domain, method, batch_size=CRON_BATCH_SIZE):
        """Run the leads' ``method`` (a method of crm.lead, on a recordset) on the leads matching ``domain``, in
        chunks of ``batch_size`` ids (_lead_management_run)."""
        lead_ids = self.search(domain, order="id").ids
        return self._lead_management_run("crm.lead", "_lead_management_process_chunk",
                                         id_buckets(lead_ids, batch_size), domain=domain, method=method)

    @api.model
    def _lead_management_process_chunk(self, low, high, domain, method):
        """One chunk of _lead_management_process_batches: its leads matching the domain locked (rows another process
        holds are skipped, never handled twice), checked again against it once locked, then processed."""
        ids = self.search(domain + [("id", ">=", low), ("id", "<", high)], order="id").ids
        if not ids:
            return
        leads = self.browse(self._lead_management_lock(SQL(
            "SELECT id FROM crm_lead WHERE id IN %s ORDER BY id FOR UPDATE SKIP LOCKED", tuple(ids))))
        leads.invalidate_recordset()
        leads = leads.filtered_domain(domain)
        if leads:
            getattr(leads, method)()

    @api.model
    def _lead_management_batch_done(self, done, total):
        """Report a cron batch as progress and commit it (one batch at a time, as crm's own lead
        assignment commits), except in tests."""
        self.env["ir.cron"]._notify_progress(done=done, remaining=total - done)
        self._lead_management_commit()
        self.env.invalidate_all()
