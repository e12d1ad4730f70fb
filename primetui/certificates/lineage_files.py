"""certbot's lineages read from its files, without running certbot: the cheap watch.

`certbot certificates` is slow to start, takes certbot's lock and writes (and rotates) a
log of its own each time, so a screen left open that ran it on every refresh would push
the nightly renewal's log out within a day or two. What it reports comes from files a
shell can read in one short command: each renewal conf (`renewal/NAME.conf`) names the
lineage's cert, privkey, chain and fullchain, and the cert itself holds the serial, the
names and the expiry. `lineage_lines` is that shell (a few lines of the status script);
`listing_from_files` turns its output into the same `CertbotListing` certbot's own words
give, judged the way certbot judges them (VALID: N days, INVALID: EXPIRED, TEST_CERT; a
lineage whose files are missing or broken is an invalid renewal configuration, as certbot
lists it). Pure: no I/O here (cryptography only parses the PEM text it is given).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from primetui.certificates.certbot import CertbotCertificate, CertbotListing, RenewalConf

MARK = "@@@primetui"
"""The status script's section marker (the same as server.py's)."""
FILE_KEYS = ("cert", "privkey", "chain", "fullchain")
"""The four files a renewal conf names; certbot refuses a lineage when one is missing."""
_BEGIN, _END = "-----BEGIN CERTIFICATE-----", "-----END CERTIFICATE-----"


def lineage_lines(le: str = "$le") -> list[str]:
    """The shell that prints, for each renewal conf under the config dir `le` (a shell
    word, usually the variable the status script set), a `lineage PATH` section: one
    `KEY STATE PATH` line per file it names (STATE: present, broken link, missing, unset)
    and then the first certificate block of its cert file (nothing else of that file is
    ever printed, whatever the conf points at)."""
    first_cert = (f"sed -n '/{_BEGIN}/,/{_END}/{{p;/{_END}/q;}}'")
    value = "sed -n \"s/^[[:space:]]*$k[[:space:]]*=[[:space:]]*//p\" \"$f\" | head -n 1"
    return [
        f"for f in {le}/renewal/*.conf; do [ -f \"$f\" ] || continue",
        f"  echo \"{MARK} lineage $f\"",
        "  for k in " + " ".join(FILE_KEYS) + "; do",
        f"    p=$({value} | sed 's/[[:space:]]*$//')",
        "    if [ -z \"$p\" ]; then s=unset; elif [ -e \"$p\" ]; then s=present;"
        " elif [ -L \"$p\" ]; then s=broken; else s=missing; fi",
        "    echo \"$k $s $p\"",
        "    if [ \"$k\" = cert ] && [ \"$s\" = present ]; then "
        f"{first_cert} \"$p\" 2>/dev/null; fi",
        "  done",
        "done",
    ]


@dataclass(frozen=True)
class LineageFiles:
    """One renewal conf's files as the script saw them, and its certificate's PEM text."""

    conf_path: str
    files: dict[str, tuple[str, str]]
    """KEY → (state, path) for cert, privkey, chain and fullchain."""
    pem: str = ""

    @property
    def name(self) -> str:
        """The lineage's name: the conf's file name without `.conf`."""
        return self.conf_path.rsplit("/", 1)[-1].removesuffix(".conf")

    def problem(self) -> str | None:
        """Why certbot would refuse this lineage (a file missing or a link broken), if so."""
        for key in FILE_KEYS:
            state, path = self.files.get(key, ("unset", ""))
            if state != "present":
                return f"{key} {path or '(not set)'} is {state.replace('unset', 'not set')}"
        if not self.pem:
            return "its certificate cannot be read"
        return None


def split_lineages(body_by_head: list[tuple[str, list[str]]]) -> list[LineageFiles]:
    """The `lineage PATH` sections of the status output, parsed (other sections ignored)."""
    found = []
    for head, body in body_by_head:
        if not head.startswith("lineage "):
            continue
        files: dict[str, tuple[str, str]] = {}
        pem: list[str] = []
        in_pem = False
        for line in body:
            if line.strip() == _BEGIN:
                in_pem = True
            if in_pem:
                pem.append(line.strip())
                if line.strip() == _END:
                    in_pem = False
                continue
            key, _, rest = line.partition(" ")
            if key in FILE_KEYS and key not in files:
                state, _, path = rest.partition(" ")
                if state == "broken":  # "broken link" is one state
                    state = "broken link"
                files[key] = (state, path.strip())
        found.append(LineageFiles(head.split(" ", 1)[1], files, "\n".join(pem)))
    return found


def listing_from_files(lineages: list[LineageFiles], confs: dict[str, RenewalConf],
                       now: datetime | None = None) -> CertbotListing:
    """What `certbot certificates` would list for these files: a certificate per readable
    lineage, and the conf path of each one certbot would refuse (as `invalid_configs`)."""
    now = now or datetime.now(UTC)
    certificates, invalid = [], []
    for lineage in lineages:
        conf = confs.get(lineage.name)
        described = None if lineage.problem() else describe_certificate(
            lineage, conf.server if conf else None, now)
        if described is None:
            invalid.append(lineage.conf_path)
        else:
            certificates.append(described)
    return CertbotListing(tuple(sorted(certificates, key=lambda c: c.name)), tuple(invalid))


def describe_certificate(lineage: LineageFiles, server: str | None,
                         now: datetime) -> CertbotCertificate | None:
    """The lineage as certbot describes it (None when its cert is not a certificate)."""
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    try:
        cert = x509.load_pem_x509_certificate(lineage.pem.encode("ascii", "replace"))
        expiry = cert.not_valid_after_utc
        key_type = "RSA" if isinstance(cert.public_key(), rsa.RSAPublicKey) else "ECDSA"
        common = [a.value for a in cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)]
        try:
            alt = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
            sans = [str(n) for n in alt.get_values_for_type(x509.DNSName)]
        except x509.ExtensionNotFound:
            sans = []
    except ValueError:
        return None
    # certbot's own order: the common name first, then the other names.
    names = ([str(common[0])] if common else []) + [n for n in sans if not common or n != common[0]]
    valid, detail = validity(expiry, server, now)
    return CertbotCertificate(
        name=lineage.name, domains=tuple(names), expiry=expiry, valid=valid, detail=detail,
        serial=format(cert.serial_number, "x"), key_type=key_type,
        cert_path=lineage.files["fullchain"][1], key_path=lineage.files["privkey"][1])


def validity(expiry: datetime, server: str | None, now: datetime) -> tuple[bool, str]:
    """certbot's VALID/INVALID judgement and the words after it ("9 days", "EXPIRED")."""
    reasons = []
    if server and "staging" in server:
        reasons.append("TEST_CERT")
    if expiry <= now:
        reasons.append("EXPIRED")
    if reasons:
        return False, ", ".join(reasons)
    left = expiry - now
    if left.days == 1:
        return True, "1 day"
    if left.days < 1:
        return True, f"{left.seconds // 3600} hour(s)"
    return True, f"{left.days} days"
