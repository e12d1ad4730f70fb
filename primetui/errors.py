"""The small family of errors whose message is the one sentence the user sees."""

from __future__ import annotations


class PrimeError(Exception):
    """Base of every error primetui shows to a person: `str(err)` is one clear sentence."""

    exit_code = 1


class ConfigError(PrimeError):
    """The configuration file is missing, unreadable or invalid."""

    exit_code = 2


class UsageError(PrimeError):
    """The command line was used wrongly."""

    exit_code = 2


class AwsError(PrimeError):
    """An AWS call failed (credentials, permissions, throttling, the service itself)."""


class WrongAccountError(AwsError):
    """The credentials belong to another AWS account than the one the context pins."""


class RemoteError(PrimeError):
    """A command on a server (or locally) could not be run or failed."""


class HostKeyUnknownError(RemoteError):
    """The server's host key is not in known_hosts; the user may accept it."""

    def __init__(self, message: str, *, host: str, port: int, key_type: str,
                 fingerprint: str, key_base64: str, trust_command: str = "") -> None:
        super().__init__(message)
        self.host = host
        self.port = port
        self.key_type = key_type
        self.fingerprint = fingerprint
        self.key_base64 = key_base64
        self.trust_command = trust_command
        """The shell command that trusts exactly this key (appends its known_hosts line)."""


class HostKeyChangedError(RemoteError):
    """The server's host key differs from the one in known_hosts: refused."""


class SudoPasswordNeeded(RemoteError):
    """The host asked for a sudo password and none (or a wrong one) was given."""


class MissingToolError(PrimeError):
    """A program the action needs (sshd, nginx, certbot, pebble, gpg) is not installed."""


class PlanError(PrimeError):
    """A plan step failed; the message says which and why."""
