"""`primetui certs list|renew` as a script calls them: a subprocess against real services."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from primetui.certificates.probe import probe_endpoint
from primetui.config import Settings, parse_settings, to_document, write_document
from primetui.sandbox.acme import PebbleService
from primetui.sandbox.nginx import NginxService
from tests.fixtures.certificates_world import (
    Lineage,
    cert_settings,
    eventually,
    served_lineage,
    server_settings,
)

pytestmark = pytest.mark.services
DOMAIN = "www.cli.example.test"


@pytest.fixture(scope="module")
def lineage(nginx: NginxService, pebble: PebbleService) -> Iterator[Lineage]:
    with served_lineage(nginx, pebble, DOMAIN, "primetui-certs-cli-") as issued:
        yield issued


@pytest.fixture
def config(ssh_server_settings, nginx, lineage, tmp_path) -> Path:
    """A config file whose [servers.prod] is the test sshd and [certificates] the lineage."""
    settings = Settings(servers={"prod": server_settings(ssh_server_settings, nginx, lineage)},
                        certificates=cert_settings(nginx, lineage))
    file = tmp_path / "config.toml"
    write_document(to_document(settings), file)
    parse_settings(file.read_text(), file)  # what the CLI will read is a valid file
    return file


def primetui(config: Path, *args: str, tmp: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "XDG_STATE_HOME": str(tmp / "state"), "XDG_CONFIG_HOME": str(tmp)}
    return subprocess.run([sys.executable, "-m", "primetui", "--config", str(config), *args],
                          capture_output=True, text=True, timeout=180, env=env,
                          stdin=subprocess.DEVNULL)


def served(lineage: Lineage) -> str | None:
    return probe_endpoint(DOMAIN, lineage.address, ca_file=lineage.root / "issuer-root.pem").serial


def test_certs_list_json_shows_both_sides(config, lineage, tmp_path) -> None:
    done = primetui(config, "certs", "list", "--json", tmp=tmp_path)
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    (row,) = doc["domains"]
    assert row["domain"] == DOMAIN and row["urgency"] == "warning" and row["days_left"] == 9
    assert row["endpoint"]["state"] == "ok" and row["endpoint"]["verified"] is True
    assert row["endpoint"]["serial"] == row["on_disk"]["serial"] == served(lineage)
    assert row["on_disk"]["valid"] is True and row["authenticator"] == "webroot"
    assert doc["server"]["auto_renewal"]["active"] is False
    assert doc["server_error"] is None and doc["worst"] == "warning"


def test_certs_list_prints_a_table_and_the_renewal_state(config, tmp_path) -> None:
    done = primetui(config, "certs", "list", tmp=tmp_path)
    assert done.returncode == 0, done.stderr
    header, row = done.stdout.splitlines()[:2]
    assert header.split()[:3] == ["DOMAIN", "STATE", "DAYS"]
    assert row.split()[:3] == [DOMAIN, "warning", "9"] and "(VALID: 9 days)" in row
    assert "Automatic renewal is off" in done.stdout


def test_certs_list_with_an_unknown_host_key_still_shows_the_endpoint(config, tmp_path) -> None:
    empty = tmp_path / "known_hosts"
    empty.write_text("")
    settings = parse_settings(config.read_text(), config)
    prod = dataclasses.replace(settings.servers["prod"], known_hosts=empty)
    write_document(to_document(dataclasses.replace(settings, servers={"prod": prod})), config)
    done = primetui(config, "certs", "list", "--json", tmp=tmp_path)
    assert done.returncode == 1
    assert json.loads(done.stdout)["domains"][0]["endpoint"]["state"] == "ok"
    assert "is not known" in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert empty.read_text() == ""


def test_certs_renew_yes_renews_and_states_old_and_new_serial(config, lineage, tmp_path) -> None:
    before = served(lineage)
    done = primetui(config, "certs", "renew", DOMAIN, "--yes", tmp=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    after = eventually(lambda: served(lineage), lambda s: s != before)
    assert after != before
    assert "Congratulations, all renewals succeeded" in done.stdout  # certbot's own output
    assert done.stdout.rstrip().splitlines()[-1].startswith(
        f"Renewed: {DOMAIN}: renewed and served, serial {before} → {after}, expires ")


def test_certs_renew_without_yes_and_without_a_terminal_refuses(config, lineage, tmp_path) -> None:
    before = served(lineage)
    done = primetui(config, "certs", "renew", "--force", tmp=tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip() == ("primetui: Refusing to change anything without a terminal "
                                   "to ask on; pass --yes.")
    assert served(lineage) == before


def test_certs_renew_dry_run_needs_no_yes_and_changes_nothing(config, lineage, tmp_path) -> None:
    before = served(lineage)
    done = primetui(config, "certs", "renew", "--dry-run", tmp=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "--dry-run --server" in done.stdout
    assert done.stdout.rstrip().endswith("Dry run succeeded: the renewal would work; nothing "
                                         "was changed.")
    assert served(lineage) == before
    # Audited as a dry run, and shown as one by `primetui audit`.
    (entry,) = [json.loads(line) for line in
                (tmp_path / "state" / "primetui" / "audit.jsonl").read_text().splitlines()]
    assert entry["action"] == "certs.renew" and entry["dry_run"] is True
    audit = primetui(config, "audit", tmp=tmp_path)
    assert "(dry run)" in audit.stdout, audit.stdout + audit.stderr


def test_unknown_host_key_from_cron_names_the_command_that_trusts_it(config, tmp_path) -> None:
    empty = tmp_path / "known_hosts"
    empty.write_text("")
    settings = parse_settings(config.read_text(), config)
    prod = dataclasses.replace(settings.servers["prod"], known_hosts=empty)
    write_document(to_document(dataclasses.replace(settings, servers={"prod": prod})), config)
    check = primetui(config, "check", tmp=tmp_path)  # as cron runs it: no terminal
    assert check.returncode in (1, 2), check.stderr
    said = [line.strip() for line in check.stdout.splitlines() if "trust it with: " in line]
    (sentence,) = said  # once, in the SSH hosts finding (the certificates one points to it)
    assert sentence.startswith("It presents ssh-ed25519 SHA256:")
    command = sentence.split("trust it with: ", 1)[1].removesuffix(".")
    assert "its host key is not known yet" in check.stdout
    renew = primetui(config, "certs", "renew", "--dry-run", tmp=tmp_path)
    assert renew.returncode == 1 and len(renew.stderr.strip().splitlines()) == 1
    assert renew.stderr.strip().endswith(f"trust it with: {command}.")
    assert empty.read_text() == ""  # nothing trusted behind the lab's back
    # The command does what the sentence says: afterwards certbot's side is read.
    subprocess.run(["sh", "-c", command], check=True)
    listed = primetui(config, "certs", "list", "--json", tmp=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert json.loads(listed.stdout)["server"]["name"] == "prod"
