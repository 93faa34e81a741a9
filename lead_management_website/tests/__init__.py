from . import test_website_signals
from . import test_i18n
