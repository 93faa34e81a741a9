from . import crm_lead_reject
from . import lead_grade_preview
