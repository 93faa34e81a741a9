# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).


def migrate(cr, version):
    """Engagement events' external ids are unique per company (a unique index of the model's init), no longer
    across companies: one company's sender could not record an id another company's sender had used."""
    cr.execute("ALTER TABLE lead_engagement_event "
               "DROP CONSTRAINT IF EXISTS lead_engagement_event_external_id_type_uniq")
    cr.execute("DELETE FROM ir_model_constraint WHERE name = 'lead_engagement_event_external_id_type_uniq'")
