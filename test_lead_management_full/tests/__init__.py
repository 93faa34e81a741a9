from . import test_entry_points
