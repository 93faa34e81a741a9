from . import test_install
from . import test_lifecycle
from . import test_ownership
from . import test_handoff
from . import test_scoring
from . import test_access
from . import test_ui
