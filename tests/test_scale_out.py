"""Two Odoo servers with workers and cron workers on one database, at a small size: the intake API and every scheduled
job driven from both at once, one server killed in the middle of a batch, then the same on OCA's queue_job with its job
runner; every lead scored, assigned, handed off, nurtured and escalated exactly once (scripts/scale_out.py, which says
how; the same script at any size by hand)."""
import importlib.util
import os

import odoo

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONFIG = os.environ.get("ODOO_RC") or os.path.join(ROOT, ".state", "odoo.conf")


def _scale_out():
    spec = importlib.util.spec_from_file_location("scale_out", os.path.join(ROOT, "scripts", "scale_out.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_two_servers_act_once_on_every_lead_even_when_one_is_killed():
    assert odoo.release.version_info[:2] == (18, 0)
    assert _scale_out().run(CONFIG, leads=12) is True
