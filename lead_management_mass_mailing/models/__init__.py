from . import mailing_trace
from . import lead_nurture
from . import lead_management_demo
from . import mail_compose_message
