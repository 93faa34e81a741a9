# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import SUPERUSER_ID, api
from odoo.tools.sql import column_exists


def migrate(cr, version):
    """fit_score, engagement_score and score_date moved from crm_lead to lead_scoring_state.

    Data loaded earlier in this update may already have rescored some leads while the new table was
    still empty (reading 0 for what was not yet moved): the old values win, then every open lead is
    rescored from its rules and events so that score and grade agree with them."""
    if not column_exists(cr, "crm_lead", "score_date"):
        return
    cr.execute("""
        INSERT INTO lead_scoring_state (lead_id, fit_score, engagement_score, score_date)
        SELECT id, COALESCE(fit_score, 0), COALESCE(engagement_score, 0), score_date
          FROM crm_lead
         WHERE score_date IS NOT NULL OR fit_score IS NOT NULL OR engagement_score IS NOT NULL
            ON CONFLICT (lead_id) DO UPDATE SET fit_score = EXCLUDED.fit_score,
               engagement_score = EXCLUDED.engagement_score, score_date = EXCLUDED.score_date
    """)
    cr.execute("ALTER TABLE crm_lead DROP COLUMN fit_score, DROP COLUMN engagement_score, DROP COLUMN score_date")
    api.Environment(cr, SUPERUSER_ID, {})["crm.lead"]._scoring_recompute()
