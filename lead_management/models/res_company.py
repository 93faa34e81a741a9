# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import pytz

from odoo import fields, models

DEFAULT_QUALIFIER_CAP = 50


class ResCompany(models.Model):
    _inherit = "res.company"

    # Lead Management, set per company in Settings > CRM
    lead_qualifier_cap = fields.Integer(
        "Open Leads per Qualifying Rep", default=DEFAULT_QUALIFIER_CAP,
        help="A qualifying rep receives no new lead of this company while owning this many open leads (0: no cap).")
    lead_auto_handoff = fields.Boolean(
        "Hand Off Sales-Ready Leads Automatically",
        help="A lead that becomes sales-ready goes to a salesperson at once, within the team members' capacity.")
    lead_lost_stage_id = fields.Many2one(
        "lead.lifecycle.stage", "Lifecycle Stage of Lost Leads", check_company=True,
        domain="[('is_side_exit', '=', True), ('company_id', 'in', [id, False])]",
        help="Where a lost lead goes when its lost reason names no stage of its own (default: Recycled).")

    lead_duplicate_policy = fields.Selection(
        [("merge", "Merge into the existing lead"), ("flag", "Flag for the qualifying rep"), ("allow", "Allow")],
        "Duplicate Leads", default="merge", required=True,
        help="A new lead with the e-mail address or phone number of an open lead or a known contact:\n"
             "- Merge: leads from the intake API are merged into the existing lead with crm's merge (events and "
             "history follow); leads created in Odoo (form, import, e-mail, website) are flagged, since someone "
             "is working on them;\n"
             "- Flag: every such lead is flagged as a possible duplicate and given to the qualifying rep of the "
             "lead it duplicates;\n"
             "- Allow: nothing is flagged (crm's Similar Leads button still shows them).")

    def _lead_management_tz(self):
        """The company's time zone: its working calendar's, else its address's, else UTC."""
        self.ensure_one()
        tz = self.resource_calendar_id.tz or self.partner_id.tz
        return tz if tz in pytz.all_timezones_set else "UTC"
