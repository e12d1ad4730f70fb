"""Fixtures for the real local services; each service's fixtures live in tests/fixtures/."""

from tests.fixtures.common import require_binary, utc  # noqa: F401
from tests.fixtures.moto import *  # noqa: F401,F403
from tests.fixtures.sshd import *  # noqa: F401,F403
from tests.fixtures.web import *  # noqa: F401,F403
