"""`CertbotWatch`: a read is reused for `ui.refresh` seconds, certbot's directory is
remembered only from certbot's own answer, and a plan that ran forgets both."""

from __future__ import annotations

from primetui.certificates.certbot import CertbotListing
from primetui.certificates.server import AutoRenewal, ServerCertificates
from primetui.certificates.watch import JITTER, CertbotWatch


def status(by_certbot: bool, config_dir: str = "/etc/letsencrypt") -> ServerCertificates:
    return ServerCertificates("prod", "prod:22", config_dir, CertbotListing(), (),
                              AutoRenewal(systemd=True), by_certbot=by_certbot)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_read_is_reused_until_the_next_refresh_is_due() -> None:
    clock = Clock()
    watch = CertbotWatch(120.0, clock)
    assert watch.fresh("prod") is None
    seen = status(True)
    watch.remember(seen, read_at=0.0)
    clock.now = 120.0 - JITTER - 0.1
    assert watch.fresh("prod") is seen
    clock.now = 120.0 - JITTER + 0.1  # the next poll's timer, fired a moment early
    assert watch.fresh("prod") is None


def test_only_certbots_own_answer_names_its_directory() -> None:
    watch = CertbotWatch(120.0, Clock())
    watch.remember(status(False, "/from/files"), read_at=0.0)
    assert watch.config_dir("prod") is None
    watch.remember(status(True, "/srv/le/config"), read_at=0.0)
    watch.remember(status(False, "/srv/le/config"), read_at=1.0)
    assert watch.config_dir("prod") == "/srv/le/config"
    assert watch.config_dir("staging") is None


def test_forget_makes_the_next_read_ask_certbot() -> None:
    watch = CertbotWatch(120.0, Clock())
    watch.remember(status(True), read_at=0.0)
    watch.forget("prod")
    assert watch.fresh("prod") is None and watch.config_dir("prod") is None
