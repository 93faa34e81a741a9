from . import event_registration
from . import lead_management_demo
