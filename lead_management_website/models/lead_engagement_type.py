# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import re

from odoo import api, fields, models
from odoo.exceptions import ValidationError

# The engagement type of a page view no page pattern matched.
PAGE_VIEW = "page_view"
URL_PATTERN_MAX_LENGTH = 200


class LeadEngagementType(models.Model):
    _inherit = "lead.engagement.type"

    url_pattern = fields.Char(
        "Page URL", help="A website page whose URL path contains this text (e.g. /pricing), or matches it with * "
                         "wildcards (e.g. /pricing* or /blog/*/case-study*), records this type instead of the "
                         "generic page view; the first such type in the list's order is the one recorded. Case "
                         "and the language prefix of the URL (/fr/…) do not count.")
    @api.onchange("url_pattern")
    def _onchange_url_pattern(self):
        if self.url_pattern:
            self.manual = False

    @api.model_create_multi
    def create(self, vals_list):
        # A page type (a page URL) is recorded by the website, whoever makes it and however (form, import, RPC).
        return super().create([dict(vals, manual=False) if vals.get("url_pattern") and "manual" not in vals else vals
                               for vals in vals_list])

    def write(self, vals):
        if vals.get("url_pattern") and "manual" not in vals:
            vals = dict(vals, manual=False)
        return super().write(vals)

    @api.constrains("url_pattern", "manual")
    def _check_url_pattern(self):
        _ = self.env._
        # A page view is the website's to record, not a person's to claim.
        manual = self.filtered(lambda each: each.url_pattern and each.manual)
        if manual:
            raise ValidationError(_(
                "“%s” records views of a website page: it cannot be logged by hand. Untick “Logged by Hand”.",
                manual[0].name))
        for engagement_type in self.filtered(lambda each: each.url_pattern is not False):
            pattern = engagement_type.url_pattern.strip()
            if not pattern:
                raise ValidationError(_(
                    "The page URL of “%s” is empty: give a path such as /pricing*, or clear the field.",
                    engagement_type.name))
            if not pattern.strip("*"):
                raise ValidationError(_(
                    "The page URL of “%s” matches every page: that is the generic page view, leave the field "
                    "empty.", engagement_type.name))
            if len(pattern) > URL_PATTERN_MAX_LENGTH or "://" in pattern or re.search(r"[\s?#]", pattern):
                raise ValidationError(_(
                    "The page URL of “%(type)s” must be part of a page's path, without spaces, site address or "
                    "query string (at most %(max)s characters), e.g. /pricing*.",
                    type=engagement_type.name, max=URL_PATTERN_MAX_LENGTH))

    @api.model
    def _get_by_url_cached(self, found, path, company):
        """The engagement type a view of the page at ``path`` records for a lead of ``company``: the first active
        type (by sequence) whose page URL matches, else the generic page view (none when it is archived). ``found``:
        the caller's dict for one batch, so that types are searched once per company, not per view."""
        patterns = found.setdefault("patterns", {})
        if company.id not in patterns:
            patterns[company.id] = [
                (engagement_type, _url_matcher(engagement_type.url_pattern))
                for engagement_type in self.search([("url_pattern", "!=", False),
                                                    ("company_id", "in", [company.id, False])], order="sequence, id")
            ]
        path = path.casefold()
        engagement_type = next((each for each, matches in patterns[company.id] if matches(path)), None)
        return engagement_type or self._get_by_code_cached(found.setdefault("codes", {}), PAGE_VIEW, company)


def _url_matcher(pattern):
    """A function of a (casefolded) path telling whether ``pattern`` matches it: contains it, or with ``*``,
    matches the whole path, each ``*`` standing for any text. Linear in the path (no regular expression to
    backtrack: a pattern an admin saves cannot stall the job): the first part starts the path, the last ends it,
    the others follow in order, each at its first place."""
    pattern = pattern.strip().casefold()
    if "*" not in pattern:
        return lambda path: pattern in path
    first, *middle, last = pattern.split("*")

    def matches(path):
        if len(path) < len(first) + len(last) or not path.startswith(first) or not path.endswith(last):
            return False
        position, end = len(first), len(path) - len(last)
        for part in middle:
            found = path.find(part, position, end)
            if found < 0:
                return False
            position = found + len(part)
        return True

    return matches
