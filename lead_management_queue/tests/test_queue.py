# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""With OCA's queue_job, Lead Management's bulk work is jobs: a job per chunk (an id range) on the Lead Management
channel, with an identity key (a chunk waiting is never queued twice), each doing its chunk's work once when a worker
runs it; without a delay (queue_job's own switch), as on cron."""
from datetime import timedelta

from odoo import fields
from odoo.tests import tagged

from odoo.addons.lead_management.tests.common import LeadManagementCommon
from odoo.addons.queue_job.job import Job

from ..models.crm_lead import HANDOFF_CHUNK


@tagged("post_install", "-at_install")
class TestJobQueue(LeadManagementCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.grades = {grade.name: grade for grade in cls.env["lead.grade"].search([])}

    def setUp(self):
        super().setUp()
        # The jobs of this test only (the class's world was rescored through the queue too).
        self.env.cr.execute("SELECT COALESCE(MAX(id), 0) FROM queue_job")
        self.first_job = self.env.cr.fetchone()[0] + 1

    def _jobs(self, method):
        return self.env["queue.job"].search([("method_name", "=", method), ("state", "=", "pending"),
                                             ("id", ">=", self.first_job)], order="id")

    def _perform(self, jobs):
        for record in jobs:
            job = Job.load(self.env, record.uuid)
            job.perform()
            job.set_done()
            job.store()
        self.env.invalidate_all()

    def test_the_rescore_is_a_job_per_range_queued_once(self):
        leads = self._create_leads(6)
        self.env.cr.execute("UPDATE crm_lead SET lead_score = NULL, grade_id = NULL WHERE id IN %s",
                            (tuple(leads.ids),))
        leads.invalidate_recordset()
        size = leads[3].id
        self.env["crm.lead"]._cron_rescore(batch_size=size)
        jobs = self._jobs("_scoring_rescore_chunk")
        self.assertEqual([job.args for job in jobs], [[0, size], [size, 2 * size]], "a job per range of ids")
        self.assertEqual(set(jobs.mapped("channel")), {"root.lead_management"})
        self.assertTrue(all(job.identity_key for job in jobs))
        self.assertFalse(leads.grade_id, "nothing scored in the scheduled action itself")
        # The nightly run again while they wait: nothing more queued.
        self.env["crm.lead"]._cron_rescore(batch_size=size)
        self.assertEqual(self._jobs("_scoring_rescore_chunk"), jobs)
        self._perform(jobs)
        self.assertEqual(leads.grade_id, self.grades["D"])
        # Done, a chunk is queued again by the next run.
        self.env["crm.lead"]._cron_rescore(batch_size=size)
        self.assertEqual(len(self._jobs("_scoring_rescore_chunk")), 2)

    def test_due_clocks_escalate_once_through_jobs(self):
        policy = self.env["lead.sla.policy"].create({"name": "Queue SLA", "clock": "speed", "target_hours": 8,
                                                     "warning_hours": 1, "warn_owner": True})
        leads = self._create_leads(3, qualifier_id=self.user_qualifier.id)
        clocks = leads.sla_clock_id
        self.assertEqual(len(clocks), 3)
        self.assertEqual(clocks.policy_id, policy)
        past = fields.Datetime.now() - timedelta(hours=1)
        clocks.write({"warning_date": past, "next_check": past})
        self.env["crm.lead"]._cron_sla()
        jobs = self._jobs("_sla_run_chunk")
        self.assertTrue(jobs)
        self.assertFalse(clocks.filtered("escalation"), "escalated by the jobs, not the scheduled action")
        self._perform(jobs + jobs)  # a chunk run twice (a retry, another worker) acts once
        self.assertEqual(clocks.mapped("escalation"), [1, 1, 1])
        for lead in leads:
            self.assertEqual(len(lead.activity_ids.filtered(lambda act: act.summary == "SLA at risk: contact this "
                                                            "lead")), 1)
        self.env["crm.lead"]._cron_sla()
        self.assertFalse(self._jobs("_sla_run_chunk"), "nothing due any more")

    def test_a_large_hand_off_is_split_into_jobs_in_the_callers_name(self):
        count = HANDOFF_CHUNK + 2
        leads = self._create_leads(count, qualifier_id=self.user_qualifier.id,
                                   lifecycle_stage_id=self._stage("qualified").id)
        self.env["crm.team.member"].search([("crm_team_id", "=", self.team.id)]).assignment_max = 10000
        action = leads.with_user(self.user_qualifier).action_handoff_to_sales()
        self.assertEqual(action["params"]["type"], "info")
        jobs = self._jobs("_handoff_chunk")
        self.assertEqual([len(job.args[0]) for job in jobs], [HANDOFF_CHUNK, 2])
        self.assertEqual(jobs.user_id, self.user_qualifier)
        self.assertFalse(leads.filtered(lambda lead: lead.handoff_state == "pending"))
        self._perform(jobs + jobs[:1])
        self.assertEqual(set(leads.mapped("handoff_state")), {"pending"})
        self.assertEqual(len(self.env["lead.handoff"].search([("lead_id", "in", leads.ids)])), count,
                         "each lead handed off once")
        # A few leads: at once, as without the queue.
        few = self._create_leads(2, qualifier_id=self.user_qualifier.id,
                                 lifecycle_stage_id=self._stage("qualified").id)
        few.with_user(self.user_qualifier).action_handoff_to_sales()
        self.assertEqual(set(few.mapped("handoff_state")), {"pending"})

    def test_without_delay_the_chunks_run_at_once(self):
        leads = self._create_leads(2)
        self.env.cr.execute("UPDATE crm_lead SET lead_score = NULL, grade_id = NULL WHERE id IN %s",
                            (tuple(leads.ids),))
        leads.invalidate_recordset()
        self.env["crm.lead"].with_context(queue_job__no_delay=True)._cron_rescore()
        self.assertFalse(self._jobs("_scoring_rescore_chunk"))
        self.assertEqual(leads.grade_id, self.grades["D"])

    def test_a_queued_intake_batch_is_a_job_per_chunk_done_once(self):
        """A batch sent to the intake API with ``Prefer: respond-async`` (lead_management_api, installed with this
        addon's suite by `make test`): a job per range of its items, queued once, each item done once."""
        if "lead.intake.batch" not in self.env:
            self.skipTest("lead_management_api is not installed: make test installs it with this suite")
        Keys = self.env["res.users.apikeys"]
        Keys.with_user(self.user_intake).sudo()._generate("lead_management_intake", "queued batches", None)
        key = Keys.sudo().search([("user_id", "=", self.user_intake.id)], order="id desc", limit=1)
        intake = self.env["lead.intake.batch"].with_user(self.user_intake)
        items = [{"external_id": f"qq-{index}", "email": f"qq-{index}@queue.example.com"} for index in range(5)]
        batch = intake._intake_queue("lead", items, key.id).sudo()
        size = batch.item_ids.sorted("id")[2].id
        self.env["lead.intake.batch"]._cron_run_batches(chunk_size=size)
        jobs = self._jobs("_lead_intake_batch_chunk")
        self.assertEqual([job.args for job in jobs], [[0, size], [size, 2 * size]], "a job per range of item ids")
        self.assertEqual(set(jobs.mapped("channel")), {"root.lead_management"})
        self.assertFalse(batch.item_ids.filtered("answer"), "nothing done by the scheduled action itself")
        self.env["lead.intake.batch"]._cron_run_batches(chunk_size=size)
        self.assertEqual(self._jobs("_lead_intake_batch_chunk"), jobs, "not queued again while they wait")
        self._perform(jobs + jobs)  # each chunk run twice (a retry, another worker): each item done once
        self.assertEqual(batch.item_ids.mapped(lambda item: item.answer["status"]), [201] * 5)
        leads = self.env["crm.lead"].search([("email_from", "=like", "qq-%@queue.example.com")])
        self.assertEqual(len(leads), 5)
        self.assertEqual(set(batch.item_ids.mapped(lambda item: item.answer["lead"]["id"])), set(leads.ids))
