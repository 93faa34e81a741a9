from . import lead_scoring_calibration_report
