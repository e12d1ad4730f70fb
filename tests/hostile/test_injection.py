"""Values from the config that reach a remote shell stay one argument, whatever they hold.

`maintenance.domain = "x.test;touch${IFS}/tmp/pwned;#"` used to run `touch` on prod (under
sudo) from the maintenance preflight. Every remote command builder is driven here with
hostile strings (`;`, `$()`, backticks, quotes, newlines, `${IFS}`) in every value it
takes, and each command is run by a real local `sh` with an empty PATH (so only shell
builtins can run: nothing is installed, removed or started): the planted payload writes a
canary file with the builtin `echo`, and the canary must never appear. The simple commands
are also split with `shlex.split`, where the hostile value must come out as one intact
argument. Config load refuses such domains outright.
"""

from __future__ import annotations

import dataclasses
import pwd
import secrets
import shlex
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from primetui.backups.server_source import preflight_command, tar_command
from primetui.certificates.accounts import AccountChoice, accounts_command
from primetui.certificates.auto_renew import _write, renew_command
from primetui.certificates.model import PortCommands, RenewRequest
from primetui.certificates.renew import _openssl, _Renewal
from primetui.certificates.schedule import schedule_script
from primetui.certificates.server import status_script
from primetui.config import CertificateSettings, ServerSettings, Settings, parse_settings
from primetui.errors import ConfigError
from primetui.maintenance.ssh_side import HostCommands, _sudo
from primetui.plans.practice import practice_plan
from primetui.remote.profiles import profile_for
from tests.hostile.rest_helpers import assert_one_sentence, private_env, run_primetui

CANARY = "PWNED"
PAYLOADS = [
    f";echo pwned>{CANARY};#",
    f"$(echo pwned>{CANARY})",
    f"`echo pwned>{CANARY}`",
    f"';echo pwned>{CANARY};'",
    f'";echo pwned>{CANARY};"',
    f"\necho pwned>{CANARY}\n",
    f"&&echo${{IFS}}pwned>{CANARY}",
    f"|echo pwned>{CANARY}",
    f"'\"$(echo pwned>{CANARY})\"'",
    f"x\\';echo pwned>{CANARY};#",
]
ISSUE_DOMAIN = "x.test;touch${IFS}/tmp/pwned;#"

# Text around a payload: anything a TOML string can hold except NUL (argv cannot carry it).
_AROUND = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\0/"),
                  max_size=6)
hostile = st.builds(lambda a, p, b: f"{a}{p}{b}", _AROUND, st.sampled_from(PAYLOADS), _AROUND)
QUICK = settings(max_examples=25, deadline=None,
                 suppress_health_check=[HealthCheck.function_scoped_fixture])


def runs_harmlessly(command: str) -> None:
    """Run `command` in a local sh with nothing on PATH; the payload's canary must not appear."""
    with tempfile.TemporaryDirectory() as tmp:
        empty = Path(tmp) / "empty-path"
        empty.mkdir()
        work = Path(tmp) / "work"
        work.mkdir()
        subprocess.run(["/bin/sh", "-c", command], cwd=work, env={"PATH": str(empty)},
                       capture_output=True, timeout=20, stdin=subprocess.DEVNULL)
        found = [p for p in Path(tmp).rglob(CANARY)] + list(Path("/").glob(CANARY))
        assert not found, f"the payload ran: {command!r}"


def one_argument(command: str, value: str) -> None:
    """`value` comes out of the shell's word splitting whole, inside one argument."""
    words = shlex.split(command)
    assert any(value in word for word in words), (command, words)


def commands_of(domain: str, path: str) -> list[tuple[str, Callable[[], str]]]:
    """Every maintenance command built from a hostile domain and hostile host paths."""
    paths = {"letsencrypt": f"/srv/le{path}", "www_root": f"/srv/www{path}",
             "home": f"/home/u{path}", "conf_d": f"/etc/nginx{path}"}
    prod = ServerSettings(host="prod.test", profile="ubuntu", paths=paths)
    maint = ServerSettings(host="maint.test", user="ec2-user", profile="al2023", paths=paths)
    c = HostCommands(domain, prod, maint)
    return [
        ("lineage_check", c.lineage_check), ("make_upload_dir", c.make_upload_dir),
        ("remove_page", c.remove_page), ("tar_on_prod", c.tar_on_prod),
        ("extract_on_maintenance", c.extract_on_maintenance),
        ("remove_certificates", c.remove_certificates),
        *((f"install[{i}]", lambda i=i: c.install()[i][0]) for i in range(3)),
        *((f"site_shown[{i}]", lambda i=i: c.site_shown()[i]) for i in range(1)),
    ]


@QUICK
@given(domain=hostile, path=hostile)
def test_maintenance_commands_keep_hostile_domains_and_paths_inert(domain, path):
    for _name, build in commands_of(domain, path):
        command = build()
        runs_harmlessly(command)
    c = HostCommands(domain, ServerSettings(host="p", paths={"letsencrypt": f"/le{path}"}),
                     ServerSettings(host="m"))
    one_argument(c.lineage_check(), f"/le{path}/live/{domain}/fullchain.pem")
    one_argument(c.remove_page(), f"{c.maint.www_root}/maintenance")


@QUICK
@given(domain=hostile, address=hostile)
def test_certificate_commands_keep_hostile_values_inert(domain, address):
    shown = _openssl(domain, address)
    runs_harmlessly(shown)
    one_argument(shown, domain)
    one_argument(shown, address)
    script = status_script(CertificateSettings(certbot="certbot"), f"/etc/le{address}",
                           (f"/etc/cron{domain}",))
    runs_harmlessly(script)
    writer = _write(f"/etc/systemd{domain}/unit.service", "hello\n")
    runs_harmlessly(writer)


@QUICK
@given(value=hostile, dry_run=st.booleans(), standalone=st.booleans())
def test_certbot_commands_keep_hostile_config_values_inert(value, dry_run, standalone):
    settings = CertificateSettings(webroot=f"/var/www{value}", acme_server=f"https://a{value}",
                                   containers=[f"web{value}", "db"],
                                   method="standalone" if standalone else "webroot")
    renewal = SimpleNamespace(settings=settings, standalone=standalone,
                              lineage=SimpleNamespace(name=f"site{value}"),
                              request=RenewRequest(dry_run=dry_run, force=True),
                              account=AccountChoice(f"acct{value}"))
    command = _Renewal.certbot_command(renewal)  # the renewal step's own builder
    runs_harmlessly(command)
    one_argument(command, f"site{value}")
    one_argument(command, f"acct{value}")
    runs_harmlessly(accounts_command(f"/etc/letsencrypt{value}"))
    runs_harmlessly(schedule_script(f"/etc/letsencrypt{value}", (f"/srv/cron.d{value}",)))
    timer = renew_command(settings, PortCommands())
    runs_harmlessly(timer)
    hook = shlex.split(timer)[shlex.split(timer).index("--pre-hook") + 1] if standalone else ""
    if hook:
        assert shlex.split(hook)[2] == f"web{value}"  # docker stop 'web…' db


@QUICK
@given(path=hostile, top=hostile)
def test_backup_source_commands_keep_hostile_paths_inert(path, top):
    for command in (tar_command(f"/srv/prime{path}", [top, ".env"]),
                    tar_command(f"~/prime{path}", [top]),
                    preflight_command(f"/srv/prime{path}", [".env", "config/"])):
        runs_harmlessly(command)
    one_argument(tar_command(f"/srv/prime{path}", [top]), top)


@QUICK
@given(folder=hostile)
def test_practice_commands_keep_a_hostile_scratch_path_inert(folder):
    plan = practice_plan(Settings(), Path(f"/nonexistent/practice{folder}"), failing=True)
    for step in plan.steps:
        for command in [*step.commands, *step.undo_commands]:
            runs_harmlessly(command)


@QUICK
@given(inner=hostile)
def test_the_sudo_wrapper_passes_the_command_as_one_argument(inner):
    profile = profile_for(ServerSettings(host="prod.test", profile="ubuntu"))
    assert shlex.split(_sudo(profile, inner)) == ["sudo", "sh", "-c", inner]


def test_the_issues_domain_never_runs_its_touch_in_the_preflight():
    prod = ServerSettings(host="prod.test", profile="ubuntu")
    c = HostCommands(ISSUE_DOMAIN, prod, ServerSettings(host="m", profile="al2023"))
    command = c.lineage_check()
    assert shlex.split(command) == [
        "test", "-e", f"/etc/letsencrypt/live/{ISSUE_DOMAIN}/fullchain.pem", "&&",
        "test", "-f", f"/etc/letsencrypt/renewal/{ISSUE_DOMAIN}.conf"]
    runs_harmlessly(command.replace("touch${IFS}/tmp/pwned", f"echo>{CANARY}"))


@pytest.mark.parametrize("key, toml", [
    ("maintenance.domain", f'[maintenance]\ndomain = "{ISSUE_DOMAIN}"\n'),
    ("certificates.domains[1]",
     '[servers.prod]\nhost = "p"\n[certificates]\ndomains = ["ok.example.edu", "a b.test"]\n'),
    ("maintenance.domain", '[maintenance]\ndomain = "-lead.example.edu"\n'),
    ("maintenance.domain", '[maintenance]\ndomain = "trail-.example.edu"\n'),
    ("maintenance.domain", '[maintenance]\ndomain = "$(id).example.edu"\n'),
    ("maintenance.domain", f'[maintenance]\ndomain = "{"a" * 250}.edu"\n'),
    ("maintenance.domain", '[maintenance]\ndomain = "x.test\\nid"\n'),
    ("servers.prod.user", '[servers.prod]\nhost = "p"\nuser = "ubuntu;id"\n'),
])
def test_config_load_refuses_what_is_not_a_domain_name(tmp_path, key, toml):
    with pytest.raises(ConfigError) as caught:
        parse_settings(toml, tmp_path / "config.toml")
    message = str(caught.value)
    assert message.startswith(f"{tmp_path / 'config.toml'}: {key}: expected ")
    assert "\n" not in message.rstrip("'")


@pytest.mark.parametrize("domain", ["prime.example.edu", "PRIME.Example.EDU", "localhost",
                                    "xn--bcher-kva.example", "a-b.c-d.test", "127.0.0.1",
                                    "www.example.edu.", "*.example.edu"])
def test_config_load_accepts_domain_names(tmp_path, domain):
    settings = parse_settings(f'[maintenance]\ndomain = "{domain}"\n', tmp_path / "c.toml")
    assert settings.maintenance.domain == domain


def test_config_check_names_the_hostile_domain_in_one_sentence(tmp_path):
    env = private_env(tmp_path)
    config = tmp_path / "config.toml"
    config.write_text(f'[maintenance]\ndomain = "{ISSUE_DOMAIN}"\n')
    out = run_primetui("--config", str(config), "config", "check", env=env)
    assert out.returncode == 2
    assert_one_sentence(out.stderr)
    assert "maintenance.domain: expected a domain name" in out.stderr


@pytest.mark.services
def test_the_issues_payload_does_not_run_over_the_real_sshd(ssh_server_settings, tmp_path):
    from primetui.remote.runners import SshRunner
    from tests.fixtures.sshd import MustNotAsk

    # The issue's payload; `touch` would make the canary in the login's home (sshd's cwd).
    name = f"pwned-{secrets.token_hex(4)}"
    canary = Path(pwd.getpwnam(ssh_server_settings.user).pw_dir) / name
    domain = f"x.test;touch${{IFS}}{name};#"
    le = tmp_path / "le"
    server = dataclasses.replace(ssh_server_settings, paths={"letsencrypt": str(le),
                                                             "home": str(tmp_path)})
    c = HostCommands(domain, server, server)
    with SshRunner("prod", server, MustNotAsk()) as runner:
        missing = runner.run(c.lineage_check(), warn=True)
        assert not missing.ok  # no lineage for that name: the test ran, as a test
        (le / "live" / domain).mkdir(parents=True)
        (le / "live" / domain / "fullchain.pem").write_text("cert")
        (le / "renewal").mkdir()
        (le / "renewal" / f"{domain}.conf").write_text("conf")
        assert runner.run(c.lineage_check(), warn=True).ok  # the literal name was found
        runner.run(c.remove_certificates(), warn=True)
    assert not canary.exists()
    assert not (le / "live" / domain).exists()  # removed by its literal name
