# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models, tools
from odoo.tools import SQL

SCORE_BAND = 10


class LeadScoringCalibrationReport(models.Model):
    """Closed leads with their grade and score band, won or lost: is the scoring model predictive?"""

    _name = "lead.scoring.calibration.report"
    _inherit = ["lead.access.mixin"]
    _description = "Lead Scoring Calibration"
    _auto = False
    _order = "score_band desc"

    lead_id = fields.Many2one("crm.lead", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    grade_id = fields.Many2one("lead.grade", readonly=True)
    score_band = fields.Integer(readonly=True, aggregator=False,
                                help="Lower bound of the band of 10 points the lead scored in.")
    won_count = fields.Integer("Won", readonly=True)
    closed_count = fields.Integer("Closed", readonly=True)
    won_rate = fields.Float("Won Rate (%)", readonly=True, aggregator="avg")

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(SQL("""
            CREATE OR REPLACE VIEW %(table)s AS (
                SELECT lead.id, lead.id AS lead_id, lead.company_id, lead.grade_id,
                       (FLOOR(lead.lead_score / %(band)s::float) * %(band)s)::int AS score_band,
                       CASE WHEN lead.won THEN 1 ELSE 0 END AS won_count,
                       1 AS closed_count,
                       CASE WHEN lead.won THEN 100.0 ELSE 0.0 END AS won_rate
                  FROM (SELECT l.id, l.company_id, l.grade_id, l.lead_score, l.active, l.probability,
                               (l.active AND COALESCE(s.is_won, FALSE)) AS won
                          FROM crm_lead l LEFT JOIN crm_stage s ON s.id = l.stage_id) AS lead
                 WHERE lead.won OR (NOT lead.active AND COALESCE(lead.probability, 0) = 0)
            )""", table=SQL.identifier(self._table), band=SCORE_BAND))

    @api.model
    def _won_rate_by_grade(self):
        """{grade: (won rate %, closed leads)} over closed leads."""
        return {grade: (won * 100.0 / closed, closed) for grade, won, closed in self._read_group(
            [("grade_id", "!=", False)], ["grade_id"], ["won_count:sum", "closed_count:sum"]) if closed}

    @api.model
    def _calibration_warning(self):
        """A sentence when a better grade converts less than a worse one, else False."""
        rates = self._won_rate_by_grade()
        ordered = sorted(rates, key=lambda grade: -grade.min_score)
        for better, worse in zip(ordered, ordered[1:], strict=False):
            if rates[better][0] < rates[worse][0]:
                return self.env._(
                    "Grade %(better)s wins %(better_rate).0f%% of its closed leads, less than grade %(worse)s "
                    "(%(worse_rate).0f%%): the scoring does not predict what converts. Review the fit rules and "
                    "grade thresholds.", better=better.name, better_rate=rates[better][0], worse=worse.name,
                    worse_rate=rates[worse][0])
        return False
