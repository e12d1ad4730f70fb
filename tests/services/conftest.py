"""Fixtures the service tests share; the helpers themselves live in tests/fixtures/.

Test modules import plain helpers (constants, functions, classes) from tests/fixtures/ and
get fixtures from here by name, never from one another.
"""

from tests.fixtures.maintenance_world import (  # noqa: F401
    maintenance_host,
    module_aws,
    prod_host,
    world,
)
