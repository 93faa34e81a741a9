# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).


def migrate(cr, version):
    """Record rules were noupdate: the update must rewrite them (who sees a lead changed) and drop the two
    that lead.access.mixin replaces."""
    cr.execute("""
        UPDATE ir_model_data SET noupdate = FALSE
         WHERE module = 'lead_management' AND model = 'ir.rule'
    """)
