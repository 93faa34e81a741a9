from . import lead_report_mixin
from . import lead_scoring_calibration_report
from . import lead_funnel_report
from . import lead_funnel_month_report
from . import lead_followup_report
from . import lead_campaign_report
from . import lead_management_dashboard
from . import lead_data_quality_report
