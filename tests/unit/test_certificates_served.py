"""After a reload, a certificate counts as served only once nginx answers with it several
times in a row: its old workers still accept connections for a moment.

Seen in CI: an issuance's check saw the new certificate once, said "issued and served", and
the Overview's check right after was answered by an old worker with the old one. The
scripted answers below stand in for nginx during that moment, which a real reload shows
only now and then.
"""

from __future__ import annotations

from primetui.certificates.probe import EndpointProbe, ProbeState
from primetui.certificates.renew import SERVED_IN_A_ROW, probe_until_served

OLD, NEW = "0a", "0b"


def answer(domain: str, serial: str | None) -> EndpointProbe:
    return EndpointProbe(domain, f"{domain}:443", ProbeState.OK, "", serial=serial)


class Nginx:
    """Answers each probe of a domain with the next serial of its script (the last repeats)."""

    def __init__(self, **scripts: list[str]) -> None:
        self.scripts = scripts
        self.probed: list[list[str]] = []

    def __call__(self, domains: list[str]) -> dict[str, EndpointProbe]:
        self.probed.append(list(domains))
        found = {}
        for d in domains:
            script = self.scripts[d]
            found[d] = answer(d, script.pop(0) if len(script) > 1 else script[0])
        return found


def is_new(domain: str, probe: EndpointProbe) -> bool:
    return probe.serial == NEW


def test_one_answer_from_a_new_worker_is_not_enough() -> None:
    nginx = Nginx(a=[OLD, NEW, OLD, NEW, NEW, NEW, OLD])
    after = probe_until_served(nginx, ["a"], is_new, interval=0)
    assert after["a"].serial == NEW
    # It stopped after three new answers in a row, not at the first one.
    assert len(nginx.probed) == 6 and nginx.scripts["a"] == [OLD]
    assert SERVED_IN_A_ROW == 3


def test_a_certificate_never_served_ends_at_the_deadline_with_the_old_answer() -> None:
    nginx = Nginx(a=[OLD])
    after = probe_until_served(nginx, ["a"], is_new, wait=0.05, interval=0.01)
    assert after["a"].serial == OLD and len(nginx.probed) >= 2


def test_only_the_watched_domains_are_probed_again() -> None:
    nginx = Nginx(a=[OLD, NEW], b=[OLD])
    after = probe_until_served(nginx, ["a", "b"], is_new, watch=["a"], interval=0)
    assert after["a"].serial == NEW and after["b"].serial == OLD
    assert nginx.probed[0] == ["a", "b"] and all(p == ["a"] for p in nginx.probed[1:])
    assert len(nginx.probed) == 1 + SERVED_IN_A_ROW
