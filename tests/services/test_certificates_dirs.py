"""certbot's directories come from certbot itself, not from `--config-dir` in the command.

A lab commonly runs certbot through a wrapper script that passes its own `--config-dir`.
primetui must then read the renewal confs and hooks where certbot keeps them, and
`auto-renew` must put the deploy hook where certbot runs it, even when the host profile's
`paths.letsencrypt` names another directory (real sshd, nginx, pebble and certbot).
"""

from __future__ import annotations

import shlex
from collections.abc import Iterator

import pytest

from primetui.certificates.server import DEPLOY_HOOK_NAME
from primetui.plans.plan import execute
from primetui.sandbox.acme import certbot_dirs
from tests.fixtures.certificates_world import (
    Lineage,
    cert_settings,
    make_service,
    served_lineage,
    server_settings,
)
from tests.fixtures.sshd import MustNotAsk

pytestmark = pytest.mark.services
DOMAIN = "www.wrapper.example.test"


@pytest.fixture(scope="module")
def lineage(nginx, pebble) -> Iterator[Lineage]:
    with served_lineage(nginx, pebble, DOMAIN, "primetui-wrapper-") as issued:
        yield issued


def test_a_certbot_wrapper_script_finds_certbots_own_directory(
        ssh_server_settings, nginx, lineage) -> None:
    wrapper = lineage.root / "certbot-lab"
    wrapper.write_text(
        "#!/bin/sh\n# The lab's wrapper: certbot with its own directories.\n"
        f"export REQUESTS_CA_BUNDLE={shlex.quote(str(lineage.pebble.listener_ca))}\n"
        f"exec {shlex.join(certbot_dirs(lineage.le_dir))} \"$@\"\n")
    wrapper.chmod(0o755)
    wrong = lineage.root / "not-certbots-dir"  # what the host profile says: wrong on purpose
    server = server_settings(ssh_server_settings, nginx, lineage)
    server = type(server)(**{**server.__dict__, "paths": {**server.paths,
                                                          "letsencrypt": str(wrong)}})
    service = make_service(server, cert_settings(nginx, lineage, certbot=str(wrapper)),
                           MustNotAsk())
    config = str(lineage.le_dir / "config")
    try:
        status = service.server_certificates()
        assert status.config_dir == config
        assert status.conf(DOMAIN) is not None and status.conf(DOMAIN).authenticator == "webroot"
        plan = service.plan_auto_renewal(status).plan
        hook = f"{config}/renewal-hooks/deploy/{DEPLOY_HOOK_NAME}"
        assert any(hook in command for command in plan.commands())
        done = execute(plan, lambda e: None)
        assert done.ok, done.error
        after = service.server_certificates()
        assert DEPLOY_HOOK_NAME in after.auto_renewal.deploy_hooks
        assert any(str(wrapper) in line for line in after.auto_renewal.cron_lines)
        assert not wrong.exists()
    finally:
        service.close()
