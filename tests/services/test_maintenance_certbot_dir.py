"""The maintenance wizard copies prod's lineage from certbot's own directory, the one the
Certificates area found by asking certbot, not from prod's `paths.letsencrypt`.

A lab's certbot wrapper keeps its lineages where the host profile does not look; the
wizard's preflight check and its certificates step must name certbot's directory
(real sshd, nginx, pebble and certbot; the plan is only built, and its lineage check run
on prod: AWS plays no part here).
"""

from __future__ import annotations

import dataclasses
import shlex
from collections.abc import Iterator

import pytest

from primetui.config import MaintenanceSettings, Settings
from primetui.maintenance.steps import OnOptions
from primetui.plans.audit import AuditLog
from primetui.registry import Services
from primetui.sandbox.acme import certbot_dirs
from tests.fixtures.certificates_world import (
    Lineage,
    cert_settings,
    served_lineage,
    server_settings,
)
from tests.fixtures.sshd import MustNotAsk

pytestmark = pytest.mark.services
DOMAIN = "www.carried.example.test"


@pytest.fixture(scope="module")
def lineage(nginx, pebble) -> Iterator[Lineage]:
    with served_lineage(nginx, pebble, DOMAIN, "primetui-carried-") as issued:
        yield issued


def test_the_wizard_reads_prods_lineage_where_certbot_keeps_it(
        ssh_server_settings, nginx, lineage, tmp_path) -> None:
    wrapper = lineage.root / "certbot-lab"
    wrapper.write_text(
        "#!/bin/sh\n"
        f"export REQUESTS_CA_BUNDLE={shlex.quote(str(lineage.pebble.listener_ca))}\n"
        f"exec {shlex.join(certbot_dirs(lineage.le_dir))} \"$@\"\n")
    wrapper.chmod(0o755)
    wrong = lineage.root / "not-certbots-dir"  # what prod's paths.letsencrypt says
    prod = server_settings(ssh_server_settings, nginx, lineage, instance="i-0123456789abcdef0")
    prod = dataclasses.replace(prod, paths={**prod.paths, "letsencrypt": str(wrong),
                                            "home": str(lineage.root)})
    settings = Settings(servers={"prod": prod},
                        certificates=cert_settings(nginx, lineage, certbot=str(wrapper)),
                        maintenance=MaintenanceSettings(domain=DOMAIN, prod="prod",
                                                        admin_cidr="203.0.113.0/24"))
    certbots = str(lineage.le_dir / "config")
    services = Services(settings, prompter=MustNotAsk(), audit=AuditLog(tmp_path / "audit"))
    try:
        plan = services.maintenance.plan_on(OnOptions())
        commands = "\n".join(plan.commands())
        assert f"{certbots}/live/{DOMAIN}/fullchain.pem" in commands  # preflight's check
        assert f"tar czf {lineage.root}/primetui-letsencrypt.tar.gz -C {certbots}" in commands
        assert str(wrong) not in commands
        # the check preflight runs on prod finds the lineage there
        context = services.maintenance._context(services.maintenance.state())
        check = context.commands().lineage_check()
        assert services.runner("prod").run(check, warn=True).ok
        # the Certificates area's read answered it: certbot was asked once this session
        assert services.certbot_watch.config_dir("prod") == certbots
    finally:
        services.close()
