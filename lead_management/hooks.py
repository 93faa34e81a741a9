# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from datetime import timedelta

from odoo import fields


def post_init_hook(env):
    """Turn crm's "Leads" option on, place the leads that existed before the install in the lifecycle and
    score them: in SQL, by ranges of ids, without a chatter message per lead."""
    _enable_crm_leads(env)
    Lead = env["crm.lead"]
    # Nothing scores yet (no fit rule, no event): the open leads' score and grade are written with their place in
    # the lifecycle; the first scoring then writes their scoring state only.
    Lead._lifecycle_init_existing(zero_score=not env["lead.scoring.rule"]._get_valid_rule_specs()
                                  and not env["lead.engagement.event"].search_count([], limit=1))
    Lead._scoring_init_existing()
    _age_demo_data(env)


def _enable_crm_leads(env):
    """Leads for the teams (website forms and e-mail aliases create leads, not opportunities that skip marketing),
    and for the addon's own users: the Qualifying Rep group implies crm's Leads. crm's company-wide Leads setting
    (Settings > CRM > Leads) stays as the company had it: turned on for every user, it changes what a new record
    is for everybody (crm then hides a lead's Customer field), which other addons and their users do not expect."""
    teams = env["crm.team"].with_context(active_test=False).search([("use_opportunities", "=", True)])
    teams.filtered(lambda team: not team.use_leads).use_leads = True
    for team in teams.filtered("alias_id"):
        team.alias_id.write(team._alias_get_creation_values())


def _age_demo_data(env):
    """With demo data: show follow-up in every state. The demo leads' clocks and nurture steps are set back
    in time, as if they had started earlier, then the SLA and nurture jobs run as they would have."""
    ref = env.ref
    if not ref("lead_management.crm_lead_demo_sla_fresh", raise_if_not_found=False):
        return
    Lead = env["crm.lead"]
    now = fields.Datetime.now()
    # Grades from the demo rules and events, and what follows from them (nurture enrolments).
    Lead._cron_rescore()
    # Two hand-offs to the demo salesperson (Sofia Sales).
    handoffs = (ref("lead_management.crm_lead_demo_handoff_breached")
                | ref("lead_management.crm_lead_demo_handoff_fresh"))
    handoffs._handoff_to_sales(exclude=ref("base.user_demo") | ref("base.user_admin"))

    def set_clock(lead, start, warning, deadline):
        clock = lead.sla_clock_id
        clock.write({"start": start, "resumed": start, "warning_date": warning, "deadline": deadline,
                     "deadline_nominal": deadline, "next_check": warning, "reassign_date": False})
        lead._write_pipeline({"sla_start": start, "sla_warning_date": warning, "sla_deadline": deadline},
                             by_hand=False)

    hours = timedelta(hours=1)
    set_clock(ref("lead_management.crm_lead_demo_sla_at_risk"), now - 3 * hours, now - hours / 2, now + 2 * hours)
    set_clock(ref("lead_management.crm_lead_demo_sla_breached"), now - 30 * hours, now - 26 * hours, now - 20 * hours)
    set_clock(ref("lead_management.crm_lead_demo_handoff_breached"), now - 50 * hours, now - 30 * hours,
              now - 6 * hours)
    met = ref("lead_management.crm_lead_demo_sla_met")
    set_clock(met, now - 2 * hours, now + hours, now + 3 * hours)
    met._sla_met(ref("lead_management.user_qualifier_demo"), "First touch")
    # Nurture: one lead two steps along its track, the others at their first step.
    enrolment = ref("lead_management.crm_lead_demo_nurture_b").nurture_enrolment_id
    enrolment.date_start -= timedelta(days=5)
    Lead._cron_sla()
    for _step in range(2):
        enrolment.trace_ids.filtered(lambda trace: trace.state == "scheduled").scheduled_date = now - hours
        Lead._cron_nurture()


def uninstall_hook(env):
    """The SLA clocks keep their policy and owner (required, so restricted): drop them before the uninstall removes
    the policies and the demo users they point to."""
    env.cr.execute("DELETE FROM lead_sla_clock")
