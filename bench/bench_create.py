# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Creating 10,000 leads through the ORM (one create call, as an import does), as a sales manager, in the generated
CRM of N leads with lead_management (stage, duplicate check, qualifying rep, score and grade, history) against the
same CRM without it, crm alone (target ≤ 1.25). Each measure rolled back, the two databases in turn."""
from common import Result, environment, interleaved, vacuum

COUNT = 10_000


def values(env, count):
    team = env["crm.team"].search([("name", "=", "Bench EMEA")], limit=1)
    countries = env["res.country"].search([("code", "in", ["ES", "GB", "NL", "DE", "FR"])]).ids
    return [{
        "name": f"Bench import {index}", "type": "lead", "user_id": False, "team_id": team.id,
        "contact_name": f"Imported Person {index}", "partner_name": f"Imported Co {index % 700}",
        "email_from": f"imported.{index}@imported-co-{index % 700}.example.com",
        "phone": f"+34 6{index:08d}", "country_id": countries[index % len(countries)],
        "function": "Head of Marketing" if index % 7 == 0 else "Analyst", "expected_revenue": index % 90 * 1000,
    } for index in range(count)]


def run(ctx):
    count = min(COUNT, ctx.size)
    databases = {"ours": ctx.database("lm"), "crm": ctx.database("crm")}

    def create(db):
        def measured():
            with environment(db) as env:
                manager = env["res.users"].search([("login", "=", "bench_sales_manager")])
                leads = env["crm.lead"].with_user(manager).create(values(env, count))
                env.flush_all()
                env.cr.flush()  # what the ORM writes at commit (mail tracking, history rows)
                assert len(leads) == count
                env.cr.rollback()
        return measured

    def prepare():
        for db in databases.values():
            vacuum(db, "crm_lead")

    medians, _times = interleaved(ctx.rounds, {kind: create(db) for kind, db in databases.items()}, prepare=prepare,
                                  log=ctx.log)
    return [Result(f"ORM create of {count:,} leads, with the addon vs crm alone", medians["ours"], medians["crm"],
                   1.25)]
