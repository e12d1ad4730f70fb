"""SSH host findings: each configured server reached once, host key checked, never a prompt.

The runner is made without a prompter, so an unknown host key is refused and reported
(with its fingerprint) instead of asked about, a changed key is refused as always, and a
host that does not answer is reported within its connect timeout. Servers are reached
at the same time; `gather` runs calls on daemon threads and waits for them only until a
deadline, so one silent host never holds up the check (or the end of the process).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from primetui.errors import HostKeyChangedError, HostKeyUnknownError, PrimeError
from primetui.findings.model import AreaResult, Finding
from primetui.findings.wording import plural, status

if TYPE_CHECKING:
    from primetui.config import Settings


CANCEL_GRACE = 3.0
"""Seconds the calls still running may take once the caller is cancelled."""


@dataclass(frozen=True)
class Outcome:
    """How one call ended: its value, its exception, or not at all by the deadline."""

    done: bool
    value: Any = None
    error: BaseException | None = None


def gather(calls: Mapping[str, Callable[[], Any]], timeout: float,
           is_cancelled: Callable[[], bool] = lambda: False,
           grace: float = CANCEL_GRACE) -> dict[str, Outcome]:
    """Run every call at once on a daemon thread; what is not done by `timeout` is left.

    `is_cancelled` is asked a few times a second: when it says yes (the app is closing),
    the calls still running get at most `grace` seconds more, so a command already sent
    to a server usually ends before whoever called goes away (the demo removes its files).
    """
    results: dict[str, Outcome] = {key: Outcome(False) for key in calls}
    cond = threading.Condition()

    def run(key: str, call: Callable[[], Any]) -> None:
        try:
            outcome = Outcome(True, value=call())
        except BaseException as err:  # noqa: BLE001 - every failure is reported, never raised
            outcome = Outcome(True, error=err)
        with cond:
            results[key] = outcome
            cond.notify_all()

    for key, call in calls.items():
        threading.Thread(target=run, args=(key, call), name=f"findings-{key}",
                         daemon=True).start()
    deadline = time.monotonic() + timeout
    cancelled = False
    with cond:
        while not all(o.done for o in results.values()):
            now = time.monotonic()
            if not cancelled and is_cancelled():
                cancelled, deadline = True, min(deadline, now + grace)
            left = deadline - now
            if left <= 0:
                break
            cond.wait(min(left, 0.2))
        return dict(results)


def host_tab(settings: Settings, name: str) -> tuple[str, str]:
    """The tab (and the action there) that uses a server, so a finding about it points there."""
    if settings.certificates.domains and settings.certificates.server == name:
        return "certificates", "certificates.renew"
    if settings.maintenance.prod == name and settings.maintenance.domain:
        return "maintenance", "maintenance.on"
    if settings.backups.source.split(":", 1)[0] == name:
        return "backups", "backups.create"
    return "overview", ""


def reach(settings: Settings, name: str, shared: Callable[[str], Any] | None = None) -> None:
    """Connect to one server and run `true`; raises what the connection raised.

    With `shared` (the session's runners), the poll reuses the session's connection and
    leaves it open; it never asks about an unknown host key.
    """
    from primetui.remote.runners import SshRunner

    server = settings.servers[name]
    if shared is not None:
        shared(name).check(timeout=server.connect_timeout + 5)
        return
    runner = SshRunner(name, server, None)
    try:
        runner.run("true", timeout=server.connect_timeout + 5)
    finally:
        runner.close()


def _address(name: str, server: Any) -> str:
    """host:port as ssh_config resolves it (the configured values if it cannot)."""
    from primetui.remote.ssh_config import resolve_server

    try:
        resolved = resolve_server(name, server)
    except PrimeError:
        return f"{server.host}:{server.port}"
    return f"{resolved.hostname}:{resolved.port}"


def host_finding(settings: Settings, name: str, outcome: Outcome) -> Finding | None:
    """The finding for one server's outcome (None when it answered with a known key)."""
    server = settings.servers[name]
    where = f"{name} ({_address(name, server)})"
    tab, action = host_tab(settings, name)
    err = outcome.error
    if not outcome.done:
        return Finding("warning", "hosts", f"{where} did not answer in time.",
                       "The check did not wait longer for it.", tab, action, name)
    if isinstance(err, HostKeyChangedError):
        return Finding("critical", "hosts", f"The host key of {where} has CHANGED.", str(err),
                       "overview", "", name)
    if isinstance(err, HostKeyUnknownError):
        # From cron nothing can ask: the one sentence names the command that trusts this key.
        how = (f"if that is the server's own fingerprint, trust it with: {err.trust_command}"
               if err.trust_command else "compare it with the server's own before trusting it")
        return Finding("warning", "hosts", f"The host key of {where} is not in known_hosts.",
                       f"It presents {err.key_type} {err.fingerprint}; {how}.", "overview",
                       "overview.trust_host_key", name)
    if isinstance(err, PrimeError):
        return Finding("warning", "hosts", f"{name}: {err}", f"Server {name} in the config "
                       f"({server.user}@{server.host}:{server.port}).", tab, action, name)
    if err is not None:
        return Finding("warning", "hosts", f"{where} could not be checked: "
                       f"{type(err).__name__}: {err}", "", tab, action, name)
    return None


def check_hosts(settings: Settings,
                shared: Callable[[str], Any] | None = None) -> AreaResult | None:
    """Every configured server's SSH reachability and host key; None when there are none.

    `shared` gives the session's runner for a server name (its connection is reused)."""
    # The maintenance template may have no host: it is the address of an instance not made yet.
    names = sorted(n for n, server in settings.servers.items() if server.host.strip())
    if not names:
        return None
    limit = max(settings.servers[n].connect_timeout for n in names) * 2 + 5
    outcomes = gather({n: partial(reach, settings, n, shared) for n in names}, limit)
    findings = [f for n in names if (f := host_finding(settings, n, outcomes[n]))]
    good = len(names) - len(findings)
    summary = f"{good} of {plural(len(names), 'server')} reachable with a known host key."
    return status("hosts", summary, findings)
