"""The command-line tests' fixtures; their helpers are in cli_helpers.py."""

from tests.cli.cli_helpers import home  # noqa: F401
