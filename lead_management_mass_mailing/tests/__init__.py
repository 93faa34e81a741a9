from . import test_mailing_signals
