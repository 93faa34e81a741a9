from . import test_queue
from . import test_i18n
