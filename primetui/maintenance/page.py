"""The maintenance page and its nginx conf, as pure templates.

`render_index` writes the page a visitor sees (message, expected return, contact, all
HTML-escaped); `render_conf` writes the nginx server blocks the runbook asks for: HTTP
redirects to HTTPS except `/.well-known/acme-challenge/`, and every HTTPS path answers
the page with status 503, `Retry-After` and a header that marks it as the maintenance page
(the wizard's verification looks for it). No I/O happens here.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

MARKER_HEADER = "X-Maintenance-Page"
"""The header every maintenance answer carries (value: the domain)."""
MARKER_META = '<meta name="generator" content="primetui maintenance page">'
"""In the page itself, so the page is recognised even when the conf was edited."""
DEFAULT_MESSAGE = "The site is down for scheduled maintenance."
DEFAULT_RETRY_SECONDS = 3600


@dataclass(frozen=True)
class PageOptions:
    """What the page says: the message, when the site is expected back, whom to contact."""

    message: str = DEFAULT_MESSAGE
    return_at: datetime | None = None
    """When the site is expected back (aware datetime); None: "soon"."""
    contact: str = ""
    """An e-mail address or a sentence; an address becomes a mailto: link."""


@dataclass(frozen=True)
class ConfOptions:
    """Where the maintenance nginx listens and finds its files (defaults: a real AL2023 host)."""

    domain: str
    letsencrypt: str = "/etc/letsencrypt"
    root: str = "/var/www/maintenance"
    acme_root: str = "/var/www/certbot"
    http_listen: tuple[str, ...] = ("80", "[::]:80")
    https_listen: tuple[str, ...] = ("443", "[::]:443")


def retry_after(return_at: datetime | None) -> str:
    """The Retry-After value: an HTTP date when the return is known, else seconds."""
    if return_at is None:
        return str(DEFAULT_RETRY_SECONDS)
    return format_datetime(return_at.astimezone(UTC), usegmt=True)


def _when_text(return_at: datetime | None) -> str:
    if return_at is None:
        return "We expect to be back soon."
    local = return_at.astimezone()
    return f"We expect to be back by {local:%A %d %B %Y, %H:%M %Z}."


_EMAIL = re.compile(r"^[^@\s<>\"']+@[^@\s<>\"']+\.[A-Za-z]{2,}$")


def _contact_html(contact: str) -> str:
    text = contact.strip()
    if not text:
        return ""
    if _EMAIL.match(text):
        link = html.escape(text, quote=True)
        return f'    <p>Questions? Write to <a href="mailto:{link}">{link}</a>.</p>\n'
    return f"    <p>{html.escape(text)}</p>\n"


def render_index(options: PageOptions, domain: str) -> str:
    """The page's HTML: every value the person typed is escaped."""
    title = html.escape(f"{domain or 'The site'}: scheduled maintenance")
    message = html.escape(options.message.strip() or DEFAULT_MESSAGE)
    return (
        "<!doctype html>\n"
        '<html lang="en">\n'
        "<head>\n"
        '    <meta charset="utf-8">\n'
        '    <meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"    {MARKER_META}\n"
        f"    <title>{title}</title>\n"
        "    <style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:4rem auto;"
        "padding:0 1rem;line-height:1.5;color:#222}h1{font-size:1.6rem}</style>\n"
        "</head>\n"
        "<body>\n"
        "    <h1>Scheduled maintenance</h1>\n"
        f"    <p>{message}</p>\n"
        f"    <p>{html.escape(_when_text(options.return_at))}</p>\n"
        f"{_contact_html(options.contact)}"
        "</body>\n"
        "</html>\n")


def page_text(index_html: str) -> str:
    """The page as plain text (for a preview in the terminal): tags dropped, entities read."""
    body = index_html.split("<body>", 1)[-1]
    body = re.sub(r"(?is)<(style|script)[^>]*>.*?</\1>", "", body)
    lines = []
    for block in re.split(r"(?i)</(?:h\d|p|div|li)>|<br\s*/?>", body):
        text = html.unescape(re.sub(r"<[^>]+>", "", block))
        text = " ".join(text.split())
        if text:
            lines.append(text)
    return "\n\n".join(lines)


def _listen(values: tuple[str, ...], suffix: str = "") -> str:
    return "".join(f"    listen {v}{suffix};\n" for v in values)


def render_conf(conf: ConfOptions, page: PageOptions) -> str:
    """The nginx conf: HTTP → HTTPS (ACME challenge kept), every HTTPS path → 503 + the page."""
    d = conf.domain
    live = f"{conf.letsencrypt}/live/{d}"
    after = retry_after(page.return_at)
    acme = (f"    location ^~ /.well-known/acme-challenge/ {{\n"
            f"        root {conf.acme_root};\n"
            f"        default_type text/plain;\n"
            f"    }}\n")
    return (
        f"# Maintenance page for {d}, written by primetui. Every path answers 503 with the page.\n"
        "server {\n"
        f"{_listen(conf.http_listen)}"
        f"    server_name {d};\n"
        f"{acme}"
        "    location / {\n"
        "        return 301 https://$host$request_uri;\n"
        "    }\n"
        "}\n"
        "\n"
        "server {\n"
        f"{_listen(conf.https_listen, ' ssl')}"
        f"    server_name {d};\n"
        f"    ssl_certificate     {live}/fullchain.pem;\n"
        f"    ssl_certificate_key {live}/privkey.pem;\n"
        f"    root {conf.root};\n"
        f"{acme}"
        "    error_page 503 /index.html;\n"
        "    location = /index.html {\n"
        "        internal;\n"
        "        default_type text/html;\n"
        f'        add_header Retry-After "{after}" always;\n'
        '        add_header Cache-Control "no-store" always;\n'
        f'        add_header {MARKER_HEADER} "{d}" always;\n'
        "    }\n"
        "    location / {\n"
        "        return 503;\n"
        "    }\n"
        "}\n")


_RELATIVE = re.compile(r"^\s*(\d+)\s*([mhd])\s*$", re.IGNORECASE)
_FORMATS = ("%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d")


def parse_return_time(text: str, now: datetime) -> datetime | None:
    """'2h', '90m', '1d', '18:30' (today, or tomorrow if past), '2025-06-01 18:00' → datetime.

    Empty text means unknown (None). Times without a zone are local. Raises ValueError with
    a sentence for anything else.
    """
    text = text.strip()
    if not text:
        return None
    now = now.astimezone()
    m = _RELATIVE.match(text)
    if m:
        unit = {"m": "minutes", "h": "hours", "d": "days"}[m.group(2).lower()]
        return now + timedelta(**{unit: int(m.group(1))})
    if re.fullmatch(r"\d{1,2}:\d{2}", text):
        hour, minute = (int(v) for v in text.split(":"))
        if hour > 23 or minute > 59:
            raise ValueError(f"'{text}' is not a time of day.")
        when = now.replace(hour=hour, minute=minute, second=0, microsecond=0)
        return when if when > now else when + timedelta(days=1)
    for fmt in _FORMATS:
        try:
            return datetime.strptime(text, fmt).astimezone()
        except ValueError:
            continue
    raise ValueError(f"'{text}' is not a return time: use e.g. 2h, 18:30 or 2025-06-01 18:00.")
