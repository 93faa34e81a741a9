from . import lead_scoring_calibration_report
from . import lead_data_quality_report
