from . import lead_engagement_type
from . import website_track
from . import crm_lead
from . import lead_management_demo
