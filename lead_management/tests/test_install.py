# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from ast import literal_eval

from odoo.addons.lead_management.hooks import _enable_crm_leads

from .common import LeadManagementCommon


class TestInstall(LeadManagementCommon):

    def test_groups_hierarchy(self):
        manager = self.env.ref("lead_management.group_lead_manager")
        qualifier = self.env.ref("lead_management.group_lead_qualifier")
        self.assertIn(qualifier, manager.implied_ids)
        self.assertIn(self.env.ref("sales_team.group_sale_salesman"), qualifier.implied_ids)
        self.assertTrue(self.user_lead_manager.has_group("lead_management.group_lead_qualifier"))

    def test_menu_visible_to_qualifiers_only(self):
        menu = self.env.ref("lead_management.lead_management_menu_root")
        visible = self.env["ir.ui.menu"].with_user(self.user_qualifier)._visible_menu_ids()
        self.assertIn(menu.id, visible)
        visible = self.env["ir.ui.menu"].with_user(self.user_salesman)._visible_menu_ids()
        self.assertNotIn(menu.id, visible)


class TestInstallOnLiveCrm(LeadManagementCommon):
    """What the install does to the leads a CRM already has: placed in the lifecycle and scored in SQL, by
    ranges of ids, without a chatter message per lead."""

    def test_leads_for_the_addons_users_and_teams_not_for_everybody(self):
        """The install gives leads to the teams (website forms and aliases create leads) and to the addon's users,
        and leaves crm's company-wide Leads setting as the company had it (turned on for everybody, a record
        created by other addons' code became a lead, whose form hides crm's Customer field)."""
        use_lead, internal = self.env.ref("crm.group_use_lead"), self.env.ref("base.group_user")
        internal.implied_ids -= use_lead
        self.team.use_leads = False
        _enable_crm_leads(self.env)
        self.assertNotIn(use_lead, internal.implied_ids)
        self.assertTrue(self.team.use_leads)
        # Its e-mail alias creates leads, whoever saved the team (crm asks the saving user's groups).
        self.team.with_user(self.user_sales_manager.copy({"login": "lm_no_leads", "groups_id": [
            (6, 0, self.env.ref("sales_team.group_sale_manager").ids)]})).write({"use_leads": True})
        self.assertEqual(literal_eval(self.team.alias_defaults)["type"], "lead")
        self.assertTrue(self.user_qualifier.has_group("crm.group_use_lead"))
        # A lead created by a qualifying rep who never set a type is a lead, and starts on marketing's side.
        lead = self.env["crm.lead"].with_user(self.user_qualifier).create({"name": "Typed by nobody"})
        self.assertEqual((lead.type, lead.lifecycle_side), ("lead", "marketing"))

    def test_existing_leads_placed_and_scored_without_chatter(self):
        won_stage = self.env["crm.stage"].search([("is_won", "=", True)], limit=1)
        leads = self._create_leads(5)
        leads[1].convert_opportunity(leads[1].partner_id)
        leads[2].write({"stage_id": won_stage.id})
        leads[3].action_set_lost()
        self.env.cr.flush()  # with the history rows, written at flush
        # As before the install: no stage, no history, no score.
        self.env.cr.execute("DELETE FROM lead_lifecycle_history WHERE lead_id IN %s", (tuple(leads.ids),))
        self.env.cr.execute("DELETE FROM lead_scoring_state WHERE lead_id IN %s", (tuple(leads.ids),))
        self.env.cr.execute("""UPDATE crm_lead SET lifecycle_stage_id = NULL, lifecycle_side = NULL, lead_score = NULL,
                                      grade_id = NULL WHERE id IN %s""", (tuple(leads.ids),))
        self.env.invalidate_all()
        messages = self.env["mail.message"].search_count([("model", "=", "crm.lead"), ("res_id", "in", leads.ids)])
        Lead = self.env["crm.lead"]
        Lead._lifecycle_init_existing(batch_size=2)
        Lead._scoring_init_existing(batch_size=2)
        self.assertEqual([lead.lifecycle_stage_id.code for lead in leads],
                         ["lead", "prospect", "customer", "recycled", "lead"])
        self.assertEqual(leads.mapped("lifecycle_side"), ["marketing", "sales", "sales", "marketing", "marketing"])
        history = self.env["lead.lifecycle.history"].search([("lead_id", "in", leads.ids)])
        self.assertEqual(len(history), 5)
        self.assertEqual(set(history.mapped("reason")), {"Lead Management installed"})
        self.assertEqual(history.mapped("to_code"), [row.to_stage_id.code for row in history])
        open_leads = leads.filtered(lambda lead: lead.active and lead.probability < 100)
        self.assertEqual(open_leads.grade_id.name, "D")
        self.assertEqual(self.env["mail.message"].search_count(
            [("model", "=", "crm.lead"), ("res_id", "in", leads.ids)]), messages, "no chatter message per lead")

    def test_nothing_to_score_yet_scores_with_the_placement(self):
        """The install (no rule, no event yet): the open leads' score and grade are written with their placement,
        the first scoring then writes their scoring state and no lead again."""
        leads = self._create_leads(3)
        leads[2].action_set_lost()
        self.env.cr.flush()
        self.env.cr.execute("DELETE FROM lead_lifecycle_history WHERE lead_id IN %s", (tuple(leads.ids),))
        self.env.cr.execute("DELETE FROM lead_scoring_state WHERE lead_id IN %s", (tuple(leads.ids),))
        self.env.cr.execute("""UPDATE crm_lead SET lifecycle_stage_id = NULL, lifecycle_side = NULL, lead_score = NULL,
                                      grade_id = NULL WHERE id IN %s""", (tuple(leads.ids),))
        self.env.invalidate_all()
        Lead = self.env["crm.lead"]
        Lead._lifecycle_init_existing(zero_score=True)
        self.assertEqual(leads.mapped("lead_score"), [0, 0, 0])
        self.assertEqual(leads[:2].grade_id.name, "D")
        self.assertFalse(leads[2].grade_id, "a closed lead is not scored")
        rescored, _regraded = Lead._scoring_recompute(id_range=(min(leads.ids), max(leads.ids) + 1))
        self.assertFalse(rescored & leads, "already at their score: no lead rewritten")
        self.assertEqual(self.env["lead.scoring.state"].search_count([("lead_id", "in", leads[:2].ids)]), 2)
