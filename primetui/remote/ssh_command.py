"""The `ssh` command line that opens a shell on a server, exactly as primetui itself connects.

The shell hand-off (the TUI suspends and gives the terminal to `ssh`) must reach the same
host, port and user with the same key as primetui's own connections, and must check the host
key as strictly: `StrictHostKeyChecking=yes` against the known_hosts files primetui checks,
never the user's looser ssh_config defaults. ProxyJump bastions are crossed with a
`ProxyCommand` that carries the same strict options at every hop (ssh's own `-J` would
check the bastions with whatever ssh_config says).

Pure string building from a `ResolvedHost`: nothing is read or run here.
"""

from __future__ import annotations

import shlex

from primetui.remote.ssh_config import ResolvedHost


def ssh_argv(host: ResolvedHost, command: str | None = None, *, ssh: str = "ssh") -> list[str]:
    """The argv of `ssh` to `host`, with strict host-key checking at every hop.

    `command`, when given, is run instead of a login shell (as one argument, so the remote
    shell receives it whole); without it `-t` asks for a terminal, as an interactive shell
    needs.
    """
    argv = [ssh, *_options(host)]
    if host.jumps:
        argv += ["-o", f"ProxyCommand={_proxy_command(host.jumps, ssh)}"]
    argv += ["-p", str(host.port), "-l", host.user]
    if command is None:
        argv.append("-t")
    argv += ["--", host.hostname]
    if command is not None:
        argv.append(command)
    return argv


def _options(host: ResolvedHost) -> list[str]:
    """The `-o`/`-i` options one hop is reached with."""
    known = " ".join(str(p) for p in host.known_hosts)
    options = ["-o", "StrictHostKeyChecking=yes",
               "-o", f"UserKnownHostsFile={known}",
               "-o", "GlobalKnownHostsFile=/dev/null",
               "-o", "UpdateHostKeys=no",
               "-o", f"ConnectTimeout={max(1, round(host.connect_timeout))}",
               "-o", f"ServerAliveInterval={max(1, round(host.keepalive))}"]
    if host.identities_only:
        options += ["-o", "IdentitiesOnly=yes"]
    for key in host.identity_files:
        options += ["-i", str(key)]
    return options


def _proxy_command(jumps: tuple[ResolvedHost, ...], ssh: str) -> str:
    """`ssh … -W %h:%p LAST_HOP`, itself reached through the hops before it.

    ssh expands `%` tokens in a ProxyCommand, so a ProxyCommand nested inside another one
    has its `%` doubled to reach its own ssh intact.
    """
    *before, last = jumps
    argv = [ssh, *_options(last)]
    if before:
        inner = _proxy_command(tuple(before), ssh).replace("%", "%%")
        argv += ["-o", f"ProxyCommand={inner}"]
    argv += ["-p", str(last.port), "-l", last.user, "-W", "%h:%p", "--", last.hostname]
    return " ".join(a if a == "%h:%p" else shlex.quote(a) for a in argv)


def shown(argv: list[str]) -> str:
    """The argv as a person would type it (for the notification and the audit)."""
    return shlex.join(argv)
