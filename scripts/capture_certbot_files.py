"""Capture what the Certificates area reads of certbot's side, from files certbot wrote.

Writes tests/data/certbot_files/: `files.txt` (the status script's output reading the
files, as a poll does), `certificates.txt` (certbot's own `certbot certificates` for the
same directory, a moment later) and `captured_at.txt`. The lineages are real: nginx and
pebble run on loopback, certbot issues into a scratch directory, then three are made
odd the way servers make them odd: expired (a pebble issuing two-second certificates),
a broken cert link (its archive file removed), a renewal conf removed. Paths are
shortened to /le and /srv. Run it again when certbot's output changes:

    .venv/bin/python scripts/capture_certbot_files.py
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from primetui.certificates.server import status_script
from primetui.config import CertificateSettings
from primetui.sandbox.acme import certbot_dirs, issue_certificate, start_pebble
from primetui.sandbox.nginx import start_nginx

OUT = Path(__file__).resolve().parents[1] / "tests" / "data" / "certbot_files"
GOOD, EXPIRED, BROKEN, NO_CONF = ("www.example.test", "old.example.test",
                                  "broken.example.test", "orphan.example.test")


def main() -> int:
    root = Path(tempfile.mkdtemp(prefix="primetui-capture-"))
    nginx = start_nginx(root / "nginx")
    pebbles = []
    try:
        le = root / "le"
        lasting = start_pebble(root / "pebble", http_port=nginx.acme_port)
        brief = start_pebble(root / "pebble-brief", http_port=nginx.acme_port, cert_validity=2)
        pebbles += [lasting, brief]
        issue_certificate(brief, le, nginx.webroot, [EXPIRED])
        for domain in (GOOD, BROKEN, NO_CONF):
            issue_certificate(lasting, le, nginx.webroot, [domain])
        config = le / "config"
        (config / "live" / BROKEN / "cert.pem").resolve().unlink()
        (config / "renewal" / f"{NO_CONF}.conf").unlink()
        time.sleep(3)  # the two-second certificate has expired
        settings = CertificateSettings(certbot=" ".join(certbot_dirs(le)))
        files = run(status_script(settings, str(config), from_files=True))
        captured = datetime.now(UTC)
        env = {**os.environ, "REQUESTS_CA_BUNDLE": str(lasting.listener_ca)}
        listed = subprocess.run([*certbot_dirs(le), "certificates"], capture_output=True,
                                text=True, env=env, check=True, timeout=120).stdout
        OUT.mkdir(parents=True, exist_ok=True)
        for name, text in (("files.txt", files), ("certificates.txt", listed)):
            short = text.replace(str(le), "/le").replace(str(root), "/srv")
            (OUT / name).write_text(short, encoding="utf-8")
        (OUT / "captured_at.txt").write_text(captured.isoformat() + "\n", encoding="utf-8")
        print(f"wrote {OUT}")
        return 0
    finally:
        for pebble in pebbles:
            pebble.stop()
        nginx.stop()
        shutil.rmtree(root, ignore_errors=True)


def run(script: str) -> str:
    return subprocess.run(["sh", "-c", script], capture_output=True, text=True, check=True,
                          timeout=60).stdout


if __name__ == "__main__":
    sys.exit(main())
