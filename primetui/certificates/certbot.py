"""certbot's own words, parsed: `certbot certificates`, renewal confs, `certbot renew` output.

Also the pure judgements the Certificates tab makes from them: how urgent a certificate
is (`warn_days`/`critical_days`), whether the served certificate disagrees with the newest
one on disk, and whether a cron line renews this certbot's certificates. No I/O here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

_EXPIRY = re.compile(r"Expiry Date:\s*(?P<when>\S+ \S+)\s*\((?P<status>VALID|INVALID):\s*"
                     r"(?P<detail>.*)\)\s*$")
_PATH_RESULT = re.compile(r"^\s*(?P<path>/\S+/live/(?P<name>[^/\s]+)/\S+)\s*(?P<rest>.*)$")


@dataclass(frozen=True)
class CertbotCertificate:
    """One lineage as `certbot certificates` describes it."""

    name: str
    domains: tuple[str, ...] = ()
    expiry: datetime | None = None
    valid: bool = False
    detail: str = ""
    """What certbot put after VALID:/INVALID: ("9 days", "5 hour(s)", "EXPIRED", "TEST_CERT")."""
    serial: str | None = None
    """Lower-case hex without leading zeros, as `format(serial, "x")` writes it."""
    key_type: str | None = None
    cert_path: str | None = None
    key_path: str | None = None


@dataclass(frozen=True)
class CertbotListing:
    """Everything `certbot certificates` listed, and the renewal confs it could not read."""

    certificates: tuple[CertbotCertificate, ...] = ()
    invalid_configs: tuple[str, ...] = ()

    def for_domain(self, domain: str) -> CertbotCertificate | None:
        """The lineage covering `domain` that expires last (the one nginx should serve)."""
        covering = [c for c in self.certificates if name_matches(domain, c.domains)]
        if not covering:
            return None
        return max(covering, key=lambda c: (c.expiry is not None, c.expiry or datetime.min))


def normalise_serial(text: str) -> str:
    """A serial number as lower-case hex without colons or leading zeros."""
    cleaned = text.strip().lower().replace(":", "").removeprefix("0x").lstrip("0")
    return cleaned or "0"


def parse_certificates(text: str) -> CertbotListing:
    """Parse `certbot certificates` output (every VALID/INVALID variant, any order of fields)."""
    certs: list[dict] = []
    invalid: list[str] = []
    in_invalid = False
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("The following renewal configurations were invalid"):
            in_invalid = True
            continue
        if in_invalid:
            if line.startswith("/"):
                invalid.append(line.split()[0])
                continue
            in_invalid = False
        key, sep, value = line.partition(":")
        if not sep:
            continue
        value = value.strip()
        if key == "Certificate Name":
            certs.append({"name": value})
        elif not certs:
            continue
        elif key == "Serial Number":
            certs[-1]["serial"] = normalise_serial(value)
        elif key == "Key Type":
            certs[-1]["key_type"] = value
        elif key in ("Domains", "Identifiers"):
            certs[-1]["domains"] = tuple(value.split())
        elif key == "Expiry Date" and (m := _EXPIRY.search(line)):
            certs[-1].update(expiry=_timestamp(m["when"]), valid=m["status"] == "VALID",
                             detail=m["detail"].strip())
        elif key == "Certificate Path":
            certs[-1]["cert_path"] = value
        elif key == "Private Key Path":
            certs[-1]["key_path"] = value
    return CertbotListing(tuple(CertbotCertificate(**c) for c in certs), tuple(invalid))


def _timestamp(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


@dataclass(frozen=True)
class RenewalConf:
    """The parts of a renewal conf (`renewal/NAME.conf`) that decide how a renewal runs."""

    name: str
    authenticator: str | None = None
    server: str | None = None
    webroot_paths: tuple[str, ...] = ()
    http01_port: int | None = None
    renew_before_expiry: str | None = None
    deploy_hook: str | None = None
    account: str | None = None
    """The ACME account that issued the lineage (certbot's account id)."""


def parse_renewal_conf(name: str, text: str) -> RenewalConf:
    """Read the configobj-style renewal conf certbot writes for lineage `name`."""
    values: dict[str, str] = {}
    section = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            section = line.strip("[]").strip()
            continue
        key, sep, value = line.partition("=")
        if sep and section in ("", "renewalparams"):
            values[key.strip()] = value.strip()
    port = values.get("http01_port", "")
    paths = tuple(p.strip() for p in values.get("webroot_path", "").split(",") if p.strip())
    return RenewalConf(name=name, authenticator=values.get("authenticator"),
                       server=values.get("server"), webroot_paths=paths,
                       http01_port=int(port) if port.isdigit() else None,
                       renew_before_expiry=values.get("renew_before_expiry"),
                       deploy_hook=values.get("renew_hook"), account=values.get("account"))


class RenewOutcome(StrEnum):
    """How one `certbot renew` ended, in the lab's words."""

    RENEWED = "renewed"
    NOT_DUE = "not due yet"
    SIMULATED = "dry run succeeded"
    FAILED = "failed"


@dataclass(frozen=True)
class RenewSummary:
    """What `certbot renew` said it did, lineage by lineage."""

    outcome: RenewOutcome
    renewed: tuple[str, ...] = ()
    not_due: tuple[str, ...] = ()
    failed: tuple[str, ...] = ()
    reason: str = ""
    """One sentence saying why it failed (empty unless it did)."""
    problems: tuple[str, ...] = field(default=())
    """The CA's own problem lines (Domain/Type/Detail) for a failed challenge."""
    reasons: dict[str, str] = field(default_factory=dict)
    """Why each failed lineage failed, keyed by lineage name (one clause each)."""

    @property
    def partial(self) -> bool:
        """certbot renewed some lineages and failed others (a real renewal, not a dry run)."""
        return self.outcome is RenewOutcome.FAILED and bool(self.renewed)


_NOISE = ("Saving debug log", "Ask for help or search", "- - -", "Hint:")


def parse_renew_output(text: str, exit_code: int, *, host: str = "the server") -> RenewSummary:
    """Classify `certbot renew` output: renewed, not due, simulated (dry run) or failed."""
    buckets: dict[str, list[str]] = {"(success)": [], "(skipped)": [], "(failure)": []}
    for line in text.splitlines():
        if (m := _PATH_RESULT.match(line)) and (mark := m["rest"].split()[-1:]):
            buckets.get(mark[0], []).append(m["name"])
    renewed, not_due, failed = buckets["(success)"], buckets["(skipped)"], buckets["(failure)"]
    problems = tuple(ln.strip() for ln in text.splitlines()
                     if ln.strip().startswith(("Domain:", "Detail:")))
    dry_run = "simulated renewal" in text or "The dry run was successful" in text
    if exit_code != 0 or failed:
        reason = renew_failure_sentence(text, exit_code, host=host)
        if dry_run:  # a dry run's "success" lines renewed nothing
            renewed = []
        return RenewSummary(RenewOutcome.FAILED, tuple(renewed), tuple(not_due), tuple(failed),
                            reason, problems, lineage_failures(text, failed, host=host))
    if dry_run and renewed:
        outcome = RenewOutcome.SIMULATED
    elif renewed and not dry_run:
        outcome = RenewOutcome.RENEWED
    else:
        outcome = RenewOutcome.NOT_DUE
    return RenewSummary(outcome, tuple(renewed), tuple(not_due))


_FAILED_LINEAGE = re.compile(r"Failed to renew certificate (?P<name>\S+) with error: (?P<why>.*)$")


def challenge_problems(text: str) -> dict[str, str]:
    """The CA's Detail line for each domain whose challenge failed, keyed by domain."""
    found: dict[str, str] = {}
    domain = None
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("Domain:"):
            domain = line.removeprefix("Domain:").strip()
        elif line.startswith("Detail:") and domain:
            found.setdefault(domain, line.removeprefix("Detail:").strip())
            domain = None
    return found


def http01_sentence(domain: str, detail: str = "") -> str:
    """Why an HTTP-01 challenge failed, naming the address the ACME server fetched."""
    detail = f": {detail}" if detail else ""
    return (f"the ACME server could not fetch the HTTP-01 challenge from "
            f"http://{domain}/.well-known/acme-challenge/{detail}; check that nginx serves "
            f"/.well-known/acme-challenge/ for {domain} from the webroot")


def lineage_failures(text: str, failed: list[str] | tuple[str, ...], *,
                     host: str = "the server") -> dict[str, str]:
    """Why each failed lineage failed: its challenge problem, else certbot's own error."""
    problems = challenge_problems(text)
    errors = {m["name"]: m["why"].strip().rstrip(".") for ln in text.splitlines()
              if (m := _FAILED_LINEAGE.search(ln.strip()))}
    reasons: dict[str, str] = {}
    for name in failed:
        domain = name if name in problems else next(
            (d for d in problems if name_matches(d, (name,)) or d.endswith("." + name)), None)
        if domain is not None:
            reasons[name] = http01_sentence(domain, problems[domain])
        elif name in errors:
            reasons[name] = f"certbot said: {errors[name]}"
        else:
            reasons[name] = renew_failure_sentence(text, 1, host=host)
    return reasons


def renew_failure_sentence(text: str, exit_code: int, *, host: str = "the server") -> str:
    """One sentence for a failed `certbot renew`, naming the cause when certbot said it."""
    if "Another instance of Certbot is already running" in text:
        return (f"certbot is already running on {host} (another run holds its lock); "
                f"try again when it has finished")
    if "Certbot failed to authenticate" in text or "Some challenges have failed" in text:
        problems = challenge_problems(text)
        if problems:
            domain, detail = next(iter(problems.items()))
            sentence = http01_sentence(domain, detail)
            return sentence[0].upper() + sentence[1:]
        return ("The ACME server could not fetch the HTTP-01 challenge from the webroot; check "
                "that nginx serves /.well-known/acme-challenge/ from it")
    if m := re.search(r"Could not bind TCP port (\d+)", text):
        return (f"certbot could not listen on port {m[1]} on {host}: something still holds it; "
                f"stop it (see `ss -ltnp`) and try again")
    if m := re.search(r"No certificate found with name (\S+)", text):
        return f"certbot on {host} has no certificate named {m[1]}"
    if exit_code == 127 or "command not found" in text or ": not found" in text:
        return f"certbot is not installed on {host} (or certificates.certbot names the wrong command)"
    lines = [ln.strip() for ln in text.splitlines()
             if ln.strip() and not ln.strip().startswith(_NOISE)]
    last = lines[-1].rstrip(".") if lines else f"exit {exit_code}"
    return f"certbot renew failed on {host}: {last}"


class Urgency(StrEnum):
    """How soon a domain needs attention; `rank` orders the most urgent first."""

    EXPIRED = "expired"
    ERROR = "error"
    CRITICAL = "critical"
    WARNING = "warning"
    OK = "ok"
    UNKNOWN = "unknown"

    @property
    def rank(self) -> int:
        """0 for the most urgent."""
        return list(Urgency).index(self)


def classify(days_left: int | None, warn_days: int, critical_days: int) -> Urgency:
    """Urgency from whole days left: expired below zero, then critical, warning, ok."""
    if days_left is None:
        return Urgency.UNKNOWN
    if days_left < 0:
        return Urgency.EXPIRED
    if days_left <= critical_days:
        return Urgency.CRITICAL
    if days_left <= warn_days:
        return Urgency.WARNING
    return Urgency.OK


def name_matches(domain: str, names: tuple[str, ...] | list[str]) -> bool:
    """Whether a certificate for `names` covers `domain` (a `*.` wildcard covers one label)."""
    domain = domain.lower().rstrip(".")
    for name in names:
        name = name.lower().rstrip(".")
        if name == domain:
            return True
        if name.startswith("*.") and "." in domain and domain.split(".", 1)[1] == name[2:]:
            return True
    return False


def find_mismatches(domain: str, *, served_serial: str | None, served_not_after: datetime | None,
                    served_names: tuple[str, ...], on_disk: CertbotCertificate | None) -> tuple[str, ...]:
    """What disagrees between the served certificate and certbot's newest one on disk."""
    found: list[str] = []
    if served_serial is None:
        return ()
    if not name_matches(domain, served_names):
        shown = ", ".join(served_names[:3]) or "no names"
        found.append(f"serves a certificate for {shown}, not {domain}")
    if on_disk is None or on_disk.serial is None or on_disk.serial == served_serial:
        return tuple(found)
    if served_not_after and on_disk.expiry and served_not_after < on_disk.expiry:
        found.append(f"serves serial {served_serial} (expires {served_not_after:%Y-%m-%d}) but "
                     f"certbot renewed it as {on_disk.serial} (expires {on_disk.expiry:%Y-%m-%d}): "
                     f"nginx was not reloaded")
    else:
        found.append(f"serves serial {served_serial}, not certbot's {on_disk.serial} "
                     f"({on_disk.name})")
    return tuple(found)


def certbot_option(command: str, option: str) -> str | None:
    """The value of `--option VALUE` or `--option=VALUE` in a command line (None if absent)."""
    m = re.search(rf"(?:^|\s){re.escape(option)}(?:=|\s+)(?P<q>['\"]?)(?P<value>[^\s'\"]+)(?P=q)",
                  command)
    return m["value"] if m else None


def renewal_cron_lines(text: str, config_dir: str | None,
                       wrapper: str | None = None) -> tuple[str, ...]:
    """Cron lines that run `certbot renew` for this config dir (None: certbot's default),
    or that run `wrapper renew` (a wrapper script that passes certbot its directories)."""
    default = "/etc/letsencrypt"
    wanted = (config_dir or default).rstrip("/")
    found = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "renew" not in line:
            continue
        if wrapper and wrapper in line:
            found.append(line)
        elif "certbot" not in line:
            continue
        elif (certbot_option(line, "--config-dir") or default).rstrip("/") == wanted:
            found.append(line)
    return tuple(found)
