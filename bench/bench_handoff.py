# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""A large hand-off: 1,000 qualified leads of the generated CRM handed to the salespeople of their teams at once
(crm.lead._handoff_to_sales, what "Hand Off to Sales" on a selection and the automatic hand-off run: salespeople
picked within their capacity, stage, history, hand-off row, SLA clock, the salesperson's activity), against crm's own
rule-based assignment (crm.team._action_assign_leads, as its scheduled action runs it) of the same leads in the same
CRM without the addon (converted, deduplicated and assigned within capacity). Each rolled back, the two in turn
(target ≤ 1.25)."""
import time

from common import Result, environment, interleaved, vacuum

from odoo import Command

COUNT = 1000


def pick(env, count):
    """The first ``count`` qualified leads with a reachable contact, still with marketing, each a person of its own
    for crm too: an address at a free mail provider (crm's assignment merges the leads of one company's e-mail domain
    before it assigns them: on the generated companies' domains it would measure merges, not the assignment)."""
    env.cr.execute("""
        SELECT lead.id FROM crm_lead lead JOIN lead_lifecycle_stage stage ON stage.id = lead.lifecycle_stage_id
         WHERE lead.active AND lead.type = 'lead' AND stage.code = 'qualified' AND lead.user_id IS NULL
           AND lead.email_state = 'correct' AND lead.handoff_state IS DISTINCT FROM 'pending'
           AND lead.email_normalized LIKE '%%@gmail.com'
         ORDER BY lead.id LIMIT %s
    """, [count])
    return [row[0] for row in env.cr.fetchall()]


def run(ctx):
    ours_db, crm_db = ctx.database("lm"), ctx.database("crm")
    with environment(ours_db) as env:
        ids = pick(env, COUNT)
        env.cr.execute("SELECT id, email_from FROM crm_lead WHERE id = ANY(%s) ORDER BY id", [ids])
        ours_rows = env.cr.fetchall()
    with environment(crm_db) as env:
        env.cr.execute("SELECT id, email_from FROM crm_lead WHERE id = ANY(%s) AND user_id IS NULL ORDER BY id",
                       [ids])
        if env.cr.fetchall() != ours_rows:
            raise AssertionError("the two generated CRMs do not hold the same leads")
    ctx.log(f"  {len(ids)} qualified leads handed off")

    def ours():
        with environment(ours_db) as env:
            leads = env["crm.lead"].browse(ids)
            handed, refused, _chosen = leads._handoff_to_sales(force_quota=True)
            env.flush_all()
            env.cr.flush()
            assert len(handed) == len(ids), f"{len(refused)} not handed off: {next(iter(refused.values()), '')}"
            env.cr.rollback()

    def crm():
        with environment(crm_db) as env:
            teams = env["crm.team"].search([("name", "like", "Bench %")])
            teams.write({"assignment_domain": repr([("id", "in", ids)])})
            # crm's assignment takes a day's share of each member's monthly capacity: room for all of them.
            teams.crm_team_member_ids.write({"assignment_max": 30000})
            teams.write({"crm_team_member_ids": [Command.update(member.id, {"assignment_domain": False})
                                                 for member in teams.crm_team_member_ids]})
            # crm assigns the leads that no team holds yet (its teams take them by their weight), then every lead of a
            # team without salesperson: these, only (the generated CRM's other unassigned leads leave the teams).
            env.cr.execute("UPDATE crm_lead SET team_id = NULL WHERE user_id IS NULL AND team_id IS NOT NULL")
            env["crm.lead"].invalidate_model(["team_id"])
            env.flush_all()
            env.cr.flush()
            started = time.perf_counter()
            teams._action_assign_leads(force_quota=True, creation_delta_days=0)
            env.flush_all()
            env.cr.flush()
            elapsed = time.perf_counter() - started
            env.cr.execute("SELECT count(*) FROM crm_lead WHERE id = ANY(%s) AND user_id IS NOT NULL", [ids])
            assigned = env.cr.fetchone()[0]
            assert assigned == len(ids), f"crm assigned {assigned} of {len(ids)}"
            env.cr.rollback()
            return elapsed

    def prepare():
        vacuum(ours_db, "crm_lead", "mail_activity", "mail_message")
        vacuum(crm_db, "crm_lead", "mail_activity", "mail_message")

    medians, _times = interleaved(ctx.rounds, {"ours": ours, "crm": crm}, prepare=prepare, log=ctx.log)
    return [Result(f"hand-off of {len(ids):,} leads vs crm's assignment of the same leads", medians["ours"],
                   medians["crm"], 1.25)]
