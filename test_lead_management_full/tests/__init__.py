from . import test_entry_points
from . import test_closed_loop
from . import test_unsubscribe
