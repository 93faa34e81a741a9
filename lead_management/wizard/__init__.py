from . import crm_lead_reject
from . import crm_lead_to_opportunity
from . import lead_grade_preview
