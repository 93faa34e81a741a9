from .contact import email_is_valid
from .context import for_activities
from .domain import check_domain_readable, domain_field_names, fields_read_by, parse_lead_domain
