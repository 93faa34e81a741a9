# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models


class LeadIntakeReference(models.Model):
    """The external id a marketing tool sent a lead with: a second request with it answers with the same lead
    and creates nothing. Kept apart from the lead so that it follows the lead through crm's merges (the lead
    it named may be the one a merge removes).

    Each intake user (sender) has its own external ids, and sees only what it sent: every answer about the lead is
    its receipt (the ``answer_*`` values, kept when the request made it), whatever became of the lead since;
    ``lead_withheld`` says the lead now holds what the sender did not send (merged with another sender's lead, or
    one made in Odoo)."""

    _name = "lead.intake.reference"
    _inherit = ["lead.access.mixin"]
    _description = "Lead Intake Reference"
    _order = "id desc"
    _rec_name = "external_id"

    lead_id = fields.Many2one("crm.lead", required=True, index=True, ondelete="cascade", readonly=True)
    # The sender's company and the sender: external ids are unique per company and sender.
    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    user_id = fields.Many2one("res.users", "Sent By", required=True, readonly=True, ondelete="restrict",
                              help="The API user whose key sent the lead.")
    external_id = fields.Char("External ID", required=True, readonly=True)
    merged = fields.Boolean(readonly=True, help="The lead was merged into an open lead it duplicated.")
    # What the sender sent and was told, so that its answers never depend on what others sent.
    email_normalized = fields.Char(
        "Sent E-mail", readonly=True, index="btree_not_null",
        help="The e-mail address the lead was sent with, normalised: events sent by lead_email find it.")
    phone_sanitized = fields.Char(
        "Sent Phone", readonly=True, index="btree_not_null",
        help="The phone number the lead was sent with, in E.164: the sender's later leads for the same person find "
             "its earlier one by it.")
    lead_withheld = fields.Boolean(
        "Withheld from the Sender", readonly=True,
        help="The lead now holds what the sender did not send (it was merged with a lead another sender or a user "
             "created). Its answers are receipts in any case.")
    answer_lead_id = fields.Integer("Lead Id Told", readonly=True,
                                    help="The id of the lead as the sender was last told it.")
    answer_stage = fields.Char("Stage Told", readonly=True)
    answer_grade = fields.Char("Grade Told", readonly=True)
    answer_score = fields.Integer("Score Told", readonly=True)
    answer_merged_into = fields.Integer("Merged Into Told", readonly=True)
    answer_duplicate_of = fields.Integer("Duplicate Of Told", readonly=True)

    _sql_constraints = [
        ("external_id_sender_uniq", "unique (company_id, user_id, external_id)",
         "A lead was already received from this sender with this external id."),
    ]

    def _answer_values(self, lead):
        """The answer_* values telling the sender ``lead`` as it is now."""
        return {"answer_lead_id": lead.id, "answer_stage": lead.lifecycle_code or False,
                "answer_grade": lead.grade_id.name or False, "answer_score": lead.lead_score or 0}
