# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from ast import literal_eval


def parse_lead_domain(env, text):
    """The domain written in ``text``, checked against crm.lead (fields and paths must exist).

    Raises whatever is wrong with it (SyntaxError, ValueError, …): callers turn it into a
    ValidationError that names their record."""
    domain = literal_eval(text or "[]")
    if not isinstance(domain, list):
        raise ValueError(env._("a domain is a list of conditions"))
    env["crm.lead"].sudo()._search(domain)
    return domain
