# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models


class LeadScoringState(models.Model):
    """The volatile part of a lead's score, one narrow row per lead.

    Engagement decays every day and fit follows the rules, so these floats change far more often than
    the rounded ``lead_score`` and the grade kept on the lead. Keeping them here means a rescore rewrites
    these small rows, and rewrites a crm_lead row (and its many indexes) only when the score or the grade
    the lead shows has moved. crm.lead reads them back as ``fit_score``, ``engagement_score`` and
    ``score_date`` (searchable, sortable and aggregated like stored fields). Written in SQL by
    ``crm.lead._scoring_recompute`` only."""

    _name = "lead.scoring.state"
    _description = "Lead Scoring State"
    _log_access = False

    lead_id = fields.Many2one("crm.lead", required=True, ondelete="cascade", readonly=True)
    fit_score = fields.Float(readonly=True)
    engagement_score = fields.Float(readonly=True)
    score_date = fields.Datetime("Scored On", readonly=True)
    # The engagement as its events last gave it, per engagement type: {type id: decayed and capped points at
    # ``engagement_parts_date``}. Decay is exponential and the daily cap applies to a day's points before it, so
    # the engagement at any later moment is each part times its type's decay since: the nightly rescore reads
    # these instead of every event. Valid while ``engagement_stamp`` names the active engagement types' current
    # points, half-lives and caps, ``engagement_tz`` is still the time zone the lead's days are counted in, and no
    # event dated later (``engagement_next_date``) has come of age; events that arrive, move or go rescore their
    # lead from its events.
    engagement_parts = fields.Json("Engagement by Type", readonly=True)
    engagement_parts_date = fields.Datetime("Engagement by Type On", readonly=True)
    engagement_next_date = fields.Datetime("Next Event Date", readonly=True)
    engagement_tz = fields.Char("Engagement Time Zone", readonly=True)
    engagement_stamp = fields.Char("Engagement Settings Stamp", readonly=True)

    _sql_constraints = [
        ("lead_unique", "UNIQUE(lead_id)", "A lead has one scoring state."),
    ]
