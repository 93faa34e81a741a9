"""Upgrades lose nothing: the first release of lead_management (18.0.1.0.0, taken from this repository's history) is
installed on a new database and given leads with their lifecycle history, scores and grades, hand-offs answered both
ways, engagement events; the database is upgraded in place (odoo-bin -u) to 18.0.1.3.0, the release that brought
campaign costs and the reports, which get costs; then to the current version. Every record and figure taken before
the last upgrade is still there after it, the same."""
import json
import os
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import odoo

ROOT = Path(__file__).resolve().parent.parent
ODOO_SOURCE = Path(odoo.__file__).resolve().parent.parent
# The last commit of each release (its manifest's version).
RELEASES = {"18.0.1.0.0": "dbe7c0a^", "18.0.1.3.0": "cb47730^"}

WORLD = r"""
Users = env["res.users"].with_context(no_reset_password=True)
def user(login, groups):
    return Users.create({"name": login, "login": login, "email": login + "@example.com",
                         "groups_id": [(6, 0, [env.ref(group).id for group in groups])]})
rep = user("up_rep", ["lead_management.group_lead_qualifier"])
seller = user("up_seller", ["sales_team.group_sale_salesman"])
team = env["crm.team"].create({"name": "Upgrade team", "use_leads": True, "use_opportunities": True})
env["crm.team.member"].create([{"crm_team_id": team.id, "user_id": rep.id},
                               {"crm_team_id": team.id, "user_id": seller.id, "assignment_max": 1000}])
env["lead.scoring.rule"].create({"name": "Gave a phone", "domain": "[('phone', '!=', False)]", "points": 30})
campaign = env["utm.campaign"].create({"name": "Upgrade campaign"})
leads = env["crm.lead"].create([{
    "name": "Upgrade lead %s" % index, "type": "lead", "team_id": team.id, "user_id": False,
    "qualifier_id": rep.id, "email_from": "upgrade%s@example.com" % index, "campaign_id": campaign.id,
    "phone": "+32 470 00 00 %02d" % index if index % 2 else False} for index in range(8)])
webinar = env["lead.engagement.type"].search([("code", "=", "webinar")], limit=1)
env["lead.engagement.event"].create([{"lead_id": lead.id, "type_id": webinar.id} for lead in leads[:4]])
qualified = env.ref("lead_management.lifecycle_stage_qualified")
leads[:3].write({"lifecycle_stage_id": qualified.id})
leads[:3].with_user(rep).action_handoff_to_sales()
leads[0].with_user(leads[0].user_id).action_accept_handoff()
leads[1].with_user(leads[1].user_id)._handoff_reject(env["lead.rejection.reason"].search([], limit=1), "Next year")
leads[5].action_set_lost()
leads[6].write({"stage_id": env["crm.stage"].search([("is_won", "=", True)], limit=1).id})
env.cr.commit()
print("DONE")
"""

COSTS = r"""
campaign = env["utm.campaign"].search([("name", "=", "Upgrade campaign")])
env["lead.campaign.cost"].create([{"name": "Spend %s" % month, "campaign_id": campaign.id,
                                   "date": "2026-%02d-01" % month, "amount": 1000 * month} for month in (9, 10, 11)])
env.cr.commit()
print("DONE")
"""

SNAPSHOT = r"""
import json
def rows(items):
    return sorted([str(value) for value in item] for item in items)
leads = env["crm.lead"].with_context(active_test=False).search([("name", "like", "Upgrade lead %")], order="id")
snapshot = {
    "leads": [[lead.name, lead.active, lead.type, lead.lifecycle_stage_id.code, lead.qualifier_id.login,
               lead.user_id.login, lead.lead_score, lead.grade_id.name, lead.handoff_state, lead.rejection_note]
              for lead in leads],
    "history": rows([history.lead_id.name, history.from_stage_id.code, history.to_stage_id.code, str(history.date)]
                      for history in env["lead.lifecycle.history"].search([("lead_id", "in", leads.ids)])),
    "events": rows([event.lead_id.name, event.type_id.code, str(event.date)]
                     for event in env["lead.engagement.event"].search([("lead_id", "in", leads.ids)])),
    "handoffs": rows([handoff.lead_id.name, handoff.user_id.login, handoff.state, str(handoff.date)]
                       for handoff in env["lead.handoff"].search([("lead_id", "in", leads.ids)])),
    "costs": rows([cost.name, str(cost.date), cost.amount, cost.currency_id.name]
                    for cost in env["lead.campaign.cost"].search([])),
    "funnel": rows([stage.code, count] for stage, count in env["lead.funnel.report"]._read_group(
        [("lead_id", "in", leads.ids)], ["stage_id"], ["lead_count:sum"])),
    "scores": rows([state.lead_id.name, round(state.fit_score, 6), round(state.engagement_score, 2)]
                     for state in env["lead.scoring.state"].search([("lead_id", "in", leads.ids)])),
}
print("SNAPSHOT " + json.dumps(snapshot, default=str))
"""


def odoo_run(config, db, *args, stdin=None, command=()):
    # Without the ODOO_RC of `make test`: Odoo reads that file at import, and its addons path (this repository's
    # lead_management) would come before the release's.
    env = {key: value for key, value in os.environ.items() if key not in ("ODOO_RC", "OPENERP_SERVER")}
    result = subprocess.run([sys.executable, str(ODOO_SOURCE / "odoo-bin"), *command, "-c", str(config), "-d", db,
                             *args], input=stdin, capture_output=True, text=True, timeout=900, env=env)
    output = result.stdout + result.stderr
    assert result.returncode == 0 and " CRITICAL " not in output and "Traceback" not in output, output[-5000:]
    return result.stdout


def config_for(tmp, addons):
    path = tmp / f"odoo-{addons.name}.conf"
    system = [entry for entry in odoo.addons.__path__ if "site-packages" in entry]
    path.write_text("[options]\naddons_path = " + ",".join([str(ODOO_SOURCE / "addons"), str(addons), *system])
                    + f"\ndata_dir = {tmp / 'data'}\nadmin_passwd = admin\nlog_level = warn\n")
    return path


def release(tmp, version):
    """The lead_management of ``version`` from the repository's history, in a folder of its own."""
    folder = tmp / version
    folder.mkdir()
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", RELEASES[version], "lead_management"],
                             capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    manifest = (folder / "lead_management" / "__manifest__.py").read_text()
    assert f'"version": "{version}"' in manifest, f"{RELEASES[version]} is not {version}"
    return folder


def shell(config, db, code):
    return odoo_run(config, db, "--no-http", stdin=code, command=("shell",))


def snapshot(config, db):
    line = next(line for line in shell(config, db, SNAPSHOT).splitlines() if line.startswith("SNAPSHOT "))
    return json.loads(line[len("SNAPSHOT "):])


def test_upgrades_from_the_first_release_lose_nothing():
    db = f"lm_upgrade_{uuid.uuid4().hex[:8]}"
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        first = config_for(tmp, release(tmp, "18.0.1.0.0"))
        costs = config_for(tmp, release(tmp, "18.0.1.3.0"))
        current = config_for(tmp, ROOT)
        try:
            odoo_run(first, db, "-i", "lead_management", "--without-demo=all", "--stop-after-init", "--http-port=0")
            assert "DONE" in shell(first, db, WORLD)
            odoo_run(costs, db, "-u", "lead_management", "--stop-after-init", "--http-port=0")
            assert "DONE" in shell(costs, db, COSTS)
            before = snapshot(costs, db)
            assert len(before["leads"]) == 8 and len(before["costs"]) == 3 and len(before["handoffs"]) == 3
            assert {lead[8] for lead in before["leads"]} >= {"accepted", "rejected", "pending"}
            odoo_run(current, db, "-u", "lead_management", "--stop-after-init", "--http-port=0")
            version = subprocess.run(["psql", "-d", db, "-tAXc", "SELECT latest_version FROM ir_module_module "
                                      "WHERE name = 'lead_management'"], capture_output=True, text=True).stdout
            assert version.strip() == odoo.modules.module.adapt_version(
                odoo.modules.get_manifest("lead_management")["version"])
            after = snapshot(current, db)
            for part, records in before.items():
                assert after[part] == records, f"{part} changed by the upgrade:\n{records}\n{after[part]}"
        finally:
            subprocess.run(["dropdb", "--if-exists", "--force", db], check=False, capture_output=True)
