"""Install lead_management on fresh databases, with and without demo data, then uninstall it.

These tests drive real ``odoo-bin`` processes on scratch databases: they check what a runbot or an
administrator would see, which a test inside one registry cannot.
"""
import os
import subprocess
import sys
import uuid

import pytest

import odoo

ODOO_BIN = os.path.join(os.path.dirname(os.path.dirname(odoo.__file__)), "odoo-bin")
CONFIG = os.environ.get("ODOO_RC") or os.path.join(os.path.dirname(__file__), "..", ".state", "odoo.conf")


def _odoo(db, *args):
    cmd = [sys.executable, ODOO_BIN, "-c", CONFIG, "-d", db, "--stop-after-init", "--log-level=warn",
           "--http-port=0", *args]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-5000:]
    errors = [line for line in output.splitlines() if " ERROR " in line or " CRITICAL " in line]
    assert not errors, "\n".join(errors)
    return output


def _sql(db, query):
    result = subprocess.run(["psql", "-d", db, "-tAX", "-c", query], capture_output=True, text=True, check=True)
    return result.stdout.strip()


def _uninstall(db):
    script = (
        "env['ir.module.module'].search([('name', '=', 'lead_management')]).button_immediate_uninstall()\n"
        "env.cr.commit()\n"
    )
    cmd = [sys.executable, ODOO_BIN, "shell", "-c", CONFIG, "-d", db, "--log-level=warn", "--no-http"]
    result = subprocess.run(cmd, input=script, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, (result.stdout + result.stderr)[-5000:]
    assert " ERROR " not in result.stderr, result.stderr[-5000:]


def _leftovers(db):
    """Everything of lead_management a clean uninstall must have removed."""
    return {
        "module state": _sql(db, "SELECT state FROM ir_module_module WHERE name = 'lead_management'"),
        "xml ids": _sql(db, "SELECT count(*) FROM ir_model_data WHERE module = 'lead_management'"),
        "models": _sql(db, "SELECT string_agg(model, ',') FROM ir_model WHERE model LIKE 'lead.%'"),
        "fields": _sql(db, "SELECT string_agg(f.model || '.' || f.name, ',') FROM ir_model_fields f "
                           "JOIN ir_model_data d ON d.model = 'ir.model.fields' AND d.res_id = f.id "
                           "WHERE d.module = 'lead_management'"),
        "crm_lead columns": _sql(db, "SELECT string_agg(column_name, ',') FROM information_schema.columns "
                                     "WHERE table_name = 'crm_lead' AND column_name IN "
                                     "('lifecycle_stage_id', 'qualifier_id', 'handoff_date', 'lead_score')"),
        "tables": _sql(db, "SELECT string_agg(table_name, ',') FROM information_schema.tables "
                           "WHERE table_name LIKE 'lead\\_%'"),
        "menus": _sql(db, "SELECT count(*) FROM ir_ui_menu WHERE name->>'en_US' = 'Lead Management'"),
        "crons": _sql(db, "SELECT count(*) FROM ir_cron c JOIN ir_act_server a ON a.id = c.ir_actions_server_id "
                          "JOIN ir_model m ON m.id = a.model_id "
                          "WHERE c.cron_name ILIKE '%lead management%' OR m.model LIKE 'lead.%'"),
        "groups": _sql(db, "SELECT count(*) FROM res_groups "
                           "WHERE name->>'en_US' IN ('Qualifying Rep', 'Lead Manager')"),
    }


CLEAN = {
    "module state": "uninstalled", "xml ids": "0", "models": "", "fields": "", "crm_lead columns": "",
    "tables": "", "menus": "0", "crons": "0", "groups": "0",
}


@pytest.fixture
def scratch_db():
    name = f"lm_scratch_{uuid.uuid4().hex[:8]}"
    yield name
    subprocess.run(["dropdb", "--if-exists", name], check=False)


@pytest.mark.parametrize("demo", [False, True], ids=["without_demo", "with_demo"])
def test_install_then_uninstall_leaves_nothing(scratch_db, demo):
    without_demo = [] if demo else ["--without-demo=all"]
    _odoo(scratch_db, "-i", "crm", *without_demo)
    _odoo(scratch_db, "-i", "lead_management", *without_demo)
    assert _sql(scratch_db, "SELECT state FROM ir_module_module WHERE name = 'lead_management'") == "installed"
    assert _sql(scratch_db, "SELECT count(*) FROM ir_model_data WHERE module = 'lead_management'") != "0"
    assert _sql(scratch_db, "SELECT demo FROM ir_module_module WHERE name = 'crm'") == ("t" if demo else "f")

    _uninstall(scratch_db)
    assert _leftovers(scratch_db) == CLEAN
    assert _sql(scratch_db, "SELECT state FROM ir_module_module WHERE name = 'crm'") == "installed"
