# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
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
