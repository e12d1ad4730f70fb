"""Which ACME account certbot renews and issues with, when the server holds more than one.

certbot keeps its accounts under `CONFIG/accounts/<server host and path>/<id>/`. With one
account per ACME server it uses that one; with two or more it asks "Please choose an
account", which without a terminal fails the run. A renewal conf names the account that
issued the lineage (`account = ID`), but certbot ignores it as soon as `--server` is on the
command line (a dry run against a custom ACME server, an issuance), so primetui passes
`--account ID` itself: `certificates.account` when set, else the account that issued the
certificates concerned, and says which and why.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlparse

from primetui.errors import RemoteError

if TYPE_CHECKING:
    from primetui.certificates.certbot import RenewalConf
    from primetui.remote.profiles import HostProfile
    from primetui.remote.runners import Runner

LETS_ENCRYPT = "https://acme-v02.api.letsencrypt.org/directory"
"""certbot's default ACME server."""


@dataclass(frozen=True)
class AccountChoice:
    """The `--account` to pass (None: let certbot decide) and the sentence that says why."""

    account: str | None = None
    reason: str = ""

    def options(self) -> list[str]:
        """The command-line options for this choice."""
        return ["--account", shlex.quote(self.account)] if self.account else []


def server_path(url: str) -> str:
    """The directory certbot keeps an ACME server's accounts in (host[:port] and path)."""
    parsed = urlparse(url)
    return (parsed.netloc + parsed.path).strip("/")


def accounts_command(config_dir: str) -> str:
    """Lists every account certbot holds (one `regr.json` per account)."""
    return f"find {shlex.quote(config_dir.rstrip('/') + '/accounts')} -name regr.json 2>/dev/null"


def parse_accounts(output: str, config_dir: str) -> dict[str, tuple[str, ...]]:
    """`accounts_command`'s output as {server path: account ids}."""
    root = config_dir.rstrip("/") + "/accounts/"
    found: dict[str, list[str]] = {}
    for line in output.splitlines():
        path = line.strip()
        if not path.startswith(root) or not path.endswith("/regr.json"):
            continue
        server, _, account = path[len(root):-len("/regr.json")].rpartition("/")
        if server and account:
            found.setdefault(server, []).append(account)
    return {server: tuple(sorted(ids)) for server, ids in found.items()}


def read_accounts(runner: Runner, profile: HostProfile,
                  config_dir: str) -> dict[str, tuple[str, ...]]:
    """The accounts certbot holds on the server (read through sudo where the host uses it)."""
    result = runner.run(accounts_command(config_dir), sudo=profile.sudo, warn=True, timeout=30)
    return parse_accounts(result.stdout, config_dir)


def choose_account(*, configured: str | None, accounts: dict[str, tuple[str, ...]],
                   server: str, confs: Iterable[RenewalConf], host: str,
                   server_on_command_line: bool) -> AccountChoice:
    """The account certbot must use for a run against `server` that concerns `confs`.

    Raises `RemoteError` (before anything runs) when certbot would have to ask and nothing
    says which account to use.
    """
    ids = accounts.get(server_path(server), ())
    everyone = sorted({a for held in accounts.values() for a in held})
    if configured:
        if everyone and configured not in everyone:
            raise RemoteError(f"certificates.account is {configured}, but certbot on {host} has "
                              f"no such ACME account (it has: {', '.join(everyone)}).")
        return AccountChoice(configured, f"certbot uses the ACME account {configured} "
                                         f"(certificates.account).")
    if len(ids) < 2:
        return AccountChoice()
    confs = list(confs)
    used = sorted({c.account for c in confs if c.account in ids})
    names = ", ".join(c.name for c in confs if c.account in used)
    many = f"certbot on {host} has {len(ids)} ACME accounts for {server}"
    if len(used) == 1 and all(c.account in used for c in confs):
        return AccountChoice(used[0], f"{many}; using {used[0]}, the one that issued {names} "
                                      f"(its renewal conf), so certbot does not ask which.")
    if len(used) > 1 and all(c.account for c in confs) and not server_on_command_line:
        # each renewal conf names its own account, and certbot reads it: nothing to ask
        return AccountChoice(reason=f"{many}; each certificate renews with the account named "
                                    f"in its renewal conf.")
    if len(used) > 1:
        raise RemoteError(f"{many} and these certificates were issued by different ones "
                          f"({', '.join(used)}), so certbot would stop to ask; set "
                          f"certificates.account to the one to use.")
    raise RemoteError(f"{many} ({', '.join(ids)}) and nothing says which to use, so certbot "
                      f"would stop to ask; set certificates.account to one of them.")
