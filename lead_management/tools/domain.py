# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from ast import literal_eval

from odoo.exceptions import AccessError, ValidationError

# What a condition may not name: whether a lead duplicates another is found from what others sent or typed about
# the person (another marketing tool, a user), so a score or a stage that depended on it would tell a marketing
# tool, in its intake answers, that someone else already had the person. That is the duplicate flags (ours and crm's
# similar leads, counted over every company), and what a flagged lead gets from the lead it duplicates: its
# qualifying rep, and with the rep the rep's speed-to-lead clock and nurture track, that rep as a follower, a note
# in its chatter. Fields computed from any of them are refused with them (names_duplicate).
DUPLICATE_FIELDS = frozenset({
    "duplicate_of_id", "duplicate_partner_id", "duplicate_lead_id", "duplicate_contact_id", "is_possible_duplicate",
    "intake_reference_ids", "duplicate_lead_ids", "duplicate_lead_count",
    "qualifier_id", "sla_clock_id", "sla_clock_ids", "sla_policy_id", "sla_clock", "sla_owner_id", "sla_start",
    "sla_deadline", "sla_warning_date", "sla_state", "sla_paused_since", "sla_time_left", "nurture_enrolment_id",
    "nurture_enrolment_ids",
    "message_ids", "website_message_ids", "message_follower_ids", "message_partner_ids", "message_is_follower",
    "message_needaction", "message_needaction_counter", "message_has_error", "message_has_error_counter",
    "message_attachment_count", "has_message",
})


def names_duplicate(model, name):
    """Whether a condition on the crm.lead field ``name`` depends on whether the lead duplicates another: one of
    DUPLICATE_FIELDS, or computed from one."""
    return bool(fields_read_by(model, [name]) & DUPLICATE_FIELDS)


def parse_lead_domain(env, text):
    """The domain written in ``text``, checked against crm.lead (fields and paths must exist, no condition on
    whether a lead duplicates another: check_domain_ignores_duplicates).

    Raises whatever is wrong with it (SyntaxError, ValueError, …): callers turn it into a
    ValidationError that names their record."""
    domain = literal_eval(text or "[]")
    if not isinstance(domain, list):
        raise ValueError(env._("a domain is a list of conditions"))
    # Before the search, which only logs a condition on a field it cannot search (crm's similar leads).
    check_domain_ignores_duplicates(env["crm.lead"], domain)
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


def domain_steps(model, domain):
    """(model, name, field or None, path) for every step along every path of ``domain``, ``any`` sub-domains
    included: each name with the model it is read on."""
    for leaf in domain:
        if not (isinstance(leaf, list | tuple) and len(leaf) == 3 and isinstance(leaf[0], str)):
            continue
        path, operator, value = leaf
        current = model
        for name in path.split("."):
            field = current._fields.get(name)
            yield current, name, field, path
            if field is None or not field.relational:
                break
            current = model.env[field.comodel_name]
        if operator in ("any", "not any") and isinstance(value, list | tuple):
            yield from domain_steps(current, value)


def check_domain_readable(model, domain):
    """Raise an AccessError naming the first field, along the whole of any path of ``domain`` (``any`` sub-domains
    included), that the current user may not read: the model's access rights and the field's groups. A condition
    written by a user may name only what that user can read (as crm checks a team's assignment domain by searching
    with it as that user), since the addon evaluates it for every lead.

    Raise a ValidationError for a condition on whether a lead is a duplicate (DUPLICATE_FIELDS), whoever writes it."""
    env = model.env
    check_domain_ignores_duplicates(model, domain)
    if env.su:
        return
    for current, _name, field, path in domain_steps(model, domain):
        model_readable = current.has_access("read")
        if not model_readable or (field is not None and not field.is_accessible(env)):
            if model_readable:
                what = env._("the field “%(field)s” of %(model)s", field=field.string, model=current._description)
            else:
                what = env._("%(model)s (%(name)s)", model=current._description, name=current._name)
            raise AccessError(env._(
                "The condition on “%(path)s” reads %(what)s, which you may not read: remove that condition, or "
                "ask an administrator to write it.", path=path, what=what))


def check_domain_ignores_duplicates(model, domain):
    """Raise a ValidationError when a path of ``domain`` names, on a lead, a field of names_duplicate()."""
    for current, name, _field, path in domain_steps(model, domain):
        if current._name == "crm.lead" and names_duplicate(current, name):
            raise ValidationError(model.env._(
                "The condition on “%(path)s” depends on whether the lead duplicates another: the duplicate flags, "
                "or what a lead flagged as a duplicate gets from the lead it duplicates (its qualifying rep, with "
                "the rep's SLA clock and nurture track, followers, a note in its chatter). Whether a lead "
                "duplicates another comes from what others sent about the person, and scores and stages do not "
                "depend on it: a marketing tool would learn from them that someone else had the person. Remove "
                "that condition; the Possible Duplicates filter finds those leads.", path=path))
