# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo.tests import TransactionCase, tagged

from odoo.addons.lead_management.tests.i18n import assert_pot_current


@tagged("post_install", "-at_install")
class TestTranslationTemplate(TransactionCase):

    def test_the_translation_template_is_current(self):
        assert_pot_current(self, "lead_management")
