"""Choosing certbot's `--account` when a server holds several ACME accounts (pure logic)."""

from __future__ import annotations

import pytest

from primetui.certificates.accounts import choose_account, parse_accounts, server_path
from primetui.certificates.certbot import RenewalConf, parse_renewal_conf
from primetui.errors import RemoteError

PEBBLE = "https://127.0.0.1:14000/dir"
FOUND = ("/etc/letsencrypt/accounts/127.0.0.1:14000/dir/aaa/regr.json\n"
         "/etc/letsencrypt/accounts/127.0.0.1:14000/dir/bbb/regr.json\n"
         "/etc/letsencrypt/accounts/acme-v02.api.letsencrypt.org/directory/ccc/regr.json\n"
         "find: '/elsewhere': Permission denied\n")


def choose(confs, configured=None, *, on_command_line=True):
    return choose_account(configured=configured, accounts=parse_accounts(FOUND, "/etc/letsencrypt/"),
                          server=PEBBLE, confs=confs, host="prod",
                          server_on_command_line=on_command_line)


def test_accounts_are_grouped_by_the_server_directory_certbot_keeps_them_in() -> None:
    assert parse_accounts(FOUND, "/etc/letsencrypt") == {
        "127.0.0.1:14000/dir": ("aaa", "bbb"),
        "acme-v02.api.letsencrypt.org/directory": ("ccc",)}
    assert server_path(PEBBLE) == "127.0.0.1:14000/dir"


def test_renewal_conf_names_the_account_that_issued_it() -> None:
    conf = parse_renewal_conf("www", "version = 2.1.0\n[renewalparams]\naccount = aaa\n")
    assert conf.account == "aaa"


def test_one_account_for_the_server_passes_nothing() -> None:
    only = choose_account(configured=None, accounts={"127.0.0.1:14000/dir": ("aaa",)},
                          server=PEBBLE, confs=[RenewalConf("www", account="aaa")], host="prod",
                          server_on_command_line=True)
    assert only.options() == [] and only.reason == ""


def test_two_accounts_pass_the_one_that_issued_the_certificate() -> None:
    chosen = choose([RenewalConf("www", account="bbb")])
    assert chosen.options() == ["--account", "bbb"]
    assert chosen.reason == (f"certbot on prod has 2 ACME accounts for {PEBBLE}; using bbb, the "
                             f"one that issued www (its renewal conf), so certbot does not ask "
                             f"which.")


def test_the_configured_account_wins() -> None:
    chosen = choose([RenewalConf("www", account="bbb")], configured="aaa")
    assert chosen.options() == ["--account", "aaa"]
    assert chosen.reason == "certbot uses the ACME account aaa (certificates.account)."


def test_a_configured_account_certbot_does_not_have_is_refused() -> None:
    with pytest.raises(RemoteError, match=r"^certificates.account is zzz, but certbot on prod "
                                          r"has no such ACME account \(it has: aaa, bbb, ccc\)\.$"):
        choose([], configured="zzz")


def test_nothing_to_choose_by_is_one_sentence_naming_the_setting() -> None:
    with pytest.raises(RemoteError, match=r"\(aaa, bbb\) and nothing says which to use, so "
                                          r"certbot would stop to ask; set certificates.account"):
        choose([])


def test_certificates_from_different_accounts() -> None:
    confs = [RenewalConf("www", account="aaa"), RenewalConf("api", account="bbb")]
    # a real renewal: certbot reads each conf's own account, nothing to pass
    assert choose(confs, on_command_line=False).options() == []
    # --server on the command line: certbot would ask for each
    with pytest.raises(RemoteError, match="issued by different ones"):
        choose(confs)
