from . import mailing_trace
from . import lead_nurture
