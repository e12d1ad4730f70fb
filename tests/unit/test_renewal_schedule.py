"""What renews certificates on a host, read from systemctl's and cron's own answers, and
what installing automatic renewal therefore does (pure logic)."""

from __future__ import annotations

import pytest

from primetui.certificates.auto_renew import RANDOM_DELAY, cron_entry
from primetui.certificates.certbot import RenewalConf
from primetui.certificates.schedule import (
    Install,
    RenewalSchedule,
    decide,
    parse_schedule,
    reloads_nginx,
)
from primetui.config import ServerSettings
from primetui.errors import RemoteError
from primetui.remote.profiles import profile_for

UBUNTU = profile_for(ServerSettings(host="prod.example.edu", profile="ubuntu"))
AL2023 = profile_for(ServerSettings(host="maint.example.edu", profile="al2023"))
DEBIAN_CRON = ("0 */12 * * * root test -x /usr/bin/certbot -a \\! -d /run/systemd/system && "
               "perl -e 'sleep int(rand(43200))' && certbot -q renew --no-random-sleep-on-renew")
TIMERS = (
    "motd-news.timer { path=/usr/lib/ubuntu-release-upgrader/motd ; argv[]=... }\n"
    "certbot.timer { path=/usr/bin/certbot ; argv[]=/usr/bin/certbot -q renew "
    "--no-random-sleep-on-renew ; ignore_errors=no }\n")


def output(*, systemd: str = "running", timers: str = "", unit_files: str = "",
           cron: str = "", crond: str = "absent", hooks: dict[str, str] | None = None) -> str:
    text = (f"@@@schedule systemd\n{systemd}\n@@@schedule timers\n{timers}"
            f"@@@schedule unit-files\n{unit_files}\n@@@schedule cron\n{cron}\n"
            f"@@@schedule crond\n{crond}\n")
    for name, body in (hooks or {}).items():
        text += f"@@@schedule hook /etc/letsencrypt/renewal-hooks/deploy/{name}\n{body}\n"
    return text


def read(**kwargs) -> RenewalSchedule:
    return parse_schedule(output(**kwargs), config_dir="/etc/letsencrypt")


def test_stock_ubuntu_timer_is_found_from_list_timers_and_its_exec_start() -> None:
    found = read(timers=TIMERS, unit_files="certbot.timer enabled enabled",
                 cron=DEBIAN_CRON, crond="running")
    assert found.systemd and found.timers == ("certbot.timer",)
    assert found.packaged_off == () and found.cron_lines == ()  # Debian's entry stands down
    assert found.renewing == "the systemd timer certbot.timer"


def test_snap_timer_counts_and_a_packaged_timer_that_is_off_is_noticed() -> None:
    snap = "snap.certbot.renew.timer { argv[]=/usr/bin/snap run --timer=00:00~24:00/2 certbot.renew }\n"
    assert read(timers=snap).timers == ("snap.certbot.renew.timer",)
    off = read(unit_files="certbot.timer disabled enabled")
    assert off.timers == () and off.packaged_off == ("certbot.timer",)


def test_without_systemd_debians_cron_entry_renews_when_cron_runs() -> None:
    found = read(systemd="offline", cron=DEBIAN_CRON, crond="running")
    assert not found.systemd and found.cron_lines == (DEBIAN_CRON,)
    assert found.renewing == "a cron entry"
    assert read(systemd="offline", cron=DEBIAN_CRON, crond="stopped").renewing is None


def test_a_hook_reloads_nginx_only_when_its_text_says_so() -> None:
    found = read(hooks={"reload.sh": "#!/bin/sh\nsystemctl reload nginx\n",
                        "mail.sh": "#!/bin/sh\n# would reload nginx\nmail -s renewed lab\n"})
    assert found.hooks == ("reload.sh", "mail.sh") and found.nginx_hooks == ("reload.sh",)
    assert reloads_nginx("nginx -p /srv/nginx/ -c conf/nginx.conf -s reload")
    assert reloads_nginx("docker exec web nginx -s reload") and not reloads_nginx("nginx -t")
    conf = RenewalConf("www", deploy_hook="service nginx restart")
    assert parse_schedule(output(), config_dir="/etc/letsencrypt",
                          confs=(conf,)).nginx_hooks == ("www's deploy hook",)


def test_decisions_add_only_what_is_missing() -> None:
    timer = read(timers=TIMERS)
    assert decide(timer, server="prod", profile=UBUNTU).install is Install.HOOK
    hooked = read(timers=TIMERS, hooks={"r": "systemctl reload nginx"})
    assert decide(hooked, server="prod", profile=UBUNTU).install is Install.NOTHING
    off = decide(read(unit_files="certbot.timer disabled enabled"), server="prod",
                 profile=UBUNTU)
    assert (off.install, off.timer, off.hook) == (Install.ENABLE, "certbot.timer", True)
    assert decide(read(), server="prod", profile=UBUNTU).install is Install.TIMER
    cron = decide(read(systemd="offline", crond="running"), server="prod", profile=UBUNTU)
    assert cron.install is Install.CRON and "random delay of up to an hour" in cron.sentence


@pytest.mark.parametrize(("crond", "profile", "fix"), [
    ("absent", UBUNTU, "`sudo apt-get install -y cron && sudo service cron start`"),
    ("stopped", UBUNTU, "`sudo service cron start`"),
    ("absent", AL2023, "`sudo dnf install -y cronie && sudo systemctl enable --now crond`"),
])
def test_no_scheduler_is_refused_naming_what_to_install(crond, profile, fix) -> None:
    with pytest.raises(RemoteError) as caught:
        decide(read(systemd="offline", crond=crond), server="prod", profile=profile)
    assert f"; run {fix} on prod, then turn on automatic renewal again" in str(caught.value)


def test_cron_entry_sleeps_a_random_delay_first() -> None:
    line = cron_entry("certbot -q renew --no-random-sleep-on-renew", "root").splitlines()[-1]
    assert line == f"17 3,15 * * * root {RANDOM_DELAY} && certbot -q renew --no-random-sleep-on-renew"
    assert "%" not in RANDOM_DELAY  # cron would cut the line at an unescaped %


def test_an_active_timer_without_a_deploy_hook_is_a_finding_naming_the_fix() -> None:
    from datetime import UTC, datetime
    from types import SimpleNamespace

    from primetui.certificates.certbot import CertbotListing
    from primetui.certificates.findings import check_certificates
    from primetui.certificates.server import AutoRenewal, ServerCertificates
    from primetui.certificates.service import CertificatesOverview
    from primetui.config import CertificateSettings

    def findings(auto: AutoRenewal) -> list[str]:
        server = ServerCertificates("prod", "prod.example.edu", "/etc/letsencrypt",
                                    CertbotListing(), (), auto)
        overview = CertificatesOverview((), server, None, datetime.now(UTC))
        service = SimpleNamespace(settings=CertificateSettings(domains=["www.example.edu"]),
                                  overview=lambda: overview)
        return [f"{f.title} {f.detail}" for f in check_certificates(service).findings]

    (found,) = findings(AutoRenewal(systemd=True, timers=("certbot.timer",)))
    assert found.startswith("Nothing reloads nginx after certbot renews on prod.")
    assert found.endswith("install the deploy hook (primetui certs auto-renew).")
    assert findings(AutoRenewal(systemd=True, timers=("certbot.timer",),
                                deploy_hooks=("reload-nginx",))) == []
