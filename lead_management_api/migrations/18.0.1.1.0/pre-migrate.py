# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""18.0.1.1.0: external ids are unique per company and sender (the API user), no longer per company. Every
reference names its sender: the intake always wrote it; a reference written otherwise (by code, an import) gets
the user who wrote it. The old constraint goes before the module's new one is added."""


def migrate(cr, version):
    cr.execute("UPDATE lead_intake_reference SET user_id = COALESCE(create_uid, 1) WHERE user_id IS NULL")
    cr.execute("ALTER TABLE lead_intake_reference "
               "DROP CONSTRAINT IF EXISTS lead_intake_reference_external_id_company_uniq")
    cr.execute("DELETE FROM ir_model_constraint WHERE name = 'lead_intake_reference_external_id_company_uniq'")
