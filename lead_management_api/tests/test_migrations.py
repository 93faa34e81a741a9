# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The migrations to per-sender external ids (lead_management 18.0.1.5.0, lead_management_api 18.0.1.1.0) and to
references that keep the number they were sent with (lead_management_api 18.0.1.2.0), run on rows as the previous
versions wrote them."""
from odoo.tests import tagged
from odoo.tools import SQL

from .common import IntakeCase, migration


@tagged("post_install", "-at_install")
class TestSenderMigrations(IntakeCase):

    def test_events_the_intake_recorded_get_their_sender(self):
        lead = self.Lead.browse(self.post("/leads", self.lead_body("mig-1")).json()["id"])
        Event = self.env["lead.engagement.event"]
        # As 18.0.1.4.0 recorded them: the intake ran as its API user (create_uid), with no sender.
        old = Event.with_user(self.user_intake).sudo()._record_events([
            {"lead_id": lead.id, "type": "webinar", "external_id": "old-1"}])
        module = Event._record_events([{"lead_id": lead.id, "type": "download", "external_id": "module-1"}])
        self.assertEqual(old.create_uid, self.user_intake)
        self.assertFalse(old.sudo().sender_id)
        self.env.cr.execute("""
            CREATE UNIQUE INDEX lead_engagement_event_external_uniq
                ON lead_engagement_event (COALESCE(company_id, 0), type_id, external_id) WHERE external_id IS NOT NULL
        """)
        self.env.flush_all()
        migration("lead_management", "18.0.1.5.0", "post-migrate_event_sender.py")(self.env.cr, "18.0.1.4.0")
        Event.invalidate_model()
        self.assertEqual(old.sudo().sender_id, self.user_intake)
        self.assertFalse(module.sudo().sender_id, "events of Odoo and other modules keep no sender")
        self.env.cr.execute("SELECT 1 FROM pg_indexes WHERE indexname = 'lead_engagement_event_external_uniq'")
        self.assertFalse(self.env.cr.fetchall(), "the per-company index is gone")
        # The sender's replay finds it: its id is its own now.
        response = self.post("/events", {"external_id": "old-1", "type": "webinar", "lead_external_id": "mig-1"})
        self.assertEqual((response.status_code, response.json()["id"]), (200, old.id))

    def test_references_get_a_sender_and_what_they_were_sent_with(self):
        lead = self.Lead.browse(self.post("/leads", self.lead_body("mig-2")).json()["id"])
        reference = lead.intake_reference_ids
        # As 18.0.1.0.0 left them: unique per company, maybe without user, no e-mail or answer kept.
        self.env.flush_all()
        self.env.cr.execute(SQL("""
            ALTER TABLE lead_intake_reference ALTER COLUMN user_id DROP NOT NULL;
            ALTER TABLE lead_intake_reference ADD CONSTRAINT lead_intake_reference_external_id_company_uniq
                UNIQUE (company_id, external_id);
            UPDATE lead_intake_reference
               SET user_id = NULL, email_normalized = NULL, answer_lead_id = NULL, create_uid = %s
             WHERE id = %s
        """, self.user_intake.id, reference.id))
        migration("lead_management_api", "18.0.1.1.0", "pre-migrate.py")(self.env.cr, "18.0.1.0.0")
        migration("lead_management_api", "18.0.1.1.0", "post-migrate.py")(self.env.cr, "18.0.1.0.0")
        reference.invalidate_recordset()
        self.assertEqual(reference.user_id, self.user_intake, "the user who wrote it")
        self.assertEqual((reference.email_normalized, reference.answer_lead_id), ("mig-2@engines.example.com", lead.id))
        self.env.cr.execute(
            "SELECT 1 FROM pg_constraint WHERE conname = 'lead_intake_reference_external_id_company_uniq'")
        self.assertFalse(self.env.cr.fetchall(), "the per-company constraint is gone")
        # Another sender may now use the same id; the first one's replay and e-mail look-up still work.
        other = self.user_intake.copy({"login": "lm_intake_mig"})
        response = self.post("/leads", self.lead_body("mig-2", email="other@example.com"), key=self._api_key(other))
        self.assertEqual(response.status_code, 201, response.text)
        self.assertEqual(self.post("/leads", self.lead_body("mig-2")).json()["id"], lead.id)
        response = self.post("/events", {"external_id": "mig-ev", "type": "webinar",
                                         "lead_email": "mig-2@engines.example.com"})
        self.assertEqual(response.json()["lead"]["id"], lead.id)

    def test_references_get_the_number_they_were_sent_with(self):
        lead = self.Lead.browse(self.post("/leads", self.lead_body("mig-3", phone="+32 470 12 34 56")).json()["id"])
        reference = lead.intake_reference_ids
        self.assertEqual(reference.phone_sanitized, "+32470123456")
        self.env.flush_all()
        self.env.cr.execute("UPDATE lead_intake_reference SET phone_sanitized = NULL WHERE id = %s", [reference.id])
        migration("lead_management_api", "18.0.1.2.0", "post-migrate.py")(self.env.cr, "18.0.1.1.0")
        reference.invalidate_recordset()
        self.assertEqual(reference.phone_sanitized, "+32470123456", "its lead's, as it is")
        # The sender's next lead with that number names it.
        again = self.post("/leads", self.lead_body("mig-4", email="other-mig@example.com", phone="+32470123456"))
        self.assertEqual(again.json()["merged_into"], lead.id)
