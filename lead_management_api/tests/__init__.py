from . import test_intake
from . import test_openapi
from . import test_properties
from . import test_security
from . import test_performance
