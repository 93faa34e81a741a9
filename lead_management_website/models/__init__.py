from . import lead_engagement_type
from . import website_track
