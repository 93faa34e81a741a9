from . import test_mailing_signals
from . import test_nurture_mailing
from . import test_i18n
