# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from datetime import timedelta

from odoo import api, fields, models


class CrmTeam(models.Model):
    _inherit = "crm.team"

    resource_calendar_id = fields.Many2one(
        "resource.calendar", "Working Hours", check_company=True,
        help="The team's working hours for SLA clocks of members who have no working schedule of their own "
             "(empty: the company's).")
    use_qualification = fields.Boolean(
        "Qualified by Marketing", compute="_compute_use_qualification", store=True,
        help="Some members are qualifying reps: the team's new leads go to them first, and its salespeople get "
             "only sales-ready leads, as hand-offs they accept or reject. Without qualifying reps the team "
             "works as in plain CRM.")

    @api.depends("crm_team_member_ids.user_id.groups_id", "crm_team_member_ids.active")
    def _compute_use_qualification(self):
        qualifiers = self._lead_management_qualifiers()
        for team in self:
            team.use_qualification = bool(team.crm_team_member_ids.user_id & qualifiers)

    @api.model
    def _lead_management_qualifiers(self):
        """Active internal users in the Qualifying Rep group, lead managers excepted: they supervise."""
        qualifier = self.env.ref("lead_management.group_lead_qualifier", raise_if_not_found=False)
        manager = self.env.ref("lead_management.group_lead_manager", raise_if_not_found=False)
        if not qualifier:  # installing: the groups are not loaded yet
            return self.env["res.users"]
        return qualifier.sudo().users.filtered(lambda user: user.active and not user.share) - manager.sudo().users

    def _alias_get_creation_values(self):
        # crm makes the alias of a team that uses leads create leads only when the user saving it has crm's Leads:
        # the team's own choice decides here, whoever saves it (the install as superuser, an administrator of a
        # company that left crm's Leads setting off). E-mails to a team that uses leads arrive as leads, on
        # marketing's side.
        values = super()._alias_get_creation_values()
        defaults = values.get("alias_defaults")
        if isinstance(defaults, dict) and self.use_leads:
            defaults["type"] = "lead"
        return values

    def _assign_and_convert_leads(self, force_quota=False):
        """crm's rule-based assignment. Teams qualified by marketing give their salespeople only sales-ready
        leads, as hand-offs (pending the salesperson's answer, within the same member quotas); the other
        teams keep crm's behaviour exactly."""
        qualified = self.filtered("use_qualification")
        result = super(CrmTeam, self - qualified)._assign_and_convert_leads(force_quota=force_quota)
        if qualified:
            result.update(self.env["crm.lead"]._handoff_assign_team_leads(qualified, force_quota=force_quota))
        return result


class CrmTeamMember(models.Model):
    _inherit = "crm.team.member"

    def _lead_management_waiting_handoffs(self):
        """{member: hand-offs to them still waiting for an answer, older than the 24 hours crm's quota already
        counts}: a salesperson who has not answered yesterday's leads has less room today."""
        since = fields.Datetime.now() - timedelta(hours=24)
        groups = self.env["crm.lead"].sudo()._read_group(
            [("handoff_state", "=", "pending"), ("user_id", "in", self.user_id.ids),
             ("team_id", "in", self.crm_team_id.ids), ("handoff_date", "<", since)],
            ["user_id", "team_id"], ["__count"])
        counts = {(user, team): count for user, team, count in groups}
        return {member: counts.get((member.user_id, member.crm_team_id), 0) for member in self}
