"""`primetui config show` names the `[keymap]` entries the app would leave out."""

from __future__ import annotations

import json

from tests.cli.cli_helpers import Home


def test_config_show_says_each_bad_keymap_entry_and_keeps_the_rest(home: Home) -> None:
    with home.config.open("a") as config:
        config.write('\n[keymap]\n"certificates.renew" = "N"\n"certificates.renw" = "M"\n'
                     '"app.refresh" = "ctlr+r"\n')
    done = home.run("config", "show")
    assert done.returncode == 0, done.stderr
    assert any(line.startswith("keymap.certificates.renew ") and line.endswith(" N  (config file)")
               for line in done.stdout.splitlines())
    assert done.stderr.splitlines() == [
        "primetui: [keymap]: 'certificates.renw' is not a key's id (did you mean "
        "'certificates.renew'?); it was ignored.",
        "primetui: [keymap]: app.refresh = 'ctlr+r' cannot be used: 'ctlr+r' has an unknown "
        "modifier 'ctlr' (expected ctrl, shift, alt, meta, super, hyper); the default key "
        "stays.",
    ]
    doc = json.loads(home.run("config", "show", "--json").stdout)
    assert len(doc["problems"]) == 2
    rows = {row["key"]: row["value"] for row in doc["settings"]}
    assert rows["keymap.certificates.renew"] == "N"


def test_config_show_is_quiet_about_a_good_keymap(home: Home) -> None:
    with home.config.open("a") as config:
        config.write('\n[keymap.instances]\nstop = "X"\n')
    done = home.run("config", "show", "--json")
    assert done.returncode == 0 and done.stderr == ""
    assert "problems" not in json.loads(done.stdout)
