# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The translation templates are current: each addon's i18n/<addon>.pot is what Odoo exports for it from the database
under test (demo data included), but the header's dates. A test of each addon calls assertPotCurrent; to regenerate
after a change: python3 scripts/i18n.py --db <a database with the addons and demo data> [addons]."""
import io
import re

from odoo.modules import get_module_path
from odoo.tools.translate import trans_export

DATES = re.compile(r'^"(POT-Creation-Date|PO-Revision-Date): .*\\n"$', re.MULTILINE)


def exported_pot(cr, module):
    buffer = io.BytesIO()
    trans_export(False, [module], buffer, "po", cr)
    return buffer.getvalue().decode()


def undated(text):
    return DATES.sub("", text)


def assert_pot_current(testcase, module):
    path = f"{get_module_path(module)}/i18n/{module}.pot"
    with open(path, encoding="utf-8") as committed:
        expected = undated(committed.read())
    current = undated(exported_pot(testcase.env.cr, module))
    if current != expected:
        added = sorted(set(re.findall(r'^msgid "(.+)"$', current, re.MULTILINE))
                       - set(re.findall(r'^msgid "(.+)"$', expected, re.MULTILINE)))
        testcase.fail(f"{path} is stale: regenerate it (python3 scripts/i18n.py --db <database> {module}); "
                      f"new messages include {added[:5]}")
