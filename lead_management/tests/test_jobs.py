# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The SLA and nurture jobs across real transactions: two Odoo processes running a job at the same moment
act once on each lead; a crash in the middle of a batch, then a rerun, leaves nothing doubled and nothing
skipped. These tests commit their data in cursors of their own (as the jobs do), and remove it after."""
import threading
import time
from contextlib import contextmanager
from unittest.mock import patch

from odoo import SUPERUSER_ID, api
from odoo.tests import BaseCase, tagged

from odoo.addons.lead_management.models.crm_lead_batch import CrmLead as BatchLead
from odoo.addons.lead_management.models.crm_lead_sla import CrmLead as SlaLead
from odoo.addons.lead_management.models.lead_nurture_trace import LeadNurtureTrace

LEADS = 6


class Crash(Exception):
    pass


@tagged("post_install", "-at_install")
class TestJobsAcrossProcesses(BaseCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.registry = odoo_registry()

    @contextmanager
    def _env(self):
        with self.registry.cursor() as cr:
            # The registry is known: api.Environment would look it up under Registry's class lock, which the
            # test runner holds while it runs post-install tests.
            cr.transaction = api.Transaction(self.registry)
            yield api.Environment(cr, SUPERUSER_ID, {})

    def _committed(self, function):
        with self._env() as env:
            result = function(env)
            env.cr.commit()
            return result

    def _in_processes(self, job, count=2):
        """Run ``job(env)`` in ``count`` threads, each with its own cursor, started together; returns the
        exceptions they raised."""
        barrier, errors = threading.Barrier(count), []

        def run():
            try:
                barrier.wait()
                with self._env() as env:
                    job(env)
            except Exception as error:  # reported to the test
                errors.append(error)

        threads = [threading.Thread(target=run) for _index in range(count)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        return errors

    # ------------------------------------------------------------
    # World: committed, then removed
    # ------------------------------------------------------------

    def _build(self, env):
        """LEADS leads of the admin (a Lead Manager, so a qualifying rep), with a due SLA clock and a due
        first nurture step each."""
        admin = env.ref("base.user_admin")
        # E-mails whenever due (the sending times have their own tests).
        company = env.ref("base.main_company")
        settings = {"nurture_working_hours": company.nurture_working_hours,
                    "nurture_weekly_cap": company.nurture_weekly_cap}
        company.write({"nurture_working_hours": False, "nurture_weekly_cap": 0})
        policy = env["lead.sla.policy"].create({"name": "Jobs test SLA", "clock": "speed", "target_hours": 8,
                                                "warning_hours": 1, "warn_owner": True})
        template = env["mail.template"].create({
            "name": "Jobs test template", "model_id": env.ref("crm.model_crm_lead").id, "subject": "Jobs test",
            "email_to": "{{ object.email_from }}", "body_html": "<p>Hello</p>"})
        track = env["lead.nurture.track"].create({"name": "Jobs test track", "step_ids": [
            (0, 0, {"name": "Jobs test e-mail", "action": "email", "mail_template_id": template.id, "delay": 0})]})
        grade = env["lead.grade"].search([("min_score", "=", 0)], limit=1)
        previous_track = grade.nurture_track_id
        grade.nurture_track_id = track
        leads = env["crm.lead"].create([{
            "name": f"Jobs test lead {index}", "type": "lead", "user_id": False, "qualifier_id": admin.id,
            "email_from": f"jobs{index}@example.com"} for index in range(LEADS)])
        env.flush_all()
        env.cr.execute("UPDATE lead_sla_clock SET warning_date = now() at time zone 'UTC' - interval '1 hour', "
                       "next_check = now() at time zone 'UTC' - interval '1 hour' WHERE lead_id IN %s",
                       (tuple(leads.ids),))
        env.cr.execute("UPDATE lead_nurture_trace SET scheduled_date = now() at time zone 'UTC' - interval '1 hour' "
                       "WHERE lead_id IN %s", (tuple(leads.ids),))
        return {"leads": leads.ids, "policy": policy.id, "template": template.id, "track": track.id,
                "grade": grade.id, "previous_track": previous_track.id, "company_settings": settings}

    def _remove(self, world):
        def remove(env):
            env["lead.grade"].browse(world["grade"]).nurture_track_id = world["previous_track"] or False
            leads = env["crm.lead"].with_context(active_test=False).browse(world["leads"])
            env["mail.mail"].search([("model", "=", "crm.lead"), ("res_id", "in", leads.ids)]).unlink()
            leads.unlink()
            env["lead.nurture.track"].browse(world["track"]).unlink()
            env["mail.template"].browse(world["template"]).unlink()
            env["lead.sla.policy"].browse(world["policy"]).unlink()
            env.ref("base.main_company").write(world["company_settings"])
        self._committed(remove)

    def _world(self):
        world = self._committed(self._build)
        self.addCleanup(self._remove, world)
        return world

    def _check(self, world):
        """Each lead warned once (one activity, one message) and e-mailed once."""
        with self._env() as env:
            leads = env["crm.lead"].browse(world["leads"])
            for lead in leads:
                with self.subTest(lead=lead.name):
                    self.assertEqual(lead.sla_clock_id.escalation, 1)
                    self.assertEqual(lead.sla_state, "at_risk")
                    self.assertEqual(len(lead.activity_ids.filtered(
                        lambda act: act.summary == "SLA at risk: contact this lead")), 1)
                    self.assertEqual(len(lead.message_ids.filtered(lambda msg: "SLA at risk" in (msg.body or ""))), 1)
                    self.assertEqual(lead.nurture_enrolment_ids.trace_ids.mapped("state"), ["done"])
                    self.assertEqual(env["mail.mail"].search_count(
                        [("model", "=", "crm.lead"), ("res_id", "=", lead.id), ("subject", "=", "Jobs test")]), 1)

    @staticmethod
    def _slowly(original):
        """Make each batch take a while, so that two processes really run at the same moment."""
        def slow(*args, **kwargs):
            time.sleep(0.3)
            return original(*args, **kwargs)
        return slow

    # ------------------------------------------------------------
    # Tests
    # ------------------------------------------------------------

    def test_two_processes_act_once(self):
        world = self._world()
        with patch.object(SlaLead, "_sla_escalate", autospec=True, side_effect=self._slowly(SlaLead._sla_escalate)), \
                patch.object(BatchLead, "_lead_management_batch_done", autospec=True,
                             side_effect=self._slowly(BatchLead._lead_management_batch_done)):
            errors = self._in_processes(lambda env: (env["crm.lead"]._cron_sla(batch_size=2),
                                                     env["crm.lead"]._cron_nurture(batch_size=2)))
        self.assertEqual(errors, [])
        self._check(world)

    def test_crash_mid_batch_then_rerun(self):
        world = self._world()
        ours = set(world["leads"])
        original_escalate, original_run = SlaLead._sla_escalate, LeadNurtureTrace._nurture_run
        # How many of ours the first batch holding any of them did: batches are of 2 rows, ours and whatever else of
        # the database is due at the moment (demo clocks come due with the time of day), so it is 1 or 2.
        passed = {"sla": None, "nurture": None}

        def crash_after_first(kind, records):
            """Let the first batch with rows of ours through (committed), kill the job in the next one."""
            mine = [record for record in records if record.lead_id.id in ours]
            if not mine:
                return
            if passed[kind] is not None:
                raise Crash(f"{kind} job killed in its second batch")
            passed[kind] = len(mine)

        def escalate(records, clocks, now):
            crash_after_first("sla", clocks)
            return original_escalate(records, clocks, now)

        def run(traces, now):
            crash_after_first("nurture", traces)
            return original_run(traces, now)

        with patch.object(SlaLead, "_sla_escalate", autospec=True, side_effect=escalate), \
                patch.object(LeadNurtureTrace, "_nurture_run", autospec=True, side_effect=run):
            errors = self._in_processes(lambda env: env["crm.lead"]._cron_sla(batch_size=2), count=1)
            errors += self._in_processes(lambda env: env["crm.lead"]._cron_nurture(batch_size=2), count=1)
        self.assertEqual([type(error) for error in errors], [Crash, Crash])
        # The first batch of each job was committed; the second was rolled back, and is done by the rerun.
        self.assertIn(passed["sla"], (1, 2))
        self.assertIn(passed["nurture"], (1, 2))
        with self._env() as env:
            self.assertEqual(env["lead.sla.clock"].search_count(
                [("lead_id", "in", world["leads"]), ("escalation", "=", 1)]), passed["sla"])
            self.assertEqual(env["lead.nurture.trace"].search_count(
                [("lead_id", "in", world["leads"]), ("state", "=", "done")]), passed["nurture"])
        errors = self._in_processes(lambda env: (env["crm.lead"]._cron_sla(batch_size=2),
                                                 env["crm.lead"]._cron_nurture(batch_size=2)), count=1)
        self.assertEqual(errors, [])
        self._check(world)


def odoo_registry():
    from odoo.modules.registry import Registry
    from odoo.tests.common import get_db_name
    return Registry(get_db_name())
