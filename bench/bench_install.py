# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Installing lead_management on a CRM of 100,000 leads (the generated crm-only database; fewer when make bench is
given a smaller size): odoo-bin -i lead_management on a fresh copy, which places every lead in the lifecycle (a
history row each) and scores every open one, against installing crm_iap_enrich (a core crm addon: a field and a
scheduled action on crm.lead) on another fresh copy; both whole odoo-bin runs, in turn. The issue sets no target;
ours is ≤ 10: the addon rewrites every lead once (its place in the lifecycle, with the score and grade nothing can
change yet) and writes a history row and a scoring state each, crm_iap_enrich writes nothing per lead."""
from common import Result, copy_db, drop_db, interleaved, odoo_cli, psql

INSTALL_SIZE = 100_000


def run(ctx):
    size = min(INSTALL_SIZE, ctx.size)
    source = ctx.database("crm", size=size)
    target = f"{source}_install"

    def ours():
        odoo_cli(target, "-i", "lead_management")
        placed, graded, total = psql(target, "SELECT count(*) FILTER (WHERE lifecycle_stage_id IS NOT NULL), "
                                             "count(*) FILTER (WHERE grade_id IS NOT NULL), count(*) FROM crm_lead"
                                     ).split("|")
        assert placed == total and int(graded) > 0, (placed, graded, total)

    def enrich():
        odoo_cli(target, "-i", "crm_iap_enrich")

    try:
        medians, _times = interleaved(ctx.rounds, {"ours": ours, "enrich": enrich},
                                      prepare=lambda: copy_db(source, target), log=ctx.log)
    finally:
        drop_db(target)
    return [Result(f"install on a CRM of {size:,} leads vs installing crm_iap_enrich", medians["ours"],
                   medians["enrich"], 10)]
