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


def domain_field_names(domain):
    """The first field of every path a domain reads."""
    return {leaf[0].split(".")[0] for leaf in domain
            if isinstance(leaf, list | tuple) and len(leaf) == 3 and isinstance(leaf[0], str)}


def fields_read_by(model, names):
    """``names`` and every stored field of ``model`` they are computed from (country_id follows
    partner_id): the fields whose change can change a condition on ``names``."""
    names = set(names)
    todo = list(names)
    while todo:
        field = model._fields.get(todo.pop())
        if not field or not field.compute:
            continue
        for path in model.pool.field_depends.get(field, ()):
            name = path.split(".")[0]
            if name not in names and name in model._fields:
                names.add(name)
                todo.append(name)
    return frozenset(names)
