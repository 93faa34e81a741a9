# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models


class CrmTeam(models.Model):
    _inherit = "crm.team"

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

    def _assign_and_convert_leads(self, force_quota=False):
        """crm's rule-based assignment. Teams qualified by marketing give their salespeople only sales-ready
        leads, as hand-offs (pending the salesperson's answer, within the same member quotas); the other
        teams keep crm's behaviour exactly."""
        qualified = self.filtered("use_qualification")
        result = super(CrmTeam, self - qualified)._assign_and_convert_leads(force_quota=force_quota)
        if qualified:
            result.update(self.env["crm.lead"]._handoff_assign_team_leads(qualified, force_quota=force_quota))
        return result
