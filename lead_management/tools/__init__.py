from .domain import parse_lead_domain
