# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import json
import logging
from datetime import timedelta
from itertools import groupby

from odoo import api, fields, models, tools
from odoo.exceptions import AccessError
from odoo.tools import SQL

from odoo.addons.lead_management.models.crm_lead_batch import id_buckets

from .lead_intake import CONCURRENCY_ERRORS
from .res_users_apikeys_description import INTAKE_GROUP

_logger = logging.getLogger(__name__)

# Items of queued batches per chunk: a transaction (a cron batch, or a queue_job job) of its own, which holds the keys
# of its items (a request for the same person waits for it) until it commits.
ITEM_CHUNK = 50
# Batches all of whose items are answered are deleted this long after their last answer.
KEEP_DAYS = 30
# Runs of a chunk an item may take part in (a run that met concurrent work on its person, or that was killed): the
# next one answers it 409 ("send it again"), as a request whose item kept conflicting.
MAX_RUNS = 5


class LeadIntakeBatch(models.Model):
    """A batch the intake API was asked to do later (``Prefer: respond-async``): its items are kept as sent and done
    by the scheduled action in chunks of ids (each a transaction of its own; with lead_management_queue, each a job
    of OCA's queue_job, run by any worker of any Odoo server), as the API user who sent them. The sender reads each
    item's answer at /lead_management/v1/batches/<id>. Written in SQL by the API only: no one edits it."""

    _name = "lead.intake.batch"
    _description = "Queued Intake Batch"
    _order = "id desc"

    user_id = fields.Many2one("res.users", "API User", required=True, readonly=True, index=True, ondelete="cascade")
    key_id = fields.Integer("API Key", readonly=True, help="The intake key it was sent with: revoked or expired, the "
                                                             "items waiting are refused.")
    company_id = fields.Many2one("res.company", required=True, readonly=True, ondelete="cascade")
    kind = fields.Selection([("lead", "Leads"), ("event", "Events")], required=True, readonly=True)
    lang = fields.Char("Language", readonly=True)
    item_ids = fields.One2many("lead.intake.batch.item", "batch_id", "Items", readonly=True)

    @api.model
    def _intake_waiting(self):
        """How many items of the current API user's queued batches still wait."""
        self.env.cr.execute(SQL("""
            SELECT COUNT(*) FROM lead_intake_batch_item item JOIN lead_intake_batch batch ON batch.id = item.batch_id
             WHERE item.answer IS NULL AND batch.user_id = %s
        """, self.env.uid))
        return self.env.cr.fetchone()[0]

    @api.model
    def _intake_queue(self, kind, items, key_id):
        """A batch of ``items`` (the values sent, each kept as its JSON text: read again as sent, whatever it holds)
        of ``kind``, sent with the API key ``key_id``, kept for the scheduled action, which is called at once: its
        items inserted in one statement, whatever their number. Returns the batch."""
        batch = self.sudo().create({"user_id": self.env.uid, "key_id": key_id, "company_id": self.env.company.id,
                                    "kind": kind, "lang": self.env.lang})
        self.env.cr.execute(SQL("""
            INSERT INTO lead_intake_batch_item (batch_id, sequence, payload, runs, create_uid, create_date, write_uid,
                                                write_date)
            SELECT %(batch)s, item.position, item.payload, 0, %(uid)s, NOW() AT TIME ZONE 'utc', %(uid)s,
                   NOW() AT TIME ZONE 'utc'
              FROM unnest(%(items)s::text[]) WITH ORDINALITY AS item(payload, position)
        """, batch=batch.id, uid=self.env.uid, items=[json.dumps(item) for item in items]))
        batch.invalidate_recordset(["item_ids"])
        self.env.ref("lead_management_api.ir_cron_lead_intake_batches").sudo()._trigger()
        return batch

    def _intake_status(self, results=True):
        """The answer of GET batches/<id>: the batch, and with ``results`` each item's answer in the order sent
        (null while it waits)."""
        self.ensure_one()
        if results:
            self.env.cr.execute(SQL(
                "SELECT answer FROM lead_intake_batch_item WHERE batch_id = %s ORDER BY sequence", self.id))
            answers = [row[0] for row in self.env.cr.fetchall()]
            count, done = len(answers), sum(answer is not None for answer in answers)
        else:  # the counts alone, without reading every answer
            self.env.cr.execute(SQL(
                "SELECT COUNT(*), COUNT(answer) FROM lead_intake_batch_item WHERE batch_id = %s", self.id))
            count, done = self.env.cr.fetchone()
        answer = {"batch": {"id": self.id, "kind": self.kind, "status": "done" if done == count else "queued",
                            "items": count, "done": done}}
        if results:
            answer["results"] = answers
        return answer

    @api.model
    def _cron_run_batches(self, chunk_size=ITEM_CHUNK):
        """The scheduled action: the items still waiting, in chunks of ``chunk_size`` item ids (crm.lead's
        _lead_management_run: committed one after the other, or jobs of queue_job with an identity key per chunk)."""
        self.env.cr.execute("SELECT id FROM lead_intake_batch_item WHERE answer IS NULL ORDER BY id")
        ids = [row[0] for row in self.env.cr.fetchall()]
        return self.env["crm.lead"]._lead_management_run(
            "crm.lead", "_lead_intake_batch_chunk", id_buckets(ids, chunk_size))

    @api.autovacuum
    def _gc_batches(self):
        """Batches answered in full, their last answer more than KEEP_DAYS old."""
        self.env.cr.execute(SQL("""
            DELETE FROM lead_intake_batch batch
             WHERE NOT EXISTS (SELECT 1 FROM lead_intake_batch_item item
                                WHERE item.batch_id = batch.id AND (item.answer IS NULL OR item.write_date >= %s))
        """, fields.Datetime.now() - timedelta(days=KEEP_DAYS)))


class LeadIntakeBatchItem(models.Model):
    _name = "lead.intake.batch.item"
    _description = "Queued Intake Item"
    _order = "batch_id, sequence"

    batch_id = fields.Many2one("lead.intake.batch", required=True, readonly=True, index=True, ondelete="cascade")
    sequence = fields.Integer(readonly=True)
    payload = fields.Text("As Sent", readonly=True, help="The item as sent (JSON).")
    answer = fields.Json(readonly=True, help="Its result, as in a batch answered at once: empty while it waits.")
    runs = fields.Integer(readonly=True, help="Runs of a chunk it took part in without being answered.")

    def init(self):
        tools.create_index(self.env.cr, "lead_intake_batch_item_waiting_idx", self._table, ["id"],
                           where="answer IS NULL")

    @api.model
    def _intake_run_chunk(self, low, high):
        """One chunk of _cron_run_batches: the items of ids [low, high) still waiting, batch by batch."""
        self.env.cr.execute(SQL("""
            SELECT id, batch_id FROM lead_intake_batch_item
             WHERE id >= %s AND id < %s AND answer IS NULL ORDER BY batch_id, id
        """, low, high))
        for batch_id, rows in groupby(self.env.cr.fetchall(), key=lambda row: row[1]):
            self._intake_run_items(self.env["lead.intake.batch"].browse(batch_id), [row[0] for row in rows])

    @api.model
    def _intake_run_items(self, batch, ids):
        """Do the items ``ids`` of ``batch`` as its API user, in its company and language, as the API would have.

        The items still waiting are claimed (SKIP LOCKED: another worker's are its own) and their runs counted; the
        keys of every item are held (_intake_lock: committed, so that this transaction sees what a request or batch
        that held them committed); then the items still waiting are locked again and each is done in a savepoint
        with its answer, all committed together: a crash loses the chunk, done again by the next run, and an item is
        never done twice. An item that meets concurrent work (a serialization failure, or its external id committed
        meanwhile) waits for the next run, whose transaction sees that work; after MAX_RUNS runs it is answered 409."""
        Lead = self.env["crm.lead"]
        claimed = Lead._lead_management_lock(SQL("""
            SELECT id FROM lead_intake_batch_item WHERE id IN %s AND answer IS NULL ORDER BY id FOR UPDATE SKIP LOCKED
        """, tuple(ids)))
        if not claimed:
            return
        self.env.cr.execute(SQL("UPDATE lead_intake_batch_item SET runs = runs + 1 WHERE id IN %s RETURNING id, runs",
                                tuple(claimed)))
        runs = dict(self.env.cr.fetchall())
        intake = self.env["lead.intake"].with_user(batch.user_id).with_context(lang=batch.lang or "en_US")
        try:
            intake = intake.with_company(batch.company_id)
            # env.company raises AccessError when the user lost the batch's company.
            allowed = (batch.user_id.active and intake.env.company == batch.company_id
                       and intake.env.user.has_group(INTAKE_GROUP)
                       and self.env["res.users.apikeys"]._lead_intake_key_valid(batch.key_id, batch.user_id.id))
        except AccessError:
            allowed = False
        if not allowed:
            self._intake_write_answers({item_id: {"status": 403, "errors": {"authorization": intake.env._(
                "The API key or the user that sent this batch may no longer send leads or events (a valid intake key "
                "of an intake user of the company): send it again with a valid intake key.")}} for item_id in runs})
            return
        checked = {item.id: intake._intake_validate(batch.kind, json.loads(item.payload))
                   for item in self.browse(list(runs))}
        keys = sorted({key for values, _errors in checked.values() if values
                       for key in intake._intake_lock_keys(batch.kind, values)})
        try:
            intake._intake_lock(keys)
            locked = Lead._lead_management_lock(SQL("""
                SELECT id FROM lead_intake_batch_item
                 WHERE id IN %s AND answer IS NULL ORDER BY id FOR UPDATE SKIP LOCKED
            """, tuple(runs)))
            answers = {}
            for item_id in locked:
                values, errors = checked[item_id]
                if errors:
                    answers[item_id] = {"status": 400, "errors": errors}
                elif runs[item_id] > MAX_RUNS:
                    answers[item_id] = {"status": 409, "errors": {"external_id": intake.env._(
                        "Concurrent requests for this item kept conflicting: send it again.")}}
                else:
                    answers[item_id] = self._intake_run_item(intake, batch, values)
            self._intake_write_answers({item_id: answer for item_id, answer in answers.items() if answer})
            Lead._lead_management_commit()
        finally:
            intake._intake_unlock(keys)

    @api.model
    def _intake_run_item(self, intake, batch, values):
        """The answer of one item (as in a batch answered at once), done in a savepoint (entering and leaving it runs
        the pre-commit work of the items before: a rollback drops this item's only); None when it met concurrent
        work (it waits for the next run)."""
        try:
            with self.env.cr.savepoint():
                status, answer = intake._intake_do(batch.kind, values)
        except CONCURRENCY_ERRORS as error:
            _logger.info("Queued intake batch %s: %s, the item waits for the next run", batch.id,
                         type(error).__name__)
            return None
        except Exception as error:  # every item gets an answer, the chunk goes on
            refusal = intake._intake_refusal(error, f"batch {batch.id}")
            if refusal is None:  # not the client's doing: a bug, logged with its traceback
                _logger.exception("Queued intake batch %s: unexpected error on an item", batch.id)
                return {"status": 500, "errors": {"server": intake.env._(
                    "Unexpected server error; it was logged. Send this item again later.")}}
            return {"status": 400, **refusal}
        return {"status": status, batch.kind: answer}

    @api.model
    def _intake_write_answers(self, answers):
        """Write the answers ({item id: answer}) of items still waiting, in one statement."""
        if answers:
            self.env.cr.execute(SQL("""
                UPDATE lead_intake_batch_item item SET answer = answers.answer, write_date = %s
                  FROM (SELECT key::int AS id, value AS answer FROM jsonb_each(%s::jsonb)) AS answers
                 WHERE item.id = answers.id AND item.answer IS NULL
            """, fields.Datetime.now(), json.dumps(answers)))
            self.browse(list(answers)).invalidate_recordset(["answer", "write_date"])
