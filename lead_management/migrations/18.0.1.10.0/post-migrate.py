# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    """Account scores: the leads' account keys were filled in SQL when the column was made (crm.lead._auto_init);
    the accounts of the open leads are rolled up once and the leads linked to them, in two statements. Nothing else
    moves: no fit rule reads an account yet."""
    Lead = api.Environment(cr, SUPERUSER_ID, {})["crm.lead"]
    Lead._scoring_refresh_accounts(Lead.browse()._scoring_scope(), follow=False)
