#!/usr/bin/env python3
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Export the translation templates (i18n/<addon>.pot) of the addons from a database where they are installed with
their demo data, then merge every translation (i18n/*.po) with its new template (msgmerge, fuzzy matching off) and
check them (scripts/check_po.py).

    python3 scripts/i18n.py --db lead_management_test_full [--config .state/odoo.conf] [addon ...]
"""
import argparse
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ADDONS = ("lead_management", "lead_management_api", "lead_management_event", "lead_management_mass_mailing",
          "lead_management_website", "lead_management_queue")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", required=True)
    parser.add_argument("--config", default=os.path.join(ROOT, ".state", "odoo.conf"))
    parser.add_argument("addons", nargs="*", default=ADDONS)
    args = parser.parse_args()
    import odoo
    odoo_bin = os.path.join(os.path.dirname(os.path.dirname(odoo.__file__)), "odoo-bin")
    for addon in args.addons:
        pot = os.path.join(ROOT, addon, "i18n", f"{addon}.pot")
        subprocess.run([sys.executable, odoo_bin, "-c", args.config, "-d", args.db, f"--i18n-export={pot}",
                        f"--modules={addon}", "--stop-after-init", "--log-level=warn"], check=True)
        for name in sorted(os.listdir(os.path.dirname(pot))):
            if name.endswith(".po"):
                po = os.path.join(os.path.dirname(pot), name)
                subprocess.run(["msgmerge", "--quiet", "--no-fuzzy-matching", "--update", "--backup=none", po, pot],
                               check=True)
        print(f"{addon}: {pot} exported, its translations merged")
    return subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "check_po.py")], check=False).returncode


if __name__ == "__main__":
    sys.exit(main())
