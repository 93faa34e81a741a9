from . import test_entry_points
from . import test_closed_loop
