"""How the `:` command line reads what was typed (the palette's commands and their words)."""

from __future__ import annotations

from primetui.ui.palette import PaletteCommand, command_words, resolve_command


def command(name: str, *words: str, tab: str = "") -> PaletteCommand:
    return PaletteCommand(name, "", lambda: None, words, tab)


COMMANDS = [
    command("Show Instances", "instances"),
    command("Show Certificates", "certificates", "certs"),
    command("Certificates: Renew", "renew", "certificates.renew", tab="certificates"),
    command("Certificates: Details", "show_details", "details", tab="certificates"),
    command("Instances: Details", "details", "instances.details", tab="instances"),
    command("Instances: Start", "start", tab="instances"),
    command("Quit", "q", "quit"),
]


def test_an_exact_word_names_its_command_from_any_tab() -> None:
    assert resolve_command(":renew", COMMANDS, "overview").name == "Certificates: Renew"
    assert resolve_command("instances", COMMANDS).name == "Show Instances"
    assert resolve_command(":q", COMMANDS).name == "Quit"
    assert resolve_command("  CERTS ", COMMANDS).name == "Show Certificates"


def test_a_word_several_tabs_have_means_the_current_tabs() -> None:
    assert resolve_command("details", COMMANDS, "instances").name == "Instances: Details"
    assert resolve_command("details", COMMANDS, "certificates").name == "Certificates: Details"
    said = resolve_command("details", COMMANDS, "overview")
    assert said == ("':details' could mean Certificates: Details, Instances: Details; type "
                    "more of it.")


def test_the_start_of_a_word_is_enough_when_only_one_command_has_it() -> None:
    assert resolve_command("ren", COMMANDS).name == "Certificates: Renew"
    assert resolve_command("sta", COMMANDS).name == "Instances: Start"


def test_nothing_typed_or_nothing_matching_is_one_sentence() -> None:
    assert resolve_command(":", COMMANDS).startswith("Type a command")
    assert resolve_command("zzz", COMMANDS) == ("':zzz' is not a command here (ctrl+p lists "
                                                "every action; :help the keys).")


def test_suggestions_are_every_word_shortest_first() -> None:
    words = command_words(COMMANDS)
    assert words[0] == "q" and "certificates.renew" in words
    assert len(words) == len(set(words))
