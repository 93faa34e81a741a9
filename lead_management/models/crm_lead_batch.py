# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import threading

from odoo import api, models
from odoo.tools import SQL, split_every

CRON_BATCH_SIZE = 500


class CrmLead(models.Model):
    _inherit = "crm.lead"

    # ------------------------------------------------------------
    # BATCHES (shared by the scheduled actions)
    # ------------------------------------------------------------

    @api.model
    def _lead_management_process_batches(self, domain, process, batch_size=CRON_BATCH_SIZE):
        """Run ``process`` on the leads matching ``domain`` in batches.

        Each batch is locked (rows another process holds are skipped, never handled twice), re-checked
        against the domain, processed, reported as cron progress and committed, so a crash loses at
        most one batch and the next run resumes with what is left.
        """
        lead_ids = self.search(domain, order="id").ids
        done = 0
        for batch_ids in split_every(batch_size, lead_ids):
            self.env.cr.execute(SQL(
                "SELECT id FROM crm_lead WHERE id IN %s FOR UPDATE SKIP LOCKED", tuple(batch_ids)))
            locked_ids = [row[0] for row in self.env.cr.fetchall()]
            leads = self.browse(locked_ids).filtered_domain(domain)
            if leads:
                process(leads)
            done += len(batch_ids)
            self._lead_management_batch_done(done, len(lead_ids))
        return done

    @api.model
    def _lead_management_batch_done(self, done, total):
        """Report a cron batch as progress and commit it (one batch at a time, as crm's own lead
        assignment commits), except in tests."""
        self.env["ir.cron"]._notify_progress(done=done, remaining=total - done)
        if not getattr(threading.current_thread(), "testing", False):
            self.env.cr.commit()  # pylint: disable=invalid-commit
