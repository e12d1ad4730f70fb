"""certbot's lineages read from its files (the cheap watch), parsed without certbot.

tests/data/certbot_files/ holds real output, captured by scripts/capture_certbot_files.py
from files certbot 2.1 wrote against pebble: a good lineage, an expired one, one whose
cert link is broken and one whose renewal conf was removed; `certificates.txt` is
certbot's own listing of the same directory a moment later. The shell part runs here on
a scratch directory with plain `sh` (no service needed).
"""

from __future__ import annotations

import subprocess
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from primetui.certificates.certbot import parse_certificates
from primetui.certificates.lineage_files import (
    LineageFiles,
    lineage_lines,
    listing_from_files,
    split_lineages,
    validity,
)
from primetui.certificates.server import parse_status, status_script
from primetui.config import CertificateSettings

DATA = Path(__file__).parent.parent / "data" / "certbot_files"
FILES = (DATA / "files.txt").read_text(encoding="utf-8")
CERTBOT = (DATA / "certificates.txt").read_text(encoding="utf-8")
CAPTURED = datetime.fromisoformat((DATA / "captured_at.txt").read_text().strip())


def from_files(text: str = FILES, now: datetime = CAPTURED):
    return parse_status(text, server="prod", host="prod:22", config_dir="/le/config", now=now)


def test_the_files_read_lists_exactly_what_certbot_lists() -> None:
    status = from_files()
    assert not status.by_certbot
    assert status.config_dir == "/le/config"
    assert status.listing == parse_certificates(CERTBOT)
    assert {c.name for c in status.renewal} == {"www.example.test", "old.example.test",
                                               "broken.example.test"}


def test_an_expired_certificate_is_invalid_expired_and_was_valid_for_hours_before() -> None:
    old = from_files().listing.for_domain("old.example.test")
    assert old is not None and not old.valid and old.detail == "EXPIRED"
    assert old.expiry is not None and old.expiry.tzinfo is not None
    earlier = from_files(now=old.expiry - timedelta(hours=3, minutes=5))
    before = earlier.listing.for_domain("old.example.test")
    assert before is not None and before.valid and before.detail == "3 hour(s)"


def test_a_broken_cert_link_makes_the_renewal_conf_invalid_as_certbot_says() -> None:
    listing = from_files().listing
    assert listing.for_domain("broken.example.test") is None
    assert listing.invalid_configs == ("/le/config/renewal/broken.example.test.conf",)
    [broken] = [lin for lin in split_lineages(sections(FILES)) if lin.name == "broken.example.test"]
    assert broken.problem() == ("cert /le/config/live/broken.example.test/cert.pem is "
                                "broken link")


def test_a_lineage_without_its_renewal_conf_is_not_listed() -> None:
    assert "orphan" not in FILES  # the script only follows renewal confs, as certbot does
    assert from_files().listing.for_domain("orphan.example.test") is None


def test_a_staging_server_makes_a_test_cert() -> None:
    staged = FILES.replace("server = https://127.0.0.1:", "server = https://staging.127.0.0.1:")
    www = from_files(staged).listing.for_domain("www.example.test")
    assert www is not None and not www.valid and www.detail == "TEST_CERT"


@pytest.mark.parametrize("days, words", [(0.5, "12 hour(s)"), (1.2, "1 day"), (9.5, "9 days")])
def test_validity_words_are_certbots(days: float, words: str) -> None:
    now = datetime(2026, 1, 1, tzinfo=CAPTURED.tzinfo)
    assert validity(now + timedelta(days=days), None, now) == (True, words)


def test_a_cert_that_is_not_a_certificate_is_an_invalid_conf_not_a_crash() -> None:
    junk = LineageFiles("/le/config/renewal/junk.conf",
                        {k: ("present", f"/le/{k}.pem") for k in ("cert", "privkey", "chain",
                                                                  "fullchain")},
                        "-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----")
    listing = listing_from_files([junk], {})
    assert listing.certificates == () and listing.invalid_configs == (junk.conf_path,)


def test_a_conf_naming_no_cert_is_invalid() -> None:
    unset = LineageFiles("/le/config/renewal/x.conf", {"cert": ("unset", "")})
    assert unset.problem() == "cert (not set) is not set"
    assert listing_from_files([unset], {}).invalid_configs == ("/le/config/renewal/x.conf",)


def test_without_the_files_marker_a_failed_certbot_still_raises() -> None:
    from primetui.errors import RemoteError

    with pytest.raises(RemoteError, match="certbot certificates"):
        parse_status("@@@primetui certificates\nboom\n@@@primetui certbot-exit 1\n",
                     server="prod", host="prod:22", config_dir="/le")


# -- the shell part, on a scratch directory ------------------------------------------------

def sections(text: str) -> list[tuple[str, list[str]]]:
    found: list[tuple[str, list[str]]] = []
    for line in text.splitlines():
        if line.startswith("@@@primetui "):
            found.append((line[len("@@@primetui "):], []))
        elif found:
            found[-1][1].append(line)
    return found


def run_lines(config: Path) -> str:
    script = "\n".join([f"le='{config}'", *lineage_lines('"$le"')])
    return subprocess.run(["sh", "-c", script], capture_output=True, text=True, check=True,
                          timeout=30).stdout


def test_the_script_prints_only_the_first_certificate_block_of_what_the_conf_names(
        tmp_path: Path) -> None:
    config = tmp_path / "le dir" / "config"  # a space in the path, too
    (config / "renewal").mkdir(parents=True)
    secret = tmp_path / "privkey.pem"
    secret.write_text("-----BEGIN PRIVATE KEY-----\nSECRET\n-----END PRIVATE KEY-----\n"
                      "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"
                      "-----BEGIN CERTIFICATE-----\nBBBB\n-----END CERTIFICATE-----\n")
    (config / "renewal" / "hostile.conf").write_text(
        f"cert = {secret}  \nprivkey = {secret}\nchain = {tmp_path}/gone.pem\n")
    out = run_lines(config)
    assert "SECRET" not in out and "BBBB" not in out and "AAAA" in out
    [lineage] = split_lineages(sections(out))
    assert lineage.name == "hostile"
    assert lineage.files["cert"] == ("present", str(secret))
    assert lineage.files["chain"] == ("missing", f"{tmp_path}/gone.pem")
    assert lineage.files["fullchain"] == ("unset", "")
    assert lineage.problem() == f"chain {tmp_path}/gone.pem is missing"


def test_the_files_script_never_runs_certbot() -> None:
    settings = CertificateSettings(certbot="certbot-wrapper --config-dir /x")
    script = status_script(settings, "/etc/letsencrypt", from_files=True)
    assert "certbot-wrapper" not in script and "certificates" not in script.split("\n")[0]
    assert script.splitlines()[0] == "echo '@@@primetui files'"
    assert "certbot-wrapper --config-dir /x certificates" in status_script(settings, "/x")
