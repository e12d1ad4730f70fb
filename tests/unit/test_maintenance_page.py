"""The maintenance page and its nginx conf: escaping, return times, and `nginx -t` on the conf."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from primetui.maintenance.page import (
    MARKER_HEADER,
    MARKER_META,
    ConfOptions,
    PageOptions,
    page_text,
    parse_return_time,
    render_conf,
    render_index,
    retry_after,
)
from primetui.sandbox.maintenance_host import make_lineage, prepare_maintenance_host
from primetui.sandbox.tools import find_binary
from tests.fixtures.common import require_binary

DOMAIN = "prime.example.test"
NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


def test_index_escapes_what_the_person_typed() -> None:
    page = render_index(PageOptions(message="Upgrading <db> & \"friends\"",
                                    contact="<script>alert(1)</script>"), DOMAIN)
    assert "Upgrading &lt;db&gt; &amp; &quot;friends&quot;" in page
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert MARKER_META in page


def test_index_links_an_email_contact_and_says_when_the_site_returns() -> None:
    back = datetime(2026, 3, 2, 18, 30, tzinfo=UTC)
    page = render_index(PageOptions(contact="it@lab.example.edu", return_at=back), DOMAIN)
    assert 'href="mailto:it@lab.example.edu"' in page
    assert f"{back.astimezone():%H:%M}" in page_text(page)


def test_page_text_reads_the_page_as_a_person_would() -> None:
    text = page_text(render_index(PageOptions(message="Back & better", contact="Call Ada"),
                                  DOMAIN))
    assert text.splitlines()[0] == "Scheduled maintenance"
    assert "Back & better" in text and "Call Ada" in text and "<" not in text


def test_retry_after_is_an_http_date_when_the_return_is_known() -> None:
    assert retry_after(None) == "3600"
    assert retry_after(datetime(2026, 3, 2, 18, 0, tzinfo=UTC)) == "Mon, 02 Mar 2026 18:00:00 GMT"


def test_conf_redirects_http_keeps_acme_and_answers_503_with_retry_after() -> None:
    conf = render_conf(ConfOptions(domain=DOMAIN), PageOptions())
    http, https = conf.split("\nserver {", 2)[1:]
    assert "return 301 https://$host$request_uri;" in http
    assert "/.well-known/acme-challenge/" in http and "/.well-known/acme-challenge/" in https
    assert "listen 443 ssl;" in https and "listen [::]:443 ssl;" in https
    assert f"ssl_certificate     /etc/letsencrypt/live/{DOMAIN}/fullchain.pem;" in https
    assert f"ssl_certificate_key /etc/letsencrypt/live/{DOMAIN}/privkey.pem;" in https
    assert "return 503;" in https and "error_page 503 /index.html;" in https
    assert 'add_header Retry-After "3600" always;' in https
    assert f'add_header {MARKER_HEADER} "{DOMAIN}" always;' in https
    assert "root /var/www/maintenance;" in https


@pytest.mark.parametrize(("text", "expected"), [
    ("", None),
    ("2h", NOW + timedelta(hours=2)),
    ("90m", NOW + timedelta(minutes=90)),
    ("1d", NOW + timedelta(days=1)),
])
def test_return_time_accepts_relative_times(text: str, expected: datetime | None) -> None:
    assert parse_return_time(text, NOW) == expected


def test_return_time_of_day_already_past_means_tomorrow() -> None:
    now = datetime(2026, 3, 2, 20, 0).astimezone()
    assert parse_return_time("18:30", now) == (now + timedelta(days=1)).replace(
        hour=18, minute=30)
    assert parse_return_time("2026-03-05 09:15", now) == datetime(2026, 3, 5, 9, 15).astimezone()


@pytest.mark.parametrize("text", ["soon", "25:00", "2026-13-01"])
def test_return_time_refuses_what_it_cannot_read(text: str) -> None:
    with pytest.raises(ValueError, match="return time|time of day"):
        parse_return_time(text, NOW)


def _nginx_test(tmp_path: Path, conf: str) -> subprocess.CompletedProcess[str]:
    nginx = find_binary("nginx")
    require_binary(nginx or "nginx")
    host = prepare_maintenance_host(tmp_path / "host")
    (host.prefix / "conf" / "conf.d" / "maintenance.conf").write_text(conf)
    return subprocess.run([nginx, "-p", f"{host.prefix}/", "-c", "conf/nginx.conf",
                           "-e", "logs/error.log", "-t"], capture_output=True, text=True,
                          check=False)


def _conf_for(tmp_path: Path) -> tuple[ConfOptions, Path]:
    le = tmp_path / "letsencrypt"
    options = ConfOptions(domain=DOMAIN, letsencrypt=str(le), root=str(tmp_path / "www"),
                          acme_root=str(tmp_path / "acme"),
                          http_listen=("127.0.0.1:18080",), https_listen=("127.0.0.1:18443",))
    return options, le


def test_nginx_accepts_the_generated_conf(tmp_path: Path) -> None:
    options, le = _conf_for(tmp_path)
    make_lineage(le, DOMAIN)
    done = _nginx_test(tmp_path, render_conf(options, PageOptions(
        return_at=datetime(2026, 3, 2, 18, 0, tzinfo=UTC))))
    assert done.returncode == 0, done.stderr
    assert "test is successful" in done.stderr


def test_nginx_refuses_the_conf_while_the_certificates_are_missing(tmp_path: Path) -> None:
    options, _le = _conf_for(tmp_path)
    done = _nginx_test(tmp_path, render_conf(options, PageOptions()))
    assert done.returncode != 0
    assert "fullchain.pem" in done.stderr
