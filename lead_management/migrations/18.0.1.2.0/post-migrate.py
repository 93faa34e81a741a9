# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    """The qualifier cap, automatic hand-off and lost stage moved from global parameters to each company."""
    env = api.Environment(cr, SUPERUSER_ID, {})
    Param = env["ir.config_parameter"]
    cap = Param.get_param("lead_management.qualifier_cap")
    auto_handoff = Param.get_param("lead_management.auto_handoff")
    lost_stage = env["lead.lifecycle.stage"].browse(int(Param.get_param("lead_management.lost_stage_id") or 0)).exists()
    for company in env["res.company"].search([]):
        vals = {}
        if cap not in (None, False, ""):
            vals["lead_qualifier_cap"] = int(cap)
        if auto_handoff:
            vals["lead_auto_handoff"] = True
        if lost_stage and lost_stage.company_id in (company, env["res.company"]):
            vals["lead_lost_stage_id"] = lost_stage.id
        if vals:
            company.write(vals)
    Param.search([("key", "in", ["lead_management.qualifier_cap", "lead_management.auto_handoff",
                                 "lead_management.lost_stage_id"])]).unlink()
