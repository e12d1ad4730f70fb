"""Which server a hand-off goes to, and how $EDITOR and $PAGER are read."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from primetui.config import CertificateSettings, MaintenanceSettings, ServerSettings, Settings
from primetui.errors import PrimeError
from primetui.findings.model import Finding
from primetui.ui.handoff import editor_argv, pager_argv, selected_server


@dataclass
class StandInTable:
    selected_key: str | None


@dataclass
class StandInBody:
    """A tab body as `selected_server` reads it: a finding (Overview) or a table."""

    selected: Finding | None = None
    table: StandInTable | None = None


@dataclass
class StandInShell:
    """The shell's two answers `selected_server` needs: the tab shown and its body."""

    active_tab: str
    shown: StandInBody | None = None

    def body(self, tab_id: str) -> StandInBody | None:
        return self.shown


def lab(**servers: ServerSettings) -> Settings:
    return Settings(servers=servers, certificates=CertificateSettings(server="prod"),
                    maintenance=MaintenanceSettings(prod="prod"))


PROD = ServerSettings(host="prod.example.edu", instance="i-0prod")
STAGING = ServerSettings(host="staging.example.edu", instance="i-0staging")


def test_certificates_and_maintenance_hand_off_to_their_configured_server() -> None:
    settings = lab(prod=PROD, staging=STAGING)
    assert selected_server(StandInShell("certificates"), settings) == "prod"
    assert selected_server(StandInShell("maintenance"), settings) == "prod"


def test_an_ssh_host_finding_on_the_overview_names_its_server() -> None:
    finding = Finding("warning", "hosts", "staging cannot be reached", subject="staging")
    shell = StandInShell("overview", StandInBody(selected=finding))
    assert selected_server(shell, lab(prod=PROD, staging=STAGING)) == "staging"


def test_an_instance_row_hands_off_to_the_server_that_is_that_instance() -> None:
    shell = StandInShell("instances", StandInBody(table=StandInTable("i-0staging")))
    assert selected_server(shell, lab(prod=PROD, staging=STAGING)) == "staging"
    other = StandInShell("instances", StandInBody(table=StandInTable("i-0other")))
    with pytest.raises(PrimeError, match="i-0other is not one of the configured servers"):
        selected_server(other, lab(prod=PROD, staging=STAGING))


def test_elsewhere_the_only_server_is_meant_and_two_need_a_choice() -> None:
    assert selected_server(StandInShell("backups"), lab(prod=PROD)) == "prod"
    with pytest.raises(PrimeError, match="^Select a server first"):
        selected_server(StandInShell("backups"), lab(prod=PROD, staging=STAGING))


def test_a_server_without_an_address_yet_is_refused_in_one_sentence() -> None:
    settings = lab(prod=ServerSettings(host=""))
    with pytest.raises(PrimeError, match="has no address yet"):
        selected_server(StandInShell("certificates"), settings)


def test_editor_is_visual_then_editor_then_vi_with_its_own_arguments() -> None:
    path = Path("/tmp/c.toml")
    assert editor_argv(path, {"VISUAL": "code --wait", "EDITOR": "nano"}) == \
        ["code", "--wait", "/tmp/c.toml"]
    assert editor_argv(path, {"EDITOR": "nano -w"}) == ["nano", "-w", "/tmp/c.toml"]
    assert editor_argv(path, {}) == ["vi", "/tmp/c.toml"]
    with pytest.raises(PrimeError, match="not a command line"):
        editor_argv(path, {"EDITOR": "vim '"})


def test_pager_is_pager_else_less() -> None:
    assert pager_argv({"PAGER": "less -R"}) == ["less", "-R"]
    assert pager_argv({}) == ["less"]


def test_certbot_on_this_machine_is_said_not_looked_up() -> None:
    settings = Settings(servers={"prod": PROD}, certificates=CertificateSettings(server="local"))
    with pytest.raises(PrimeError, match=r'^That server is this machine \("local"\)'):
        selected_server(StandInShell("certificates"), settings)
