# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models, tools
from odoo.exceptions import ValidationError

EXIT_REASONS = [
    ("sales_ready", "Became sales-ready"),
    ("handed_off", "Handed off to sales"),
    ("opted_out", "Opted out"),
    ("lost", "Lost"),
    ("left", "Left marketing's hands"),
    ("finished", "Finished the track"),
    ("manual", "Removed by hand"),
    ("merged", "Merged into another lead"),
]


class LeadNurtureTrack(models.Model):
    """Leads not ready for sales yet follow a track of scheduled steps (an e-mail, an activity for their
    owner, a rescore, a stage move) until they are, as Odoo's marketing automation does with its traces:
    one row per (lead, step) with a scheduled date and a state."""

    _name = "lead.nurture.track"
    _description = "Lead Nurture Track"
    _inherit = ["mail.thread", "lead.cached.mixin"]
    _cached_fields = ("active",)  # _get_track_ids
    _order = "sequence, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True, tracking=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True, tracking=True)
    company_id = fields.Many2one("res.company", index=True,
                                 help="Leave empty to share the track between companies.")
    description = fields.Html(translate=True, help="Who this track is for and what it tells them.")
    step_ids = fields.One2many("lead.nurture.step", "track_id", "Steps", copy=True)
    grade_ids = fields.One2many("lead.grade", "nurture_track_id", "Grades",
                                help="Leads that get one of these grades (of disposition Nurture) are enrolled.")
    enrolment_ids = fields.One2many("lead.nurture.enrolment", "track_id", "Enrolments")
    active_count = fields.Integer("Leads on the Track", compute="_compute_counts")
    exit_summary = fields.Html("Left the Track", compute="_compute_counts", sanitize=False)

    def _compute_counts(self):
        Enrolment = self.env["lead.nurture.enrolment"]
        active = dict(Enrolment._read_group([("track_id", "in", self.ids), ("state", "=", "active")],
                                            ["track_id"], ["__count"]))
        exits = Enrolment._read_group([("track_id", "in", self.ids), ("state", "=", "exited")],
                                      ["track_id", "exit_reason"], ["__count"])
        labels = dict(EXIT_REASONS)
        for track in self:
            track.active_count = active.get(track, 0)
            lines = [(labels[reason], count) for t, reason, count in exits if t == track]
            track.exit_summary = self.env["ir.qweb"]._render("lead_management.nurture_exit_summary",
                                                            {"lines": lines}) if lines else False

    @api.constrains("active")
    def _check_grades_on_inactive(self):
        for track in self.filtered(lambda track: not track.active and track.grade_ids):
            raise ValidationError(self.env._(
                "Track “%(track)s” still enrols the leads of grade %(grades)s: map those grades to another track "
                "(or to none) before archiving it.", track=track.name,
                grades=", ".join(track.grade_ids.mapped("name"))))

    @api.constrains("step_ids")
    def _check_steps(self):
        for track in self.filtered(lambda track: track.active and not track.step_ids):
            raise ValidationError(self.env._("Track “%s” has no step: add at least one.", track.name))

    @api.model
    @tools.ormcache()
    def _get_track_ids(self):
        """Active tracks. Cached: every lead created or regraded asks whether nurture is in use at all."""
        return tuple(self.sudo().search([]).ids)

    def action_open_enrolments(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("lead_management.lead_nurture_enrolment_action")
        action["domain"] = [("track_id", "=", self.id)]
        action["context"] = {"search_default_active": 1}
        return action
