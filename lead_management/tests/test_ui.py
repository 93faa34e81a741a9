# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo.tests import HttpCase, tagged

from .common import LeadManagementCommon


@tagged("post_install", "-at_install")
class TestUi(HttpCase, LeadManagementCommon):

    def test_login_and_find_lead_management_menu(self):
        self.start_tour("/web/login", "lead_management_menu_tour", login=None)
