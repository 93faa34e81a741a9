# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).


def migrate(cr, version):
    """Hand-offs made before the hand-off log existed: one row per lead from what the lead kept of its last
    hand-off (earlier hand-offs of a recycled lead are not known). The grade at hand-off is the lead's grade
    now, the closest value there is."""
    cr.execute("""
        INSERT INTO lead_handoff (lead_id, company_id, date, user_id, qualifier_id, team_id, grade_id, state,
                                  answer_date, rejection_reason_id, create_uid, create_date, write_uid, write_date)
        SELECT lead.id, lead.company_id, lead.handoff_date, COALESCE(lead.handoff_user_id, lead.user_id),
               lead.qualifier_id, lead.team_id, lead.grade_id,
               CASE WHEN lead.handoff_state IN ('pending', 'accepted', 'rejected') THEN lead.handoff_state
                    ELSE 'withdrawn' END,
               lead.handoff_answer_date, lead.rejection_reason_id,
               1, NOW() AT TIME ZONE 'UTC', 1, NOW() AT TIME ZONE 'UTC'
          FROM crm_lead lead
         WHERE lead.handoff_date IS NOT NULL
           AND NOT EXISTS (SELECT 1 FROM lead_handoff handoff WHERE handoff.lead_id = lead.id)
    """)
