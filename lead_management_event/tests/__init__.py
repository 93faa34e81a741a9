from . import test_event_signals
from . import test_i18n
