from . import res_company
from . import res_users_apikeys
from . import lead_intake_reference
from . import lead_intake_hit
from . import lead_intake
from . import crm_lead
from . import res_config_settings
