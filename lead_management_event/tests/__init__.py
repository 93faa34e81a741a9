from . import test_event_signals
