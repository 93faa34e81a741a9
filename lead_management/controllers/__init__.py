from . import unsubscribe
