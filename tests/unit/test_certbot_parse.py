"""certbot's output parsed, and the Certificates tab's pure judgements.

The sample outputs are certbot 2.1's own, captured against pebble (paths shortened); the
status variants are the ones certbot's cert_manager writes.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from primetui.certificates.auto_renew import cron_entry, timer_units
from primetui.certificates.certbot import (
    CertbotCertificate,
    RenewOutcome,
    Urgency,
    certbot_option,
    classify,
    find_mismatches,
    name_matches,
    normalise_serial,
    parse_certificates,
    parse_renew_output,
    parse_renewal_conf,
    renewal_cron_lines,
)
from primetui.certificates.probe import EndpointProbe, ProbeState, parse_address
from primetui.certificates.server import parse_status
from primetui.certificates.service import by_urgency, judge
from primetui.config import CertificateSettings

LISTING = """\
Saving debug log to /le/logs/letsencrypt.log

- - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - -
Found the following certs:
  Certificate Name: www.example.test
    Serial Number: 2dbee9d0edd570f7
    Key Type: ECDSA
    Domains: www.example.test alt.example.test
    Expiry Date: 2026-12-07 01:44:51+00:00 (VALID: 9 days)
    Certificate Path: /le/config/live/www.example.test/fullchain.pem
    Private Key Path: /le/config/live/www.example.test/privkey.pem
  Certificate Name: old.example.test
    Serial Number: 0fa
    Key Type: RSA
    Domains: old.example.test
    Expiry Date: 2024-01-02 03:04:05+00:00 (INVALID: EXPIRED)
    Certificate Path: /le/config/live/old.example.test/fullchain.pem
    Private Key Path: /le/config/live/old.example.test/privkey.pem
- - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - -
"""

RENEWED = """\
Processing /le/config/renewal/www.example.test.conf
Renewing an existing certificate for www.example.test and alt.example.test

- - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - -
Congratulations, all renewals succeeded: 
  /le/config/live/www.example.test/fullchain.pem (success)
- - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - -
"""  # noqa: W291 - certbot leaves the trailing space

NOT_DUE = """\
Processing /le/config/renewal/www.example.test.conf
Certificate not yet due for renewal

The following certificates are not due for renewal yet:
  /le/config/live/www.example.test/fullchain.pem expires on 2026-12-07 (skipped)
No renewals were attempted.
"""

DRY_RUN = """\
Processing /le/config/renewal/www.example.test.conf
Simulating renewal of an existing certificate for www.example.test and alt.example.test

Congratulations, all simulated renewals succeeded: 
  /le/config/live/www.example.test/fullchain.pem (success)
"""  # noqa: W291

CHALLENGE_FAILED = """\
Renewing an existing certificate for www.example.test and alt.example.test

Certbot failed to authenticate some domains (authenticator: webroot). The Certificate Authority reported these problems:
  Domain: www.example.test
  Type:   unauthorized
  Detail: Non-200 status code from HTTP: http://www.example.test:53675/.well-known/acme-challenge/3n_r returned 404

Hint: The Certificate Authority failed to download the temporary challenge files created by Certbot.
Failed to renew certificate www.example.test with error: Some challenges have failed.
All renewals failed. The following certificates could not be renewed:
  /le/config/live/www.example.test/fullchain.pem (failure)
1 renew failure(s), 0 parse failure(s)
Ask for help or search for solutions at https://community.letsencrypt.org. See the logfile /le/logs/letsencrypt.log or re-run Certbot with -v for more details.
"""

LOCKED = """\
Saving debug log to /le/logs/letsencrypt.log
Another instance of Certbot is already running.
Ask for help or search for solutions at https://community.letsencrypt.org. See the logfile /le/logs/letsencrypt.log or re-run Certbot with -v for more details.
"""


def expiry_line(status: str) -> str:
    return LISTING.replace("(VALID: 9 days)", f"({status})")


@pytest.mark.parametrize(("status", "valid", "detail"), [
    ("VALID: 1825 days", True, "1825 days"),
    ("VALID: 1 day", True, "1 day"),
    ("VALID: 5 hour(s)", True, "5 hour(s)"),
    ("INVALID: EXPIRED", False, "EXPIRED"),
    ("INVALID: TEST_CERT", False, "TEST_CERT"),
    ("INVALID: REVOKED", False, "REVOKED"),
    ("INVALID: TEST_CERT, EXPIRED", False, "TEST_CERT, EXPIRED"),
])
def test_every_status_variant_is_parsed_with_its_timestamp(status, valid, detail) -> None:
    cert = parse_certificates(expiry_line(status)).certificates[0]
    assert (cert.valid, cert.detail) == (valid, detail)
    assert cert.expiry == datetime(2026, 12, 7, 1, 44, 51, tzinfo=UTC)


def test_listing_gives_name_domains_serial_key_and_paths() -> None:
    www, old = parse_certificates(LISTING).certificates
    assert www == CertbotCertificate(
        name="www.example.test", domains=("www.example.test", "alt.example.test"),
        expiry=datetime(2026, 12, 7, 1, 44, 51, tzinfo=UTC), valid=True, detail="9 days",
        serial="2dbee9d0edd570f7", key_type="ECDSA",
        cert_path="/le/config/live/www.example.test/fullchain.pem",
        key_path="/le/config/live/www.example.test/privkey.pem")
    assert old.serial == "fa" and not old.valid and old.detail == "EXPIRED"


def test_no_certificates_and_invalid_renewal_configs() -> None:
    assert parse_certificates("Saving debug log to x\nNo certificates found.\n").certificates == ()
    listing = parse_certificates(LISTING + "\nThe following renewal configurations were invalid:\n"
                                 "  /le/config/renewal/broken.conf\n")
    assert listing.invalid_configs == ("/le/config/renewal/broken.conf",)
    assert len(listing.certificates) == 2


def test_for_domain_picks_the_lineage_that_expires_last() -> None:
    newer = LISTING.replace("Domains: old.example.test", "Domains: www.example.test").replace(
        "2024-01-02 03:04:05", "2027-01-02 03:04:05")
    assert parse_certificates(newer).for_domain("www.example.test").name == "old.example.test"
    assert parse_certificates(LISTING).for_domain("alt.example.test").name == "www.example.test"
    assert parse_certificates(LISTING).for_domain("nope.example.test") is None


@given(st.text())
def test_parsers_never_raise_on_any_text(text: str) -> None:
    parse_certificates(text)
    parse_renew_output(text, 1)
    parse_renewal_conf("x", text)


def test_serials_are_normalised_like_the_probe_writes_them() -> None:
    assert normalise_serial("00:0F:A1") == "fa1" == format(0xFA1, "x")
    assert normalise_serial("0x00") == "0"


def test_renewal_conf_gives_authenticator_port_and_webroot() -> None:
    webroot = parse_renewal_conf("www", (
        "# renew_before_expiry = 30 days\nversion = 2.1.0\n[renewalparams]\n"
        "server = https://127.0.0.1:14000/dir\nauthenticator = webroot\n"
        "webroot_path = /var/www/certbot,\nrenew_hook = systemctl reload nginx\n"
        "[[webroot_map]]\nwww.example.test = /var/www/certbot\n"))
    assert webroot.authenticator == "webroot" and webroot.webroot_paths == ("/var/www/certbot",)
    assert webroot.renew_before_expiry is None and webroot.deploy_hook == "systemctl reload nginx"
    standalone = parse_renewal_conf("s", "renew_before_expiry = 1 days\n[renewalparams]\n"
                                         "authenticator = standalone\nhttp01_port = 8080\n")
    assert (standalone.authenticator, standalone.http01_port) == ("standalone", 8080)
    assert standalone.renew_before_expiry == "1 days"


@pytest.mark.parametrize(("output", "code", "outcome", "renewed", "not_due"), [
    (RENEWED, 0, RenewOutcome.RENEWED, ("www.example.test",), ()),
    (NOT_DUE, 0, RenewOutcome.NOT_DUE, (), ("www.example.test",)),
    (DRY_RUN, 0, RenewOutcome.SIMULATED, ("www.example.test",), ()),
    ("No renewals were attempted.\n", 0, RenewOutcome.NOT_DUE, (), ()),
])
def test_renew_outcomes_are_told_apart(output, code, outcome, renewed, not_due) -> None:
    summary = parse_renew_output(output, code)
    assert (summary.outcome, summary.renewed, summary.not_due) == (outcome, renewed, not_due)
    assert summary.reason == ""


def test_failed_challenge_is_one_sentence_with_the_cas_reason() -> None:
    summary = parse_renew_output(CHALLENGE_FAILED, 1, host="prod")
    assert summary.outcome is RenewOutcome.FAILED and summary.failed == ("www.example.test",)
    # The domain's own HTTP address, never the SSH endpoint ("prod").
    assert summary.reason.startswith("The ACME server could not fetch the HTTP-01 challenge "
                                     "from http://www.example.test/.well-known/acme-challenge/: "
                                     "Non-200 status code")
    assert "prod" not in summary.reason
    assert "returned 404; check that nginx serves /.well-known/acme-challenge/" in summary.reason
    assert summary.problems[0] == "Domain: www.example.test"


@pytest.mark.parametrize(("output", "code", "reason"), [
    (LOCKED, 1, "certbot is already running on prod (another run holds its lock); try again "
                "when it has finished"),
    ("Could not bind TCP port 80 because it is already in use by another process", 1,
     "certbot could not listen on port 80 on prod: something still holds it; stop it (see "
     "`ss -ltnp`) and try again"),
    ("No certificate found with name nope.test (expected /le/renewal/nope.test.conf).", 1,
     "certbot on prod has no certificate named nope.test"),
    ("sh: 1: certbot: not found", 127,
     "certbot is not installed on prod (or certificates.certbot names the wrong command)"),
    ("Saving debug log to x\nSomething odd happened.\nAsk for help or search for solutions", 1,
     "certbot renew failed on prod: Something odd happened"),
])
def test_each_failure_cause_is_its_own_sentence(output, code, reason) -> None:
    summary = parse_renew_output(output, code, host="prod")
    assert summary.outcome is RenewOutcome.FAILED and summary.reason == reason


def test_partial_success_is_a_failure_that_lists_both() -> None:
    text = ("The following renewals succeeded:\n  /le/live/a.test/fullchain.pem (success)\n\n"
            "The following renewals failed:\n  /le/live/b.test/fullchain.pem (failure)\n")
    summary = parse_renew_output(text, 1)
    assert summary.outcome is RenewOutcome.FAILED
    assert (summary.renewed, summary.failed) == (("a.test",), ("b.test",))


@pytest.mark.parametrize(("days", "urgency"), [
    (None, Urgency.UNKNOWN), (-1, Urgency.EXPIRED), (0, Urgency.CRITICAL),
    (7, Urgency.CRITICAL), (8, Urgency.WARNING), (21, Urgency.WARNING), (22, Urgency.OK),
])
def test_urgency_follows_warn_and_critical_days(days, urgency) -> None:
    assert classify(days, warn_days=21, critical_days=7) is urgency


def test_names_match_exactly_or_by_one_label_wildcard() -> None:
    assert name_matches("WWW.Example.test.", ["www.example.test"])
    assert name_matches("www.example.test", ["*.example.test"])
    assert not name_matches("a.www.example.test", ["*.example.test"])
    assert not name_matches("example.test", ["*.example.test"])


NOW = datetime(2026, 11, 27, tzinfo=UTC)
DISK = CertbotCertificate("www", ("www.example.test",), NOW + timedelta(days=89), True,
                          "89 days", serial="bbb")


def test_served_older_than_disk_means_nginx_was_not_reloaded() -> None:
    found = find_mismatches("www.example.test", served_serial="aaa", on_disk=DISK,
                            served_not_after=NOW + timedelta(days=5),
                            served_names=("www.example.test",))
    assert found == ("serves serial aaa (expires 2026-12-02) but certbot renewed it as bbb "
                     "(expires 2027-02-24): nginx was not reloaded",)


def test_served_other_name_and_other_certificate_are_flagged() -> None:
    found = find_mismatches("www.example.test", served_serial="ccc", on_disk=DISK,
                            served_not_after=NOW + timedelta(days=200),
                            served_names=("other.example.test",))
    assert found == ("serves a certificate for other.example.test, not www.example.test",
                     "serves serial ccc, not certbot's bbb (www)")
    assert find_mismatches("www.example.test", served_serial="bbb", on_disk=DISK,
                           served_not_after=DISK.expiry, served_names=("www.example.test",)) == ()


def test_certbot_option_reads_either_spelling() -> None:
    assert certbot_option("X=1 certbot --config-dir /le/config --work-dir w", "--config-dir") == "/le/config"
    assert certbot_option("certbot --config-dir '/le/x' renew", "--config-dir") == "/le/x"
    assert certbot_option("certbot --config-dir=/le", "--config-dir") == "/le"
    assert certbot_option("certbot renew", "--config-dir") is None


def test_cron_lines_count_only_for_the_same_config_dir() -> None:
    debian = ("0 */12 * * * root test -x /usr/bin/certbot -a \\! -d /run/systemd/system && "
              "perl -e 'sleep int(rand(43200))' && certbot -q renew --no-random-sleep-on-renew")
    private = "17 3 * * * root certbot --config-dir /srv/le -q renew"
    text = f"# {private}\n{debian}\n{private}\n0 1 * * * root /usr/bin/backup\n"
    assert renewal_cron_lines(text, None) == (debian,)
    assert renewal_cron_lines(text, "/etc/letsencrypt/") == (debian,)
    assert renewal_cron_lines(text, "/srv/le") == (private,)


def test_cron_entry_escapes_percent_and_units_quote_for_systemd() -> None:
    assert cron_entry("certbot renew --post-hook 'date +%s'", "root").splitlines()[-1] == (
        "17 3,15 * * * root sleep $(shuf -i 0-3599 -n 1) && certbot renew --post-hook 'date +\\%s'")
    service, timer = timer_units('A="x y" certbot renew --pre-hook "echo $HOME 100%"')
    assert 'ExecStart=/bin/sh -c "A=\\"x y\\" certbot renew --pre-hook \\"echo $$HOME 100%%\\""' in service
    assert "OnCalendar=" in timer and "Persistent=true" in timer


def status_output(systemd: str = "none", cron: str = "", crond: str = "stopped") -> str:
    return (f"@@@primetui certificates\n{LISTING}@@@primetui certbot-exit 0\n"
            "@@@primetui renewal /le/config/renewal/www.example.test.conf\n"
            "[renewalparams]\nauthenticator = standalone\nhttp01_port = 8080\n"
            "@@@primetui hooks\nprimetui-reload-nginx\n"
            f"@@@primetui systemd\n{systemd}\n@@@primetui cron\n{cron}\n@@@primetui crond\n{crond}\n")


def test_status_sections_are_read_into_one_result() -> None:
    status = parse_status(status_output("certbot.timer active\nprimetui-certbot-renew.timer inactive"),
                          server="prod", host="h:22", config_dir="/le/config")
    assert [c.name for c in status.listing.certificates] == ["www.example.test", "old.example.test"]
    assert status.conf("www.example.test").http01_port == 8080
    auto = status.auto_renewal
    assert auto.systemd and auto.timers == ("certbot.timer",) and auto.active
    assert auto.deploy_hooks == ("primetui-reload-nginx",)
    assert auto.describe().startswith("Automatic renewal is on: systemd timer certbot.timer")


def test_a_cron_entry_without_a_cron_daemon_is_not_automatic_renewal() -> None:
    line = "17 3 * * * root certbot --config-dir /le/config -q renew"
    off = parse_status(status_output(cron=line), server="p", host="h", config_dir="/le/config")
    assert off.auto_renewal.cron_lines == (line,) and not off.auto_renewal.active
    assert "no cron daemon is running" in off.auto_renewal.describe()
    on = parse_status(status_output(cron=line, crond="running"), server="p", host="h",
                      config_dir="/le/config")
    assert on.auto_renewal.active


def test_status_of_a_missing_certbot_is_one_sentence() -> None:
    from primetui.errors import RemoteError

    text = "@@@primetui certificates\nsh: 1: certbot: not found\n@@@primetui certbot-exit 127\n"
    with pytest.raises(RemoteError, match=r"^certbot is not installed on h \(or certificates"):
        parse_status(text, server="p", host="h", config_dir="/le")


def test_addresses_parse_with_default_port() -> None:
    assert parse_address("example.test") == ("example.test", 443)
    assert parse_address("127.0.0.1:8443") == ("127.0.0.1", 8443)
    assert parse_address("[::1]:8443") == ("::1", 8443)


def probe(domain: str, state: ProbeState, days: int | None, serial: str | None = "aaa") -> EndpointProbe:
    return EndpointProbe(domain, f"{domain}:443", state, f"{domain} {state}", days_left=days,
                         serial=serial, names=(domain,),
                         not_after=NOW + timedelta(days=days) if days is not None else None)


def test_rows_are_judged_and_ordered_most_urgent_first() -> None:
    settings = CertificateSettings(warn_days=21, critical_days=7)
    rows = [judge("ok.test", probe("ok.test", ProbeState.OK, 60), None, None, settings, NOW),
            judge("warn.test", probe("warn.test", ProbeState.OK, 15), None, None, settings, NOW),
            judge("down.test", probe("down.test", ProbeState.UNREACHABLE, None, None), None,
                  None, settings, NOW),
            judge("crit.test", probe("crit.test", ProbeState.OK, 3), None, None, settings, NOW),
            judge("gone.test", probe("gone.test", ProbeState.EXPIRED, -2), None, None, settings, NOW)]
    ordered = by_urgency(rows)
    assert [r.domain for r in ordered] == ["gone.test", "down.test", "crit.test", "warn.test",
                                           "ok.test"]
    assert [r.urgency for r in ordered] == [Urgency.EXPIRED, Urgency.ERROR, Urgency.CRITICAL,
                                            Urgency.WARNING, Urgency.OK]
    assert ordered[1].note == "down.test unreachable"


def test_unreachable_endpoint_shows_days_left_from_disk() -> None:
    row = judge("www.example.test", probe("www.example.test", ProbeState.TIMED_OUT, None, None),
                DISK, "webroot", CertificateSettings(), NOW)
    assert row.days_left == 89 and row.urgency is Urgency.ERROR and row.authenticator == "webroot"


def test_a_mismatch_makes_an_otherwise_fine_row_a_warning() -> None:
    row = judge("www.example.test", probe("www.example.test", ProbeState.OK, 60, "old"), DISK,
                None, CertificateSettings(), NOW)
    assert row.urgency is Urgency.WARNING and row.mismatches
