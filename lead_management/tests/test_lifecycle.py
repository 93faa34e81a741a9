# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from datetime import datetime

from odoo.exceptions import UserError, ValidationError
from odoo.tests import users

from .common import LeadManagementCommon


class TestLifecycleStages(LeadManagementCommon):

    def test_shipped_stages(self):
        self.assertEqual(
            [stage.code for stage in self.env["lead.lifecycle.stage"].search([("company_id", "=", False)])],
            ["target", "suspect", "lead", "qualified", "prospect", "customer", "recycled", "disqualified"])
        self.assertEqual(self._stage("prospect").side, "sales")
        self.assertEqual(self._stage("recycled").side, "marketing")
        self.assertTrue(self._stage("disqualified").is_side_exit)
        self.assertIn("interest", self._stage("suspect").definition)
        # Shipped as noupdate data, so an admin's edits survive an upgrade.
        data = self.env["ir.model.data"].search([("module", "=", "lead_management"),
                                                 ("model", "=", "lead.lifecycle.stage")])
        self.assertEqual(len(data), 8)
        self.assertTrue(all(data.mapped("noupdate")))

    def test_stage_in_use_is_archived_not_deleted(self):
        self.assertEqual(self.lead.lifecycle_stage_id, self._stage("target"))
        with self.assertRaisesRegex(UserError, "archive it"):
            self._stage("target").unlink()
        unused = self.env["lead.lifecycle.stage"].create({"name": "Spare", "code": "spare"})
        unused.unlink()
        self.assertFalse(unused.exists())

    def test_code_unique(self):
        with self.assertRaises(ValidationError):
            self.env["lead.lifecycle.stage"].create({"name": "Another lead", "code": "lead"})

    def test_entry_domain_must_parse(self):
        stage = self._stage("suspect")
        for bad in ("[('email_from', '!=' False)]", "[('no_such_field', '=', 1)]", "'just text'"):
            with self.subTest(domain=bad), self.assertRaises(ValidationError):
                stage.write({"entry_domain": bad})
        self.assertFalse(stage.entry_domain)


class TestLifecycleMoves(LeadManagementCommon):

    def test_new_lead_and_opportunity(self):
        lead = self._create_leads(1)
        self.assertEqual(lead.lifecycle_stage_id, self._stage("target"))
        self.assertEqual(lead.lifecycle_history_ids.to_stage_id, self._stage("target"))
        self.assertFalse(lead.lifecycle_history_ids.from_stage_id)
        opportunity = self.env["crm.lead"].create({"name": "Direct deal", "type": "opportunity"})
        self.assertEqual(opportunity.lifecycle_stage_id, self._stage("prospect"))

    def test_entry_criteria_promote_on_write_and_by_cron(self):
        self._stage("suspect").entry_domain = "[('campaign_id', '!=', False)]"
        self._stage("lead").entry_domain = "[('phone', '!=', False), ('description', '!=', False)]"
        campaign = self.env["utm.campaign"].create({"name": "Webinar"})
        lead = self._create_leads(1)
        self.assertEqual(lead.lifecycle_stage_id, self._stage("target"))
        lead.campaign_id = campaign
        self.assertEqual(lead.lifecycle_stage_id, self._stage("suspect"))
        self.assertIn("Suspect", self._last_move(lead).reason)
        # Meeting a later stage's criteria jumps straight there.
        lead.write({"phone": "+32 470 12 34 56", "description": "Wants a quote for 20 seats"})
        self.assertEqual(lead.lifecycle_stage_id, self._stage("lead"))
        # Created matching: starts further.
        direct = self._create_leads(1, campaign_id=campaign.id)
        self.assertEqual(direct.lifecycle_stage_id, self._stage("suspect"))
        # Changes that bypass write() are caught by the scheduled action.
        other = self._create_leads(1)
        self.env.cr.execute("UPDATE crm_lead SET campaign_id = %s WHERE id = %s", (campaign.id, other.id))
        other.invalidate_recordset()
        self.env["crm.lead"]._cron_promote_lifecycle()
        self.assertEqual(other.lifecycle_stage_id, self._stage("suspect"))
        # Never backwards: a qualified lead meeting suspect's criteria stays qualified.
        qualified = self._create_leads(1, lifecycle_stage_id=self._stage("qualified").id)
        qualified.campaign_id = campaign
        self.assertEqual(qualified.lifecycle_stage_id, self._stage("qualified"))

    def test_history_records_time_in_previous_stage(self):
        with self.frozen_at("2026-01-05 09:00:00"):
            lead = self._create_leads(1)
        with self.frozen_at("2026-01-06 21:00:00"):
            lead._lifecycle_move(self._stage("lead"), "Called back")
        move = lead.lifecycle_history_ids.filtered(lambda row: row.from_stage_id)
        self.assertEqual(move.from_stage_id, self._stage("target"))
        self.assertEqual(move.to_stage_id, self._stage("lead"))
        self.assertEqual(move.reason, "Called back")
        self.assertEqual(move.date, datetime(2026, 1, 6, 21, 0))
        self.assertAlmostEqual(move.hours_in_previous, 36.0)
        self.assertEqual(lead.lifecycle_date, datetime(2026, 1, 6, 21, 0))

    def test_crm_actions_drive_the_lifecycle(self):
        lead, lost_lead, bad_lead = self._create_leads(3)
        lead.convert_opportunity(lead.partner_id)
        self.assertEqual(lead.lifecycle_stage_id, self._stage("prospect"))
        won_stage = self.env["crm.stage"].search([("is_won", "=", True)], limit=1)
        lead.action_set_won()
        self.assertEqual(lead.stage_id, won_stage)
        self.assertEqual(lead.lifecycle_stage_id, self._stage("customer"))
        self.assertEqual(self._last_move(lead).reason, "Won")

        lost_lead.action_set_lost()
        self.assertEqual(lost_lead.lifecycle_stage_id, self._stage("recycled"))
        spam = self.env["crm.lost.reason"].create(
            {"name": "Spam", "lifecycle_stage_id": self._stage("disqualified").id})
        bad_lead.action_set_lost(lost_reason_id=spam.id)
        self.assertEqual(bad_lead.lifecycle_stage_id, self._stage("disqualified"))
        self.assertEqual(len(bad_lead.lifecycle_history_ids), 2, "one move, straight to the mapped stage")
        # The default for reasons without a stage is a setting.
        self.env["res.config.settings"].create({
            "lead_management_lost_stage_id": self._stage("disqualified").id}).execute()
        other = self._create_leads(1)
        other.action_set_lost(lost_reason_id=self.env["crm.lost.reason"].create({"name": "Too expensive"}).id)
        self.assertEqual(other.lifecycle_stage_id, self._stage("disqualified"))
        # Restoring a lost lead brings it back into the flow.
        other.toggle_active()
        self.assertEqual(other.lifecycle_stage_id, self._stage("lead"))

    @users("lm_qualifier")
    def test_backward_move_needs_lead_manager(self):
        lead = self.env["crm.lead"].browse(self.lead.id)
        lead.lifecycle_stage_id = self._stage("qualified")
        with self.assertRaisesRegex(UserError, "Lead Manager"):
            lead.lifecycle_stage_id = self._stage("suspect")
        self.assertEqual(lead.lifecycle_stage_id, self._stage("qualified"))
        self.assertEqual(self._last_move(lead).to_stage_id, self._stage("qualified"))
        # Side exits are always open, and leaving a side exit is not a backward move.
        lead.lifecycle_stage_id = self._stage("recycled")
        lead.lifecycle_stage_id = self._stage("suspect")
        self.assertEqual(lead.lifecycle_stage_id, self._stage("suspect"))

    @users("lm_qualifier", "lm_manager")
    def test_sales_stages_follow_sales_steps(self):
        lead = self.env["crm.lead"].browse(self.lead.id)
        for code in ("prospect", "customer"):
            with self.subTest(code=code), self.assertRaisesRegex(UserError, "through sales"):
                lead.lifecycle_stage_id = self._stage(code)
        self.assertEqual(lead.lifecycle_stage_id, self._stage("target"))

    def test_reopened_opportunity_is_a_prospect_again(self):
        lead = self._create_leads(1)
        lead.convert_opportunity(lead.partner_id)
        lead.action_set_won()
        self.assertEqual(lead.lifecycle_stage_id, self._stage("customer"))
        lead.stage_id = self.env["crm.stage"].search([("is_won", "=", False)], limit=1)
        self.assertEqual(lead.lifecycle_stage_id, self._stage("prospect"))

    def test_mixed_records_move_one_by_one(self):
        lead, opportunity = self._create_leads(2)
        opportunity.convert_opportunity(opportunity.partner_id)
        opportunity.action_set_won()
        (lead + opportunity).write({"type": "opportunity"})
        self.assertEqual(lead.lifecycle_stage_id, self._stage("prospect"))
        self.assertEqual(opportunity.lifecycle_stage_id, self._stage("customer"), "a won deal stays a customer")

    @users("lm_manager")
    def test_backward_move_by_lead_manager(self):
        lead = self.env["crm.lead"].browse(self.lead.id)
        lead.lifecycle_stage_id = self._stage("qualified")
        lead.lifecycle_stage_id = self._stage("target")
        self.assertEqual(lead.lifecycle_stage_id, self._stage("target"))
        self.assertEqual(self._last_move(lead).user_id, self.user_lead_manager)

    def test_group_expand_shows_every_stage(self):
        groups = self.env["crm.lead"].read_group([("id", "=", self.lead.id)], ["lifecycle_stage_id"],
                                                 ["lifecycle_stage_id"])
        self.assertEqual(len(groups), 8)

    def test_existing_leads_placed_at_install(self):
        leads = self._create_leads(2)
        leads[1].action_set_lost()
        self.env.cr.execute("UPDATE crm_lead SET lifecycle_stage_id = NULL WHERE id IN %s", (tuple(leads.ids),))
        leads.invalidate_recordset()
        self.env["crm.lead"].with_context(active_test=False)._lifecycle_init_existing()
        self.assertEqual(leads[0].lifecycle_stage_id, self._stage("lead"))
        self.assertEqual(leads[1].lifecycle_stage_id, self._stage("recycled"))
