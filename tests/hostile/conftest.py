"""The hostile backup suite's fixtures; its helpers are in backup_helpers.py."""

from tests.hostile.backup_helpers import cli_env, secret_file, service  # noqa: F401
