# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import models


class MailActivity(models.Model):
    _inherit = "mail.activity"

    def _action_done(self, feedback=False, attachment_ids=None):
        # An activity on a lead marked done by the lead's SLA owner is a first touch (a call logged, a meeting
        # held, a to-do done); done by anyone else, it is not.
        lead_ids = {activity.res_id for activity in self if activity.res_model == "crm.lead"}
        result = super()._action_done(feedback=feedback, attachment_ids=attachment_ids)
        if lead_ids:
            self.env["crm.lead"].browse(lead_ids).exists()._sla_touch(self.env.user)
        return result
