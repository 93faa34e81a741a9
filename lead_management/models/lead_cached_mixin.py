# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, models


class LeadCachedMixin(models.AbstractModel):
    """Configuration that the pipeline reads from the registry's cache (``tools.ormcache`` methods): creating,
    deleting or writing one of ``_cached_fields`` (every field when None) clears that cache, in every worker."""

    _name = "lead.cached.mixin"
    _description = "Lead Management Cached Configuration"
    _cached_fields = None

    @api.model_create_multi
    def create(self, vals_list):
        records = super().create(vals_list)
        self.env.registry.clear_cache()
        return records

    def write(self, vals):
        result = super().write(vals)
        if self._cached_fields is None or set(self._cached_fields) & set(vals):
            self.env.registry.clear_cache()
        return result

    def unlink(self):
        result = super().unlink()
        self.env.registry.clear_cache()
        return result
