# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models

DEFAULT_QUALIFIER_CAP = 50
# The source documents' reference figures: sales follows up 75 % of marketing's leads and closes 10 %.
DEFAULT_FOLLOWUP_TARGET = 75.0
DEFAULT_CLOSE_TARGET = 10.0


class ResCompany(models.Model):
    _inherit = "res.company"

    lead_contact_recheck = fields.Boolean(
        "Lead Numbers to Read Again", readonly=True, copy=False,
        help="The company changed country: the numbers of its leads without a country of their own are read again "
             "with the new one by a scheduled job.")

    def write(self, vals):
        if "country_id" not in vals:
            return super().write(vals)
        changed = self.filtered(lambda company: company.country_id.id != vals["country_id"])
        result = super().write(vals)
        if changed:
            # Every lead of the company may read its numbers with its country: in chunks, not in this request.
            changed.sudo().lead_contact_recheck = True
            self.env.ref("lead_management.ir_cron_contact_numbers").sudo()._trigger()
        return result

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

    # Follow-up targets the reports show each salesperson's, rep's and team's figures against
    lead_followup_target = fields.Float(
        "Follow-up Target (%)", default=DEFAULT_FOLLOWUP_TARGET,
        help="Share of the leads handed off to sales that sales should follow up (accept, reject or touch).")
    lead_close_target = fields.Float(
        "Close Target (%)", default=DEFAULT_CLOSE_TARGET,
        help="Share of the leads handed off to sales that should end won.")

    # Nurture e-mails: when and how often (marketing e-mails)
    nurture_working_hours = fields.Boolean(
        "Send Nurture E-mails in Working Hours", default=True,
        help="Nurture e-mails go out only on the working days and hours of the company's working schedule, read in "
             "the lead's time zone (its contact's, else its country's, else the company's): one due at night waits "
             "for the morning.")
    nurture_weekly_cap = fields.Integer(
        "Marketing E-mails per Address per Week", default=3,
        help="At most this many marketing e-mails (nurture steps of every track, and mailings when Email Marketing "
             "is installed) to one address in any 7 days: a nurture e-mail over the limit waits until it is under "
             "(0: no limit).")

    _sql_constraints = [
        ("nurture_weekly_cap_positive", "CHECK (nurture_weekly_cap >= 0)",
         "The weekly limit of marketing e-mails cannot be negative: use 0 for no limit."),
        ("lead_followup_target_range", "CHECK (lead_followup_target BETWEEN 0 AND 100)",
         "The follow-up target is a percentage: between 0 and 100."),
        ("lead_close_target_range", "CHECK (lead_close_target BETWEEN 0 AND 100)",
         "The close target is a percentage: between 0 and 100."),
    ]

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
