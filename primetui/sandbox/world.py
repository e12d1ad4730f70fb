"""The practice world behind `primetui --demo`: fake AWS, real local services, one config.

`Sandbox.start()` runs from a worker thread (it installs no signal handlers; the CLI does
and calls `stop()`). The slow parts run side by side: moto and its seeding in one thread,
sshd in another, nginx + pebble + certbot in a third. A service whose program is not
installed is recorded in `missing` with the sentence that says which package provides it,
and the config leaves out what would need it, so `load_settings` always accepts the file.
"""

from __future__ import annotations

import atexit
import contextlib
import dataclasses
import getpass
import os
import shlex
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, ClassVar

from primetui.config import Settings, load_settings, write_document
from primetui.errors import MissingToolError, PrimeError
from primetui.sandbox import tools
from primetui.sandbox.acme import PebbleService, certbot_dirs, issue_certificate, start_pebble
from primetui.sandbox.front_door import FrontDoor, seeded_eip_route, start_front_door
from primetui.sandbox.gpg import GpgHome, make_gpg_home
from primetui.sandbox.maintenance_host import MaintenanceHost, prepare_maintenance_host
from primetui.sandbox.moto import MotoServer, dummy_aws_env, start_moto
from primetui.sandbox.nginx import NginxService, start_nginx, tls_site
from primetui.sandbox.project import make_sample_project
from primetui.sandbox.seed import ADMIN_CIDR, SeedResult, seed_lab_account
from primetui.sandbox.sshd import SshdService, start_sshd
from primetui.sandbox.tls import TlsEndpoint, start_tls_endpoint

REGION = "us-east-2"
DOMAIN = "prime.example.test"
WWW_DOMAIN = "www.prime.example.test"
_WEB_TOOLS = ("nginx", "pebble", "pebble-challtestsrv", "certbot")
# Real-account variables that must not mix with the sandbox's dummy keys.
_UNSET = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN")


class SandboxStopped(PrimeError):
    """stop() was called while the sandbox was still starting."""


class Sandbox:
    """A running practice world; `stop()` takes every part of it down again."""

    _running: ClassVar[list[Sandbox]] = []

    def __init__(self, root: Path, *, own_root: bool,
                 on_progress: Callable[[str], None] | None) -> None:
        self.root = root
        self.config_path = root / "config.toml"
        self.missing: dict[str, str] = {}
        self.failed: dict[str, str] = {}
        self.settings: Settings | None = None
        self.moto: MotoServer | None = None
        self.seed: SeedResult | None = None
        self.project = root / "project"
        self.gpg: GpgHome | None = None
        self.tls: TlsEndpoint | None = None
        self.sshd: SshdService | None = None
        self.nginx: NginxService | None = None
        self.pebble: PebbleService | None = None
        self.certificate: Path | None = None
        self.www_tls_port: int | None = None
        self.main_tls_port: int | None = None
        """nginx's TLS port for prime.example.test (None: the Python TLS endpoint serves it)."""
        self.main_link: Path | None = None
        self.maintenance_host: MaintenanceHost | None = None
        self.front_door: FrontDoor | None = None
        self.le_dir = root / "letsencrypt"
        self.www_root = root / "www"
        self.ca_bundle = root / "ca-bundle.pem"
        self._own_root = own_root
        self._progress = on_progress
        self._lock = threading.Lock()
        self._say_lock = threading.Lock()
        self._stopped = False
        self._saved_env: dict[str, str | None] = {}
        self.environment: dict[str, str] = {}
        """The variables the sandbox sets: dummy AWS keys for moto, its gpg home."""

    @classmethod
    def start(cls, root: Path | None = None, *, services: bool = True,
              on_progress: Callable[[str], None] | None = None) -> Sandbox:
        """Build the practice world under `root` (a new temporary directory by default).

        `on_progress` receives short sentences, possibly from the sandbox's own threads.
        On any failure everything started so far is stopped before the error propagates.
        """
        own = root is None
        base = Path(tempfile.mkdtemp(prefix="primetui-demo-")) if root is None else Path(root)
        base.mkdir(parents=True, exist_ok=True)
        sandbox = cls(base.resolve(), own_root=own, on_progress=on_progress)
        cls._running.append(sandbox)
        atexit.register(sandbox.stop)
        try:
            with ThreadPoolExecutor(max_workers=3, thread_name_prefix="sandbox") as pool:
                jobs = [pool.submit(sandbox._start_aws)]
                if services:
                    jobs.append(pool.submit(sandbox._guard, "sshd", sandbox._start_sshd))
                    jobs.append(pool.submit(sandbox._start_web))
                sandbox._start_local()
                for job in jobs:
                    job.result()
            sandbox._keep(None)
            sandbox._apply_environment()
            sandbox._write_config()
            sandbox._say("The practice world is ready.")
        except BaseException:
            sandbox.stop()
            sandbox._remove_root()  # again: threads still starting may have written into it
            raise
        return sandbox

    # -- the parts -------------------------------------------------------------------

    def _say(self, message: str) -> None:
        if self._progress is not None:
            with self._say_lock:
                self._progress(message)

    def _keep(self, part: Any) -> Any:
        """Keep a part that just started, unless stop() came first: then stop it too."""
        with self._lock:
            if not self._stopped:
                return part
        if part is not None:
            part.stop()
        raise SandboxStopped("The practice world was stopped before it finished starting.")

    def _guard(self, name: str, start: Callable[[], None]) -> None:
        """Run one service's start; a missing program or a failure is recorded, not raised."""
        try:
            start()
        except MissingToolError as err:
            self.missing[name] = str(err)
            self._say(str(err))
        except SandboxStopped:
            raise
        except PrimeError as err:
            self.failed[name] = str(err)
            self._say(str(err))
        except (OSError, subprocess.SubprocessError) as err:
            self.failed[name] = f"{name} could not be started ({err})."
            self._say(self.failed[name])

    def _start_aws(self) -> None:
        self._say("Starting the fake AWS account (moto)…")
        self.moto = self._keep(start_moto())
        self._say("Seeding instances, the database, schedules and a bucket…")
        self.seed = seed_lab_account(self.moto.endpoint_url, REGION)

    def _start_local(self) -> None:
        self._say("Writing the sample project, a gpg home and a soon-expiring certificate…")
        make_sample_project(self.project)
        (self.root / "backups").mkdir(mode=0o700, exist_ok=True)
        self.gpg = self._keep(make_gpg_home(self.root / "gnupg"))
        self.tls = self._keep(start_tls_endpoint(DOMAIN, days_left=4, directory=self.root / "tls"))

    def _start_sshd(self) -> None:
        self._say("Starting sshd on loopback…")
        self.sshd = self._keep(start_sshd(self.root / "sshd", users=[getpass.getuser()]))

    def _start_web(self) -> None:
        for name in _WEB_TOOLS:
            if tools.find_binary(name) is None:
                self.missing[name] = tools.missing_message(name)
        if "nginx" in self.missing:
            return
        self._say("Starting nginx and the ACME test server (pebble)…")
        acme_port = tools.free_port()
        self.www_root.mkdir(exist_ok=True)
        (self.www_root / "index.html").write_text(
            "<h1>prime</h1><p>The lab's site, served by the primetui sandbox.</p>\n")
        self.www_root.chmod(0o755)
        with ThreadPoolExecutor(max_workers=1) as pool:
            pebble = None if any(n in self.missing for n in _WEB_TOOLS) else pool.submit(
                self._guard, "pebble", lambda: self._start_pebble(acme_port))
            self._guard("nginx", lambda: self._start_nginx(acme_port))
            if pebble is not None:
                pebble.result()
        if self.nginx is not None and self.pebble is not None:
            self._guard("certbot", self._issue)

    def _start_nginx(self, acme_port: int) -> None:
        self.nginx = self._keep(start_nginx(self.root / "nginx", acme_port=acme_port))

    def _start_pebble(self, acme_port: int) -> None:
        self.pebble = self._keep(start_pebble(self.root / "pebble", http_port=acme_port))

    def _issue(self) -> None:
        assert self.nginx is not None and self.pebble is not None
        self._say(f"Issuing a 10-day certificate for {WWW_DOMAIN} with certbot…")
        live = issue_certificate(self.pebble, self.le_dir, self.nginx.webroot, [WWW_DOMAIN])
        self.www_tls_port = tools.free_port()
        site = self.nginx.write_site("prime-tls", tls_site(
            port=self.www_tls_port, domain=WWW_DOMAIN, live=live, root=self.www_root,
            webroot=self.nginx.webroot))
        try:
            self.nginx.reload()
        except BaseException:
            site.unlink()  # never leave nginx a block that breaks its next reload
            raise
        self.certificate = live
        self._serve_main_domain()
        self._prepare_maintenance()

    def _serve_main_domain(self) -> None:
        """Serve prime.example.test's soon-expiring certificate from nginx too, through a link
        (`certificates.links`) that issuing its first certbot certificate points at the new
        lineage: the demo's critical finding can then be fixed inside the demo."""
        assert self.nginx is not None and self.tls is not None
        served = self.root / "tls" / "served"
        served.mkdir(exist_ok=True)
        shutil.copyfile(self.root / "tls" / f"{DOMAIN}.pem", served / "fullchain.pem")
        shutil.copyfile(self.root / "tls" / f"{DOMAIN}.key", served / "privkey.pem")
        (served / "privkey.pem").chmod(0o600)
        self.main_link = self.root / "nginx-certs" / DOMAIN
        self.main_link.parent.mkdir(exist_ok=True)
        self.main_link.unlink(missing_ok=True)
        self.main_link.symlink_to(served)
        port = tools.free_port()
        site = self.nginx.write_site("prime-main-tls", tls_site(
            port=port, domain=DOMAIN, live=self.main_link, root=self.www_root,
            webroot=self.nginx.webroot))
        try:
            self.nginx.reload()
        except BaseException:
            site.unlink()
            self.main_link = None
            raise
        self.main_tls_port = port

    def _prepare_maintenance(self) -> None:
        """The maintenance wizard's practice: a second host (nginx not started until the
        wizard starts it) and the front door that follows the Elastic IP. No process starts."""
        assert self.www_tls_port is not None
        self.maintenance_host = prepare_maintenance_host(self.root / "maintenance-host")
        host = self.maintenance_host
        prod = ("127.0.0.1", self.www_tls_port)
        maintenance = ("127.0.0.1", host.https_port)
        self.front_door = self._keep(start_front_door(lambda: self._eip_route(prod, maintenance)))

    def _eip_route(self, prod: tuple[str, int],
                   maintenance: tuple[str, int]) -> tuple[str, int] | None:
        """Where the lab's Elastic IP leads now: prod's nginx or the maintenance host's."""
        if self.moto is None or self.seed is None:
            return None
        return seeded_eip_route(self.moto.endpoint_url, REGION, self.seed, prod, maintenance)

    # -- what the application reads --------------------------------------------------

    def _apply_environment(self) -> None:
        """Point AWS clients at moto with dummy keys, gpg at the sandbox home, and primetui's
        state (audit log, wizard progress, reports, verification records) into the sandbox,
        so the demo never writes into the user's own state directory and leaves with it."""
        assert self.moto is not None and self.gpg is not None
        empty = self.root / "aws-empty"
        empty.touch(mode=0o600)
        state = self.root / "state"
        state.mkdir(mode=0o700, exist_ok=True)
        env = dummy_aws_env(self.moto.endpoint_url, REGION)
        env |= {"AWS_CONFIG_FILE": str(empty), "AWS_SHARED_CREDENTIALS_FILE": str(empty),
                "XDG_STATE_HOME": str(state), **self.gpg.env()}
        self.environment = env
        for name in [*env, *_UNSET]:
            self._saved_env.setdefault(name, os.environ.get(name))
        for name in _UNSET:
            os.environ.pop(name, None)
        os.environ.update(env)

    def restore_environment(self) -> None:
        """Put back the variables the sandbox changed (stop() does this too)."""
        for name, value in self._saved_env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        self._saved_env.clear()

    def _write_config(self) -> None:
        write_document(self.config_document(), self.config_path)
        self.settings = dataclasses.replace(load_settings(self.config_path), demo=True)

    def config_document(self) -> dict[str, Any]:
        """The sandbox's config file as a TOML-ready dict, with only what is running."""
        assert self.moto is not None and self.tls is not None
        doc: dict[str, Any] = {"aws": {"region": REGION, "endpoint_url": self.moto.endpoint_url}}
        if self.sshd is not None:
            home = self.root / "prod-home"  # uploads land here, never in the real home
            home.mkdir(exist_ok=True)
            paths = {"root": str(self.root), "home": str(home)}
            if self.nginx is not None:
                paths |= {"nginx_prefix": str(self.nginx.prefix), "webroot": str(self.nginx.webroot),
                          "www_root": str(self.www_root), "conf_d": str(self.nginx.conf_d)}
            if self.certificate is not None:
                paths["letsencrypt"] = str(self.le_dir / "config")
            server: dict[str, Any] = {
                "host": self.sshd.host, "port": self.sshd.port, "user": getpass.getuser(),
                "key": str(self.sshd.client_key), "known_hosts": str(self.sshd.known_hosts),
                "profile": "sandbox", "sudo": False, "paths": paths}
            if self.seed is not None:
                server["instance"] = self.seed.prod_instance_id
            doc["servers"] = {"prod": server}
            if self.maintenance_host is not None:
                doc["servers"]["maintenance"] = {
                    **{k: server[k] for k in ("host", "port", "user", "key", "known_hosts",
                                              "profile", "sudo")},
                    "paths": self.maintenance_host.paths()}
        bundle = self.tls.ca_file.read_bytes()
        endpoints = {DOMAIN: self.tls.address}
        certificates: dict[str, Any] = {
            "domains": [DOMAIN], "server": "prod" if self.sshd is not None else "local",
            "method": "webroot", "endpoints": endpoints, "ca_file": str(self.ca_bundle)}
        if self.nginx is not None:
            certificates["webroot"] = str(self.nginx.webroot)
        if self.certificate is not None and self.pebble is not None:
            certificates["domains"].append(WWW_DOMAIN)
            endpoints[WWW_DOMAIN] = f"127.0.0.1:{self.www_tls_port}"
            certificates["acme_server"] = self.pebble.directory_url
            trust = f"REQUESTS_CA_BUNDLE={shlex.quote(str(self.pebble.listener_ca))}"
            certificates["certbot"] = f"{trust} {shlex.join(certbot_dirs(self.le_dir))}"
            bundle += self.pebble.issuer_root()
            if self.main_tls_port is not None and self.main_link is not None:
                endpoints[DOMAIN] = f"127.0.0.1:{self.main_tls_port}"
                certificates["links"] = {DOMAIN: str(self.main_link)}
        self.ca_bundle.write_bytes(bundle)
        doc["certificates"] = certificates
        doc["backups"] = {"source": str(self.project), "destination": str(self.root / "backups"),
                          "name": "prime"}
        if self.sshd is not None:
            doc["maintenance"] = {"domain": DOMAIN, "prod": "prod", "admin_cidr": ADMIN_CIDR,
                                  "contact": "it@prime.example.test"}
        if self.sshd is not None and self.maintenance_host is not None and self.front_door:
            # The certbot-issued domain, so that prod has a lineage to copy; the launched
            # "t3.nano" is moto's, its SSH and HTTPS go to the practice host on loopback.
            doc["maintenance"] |= {"domain": WWW_DOMAIN, "addresses": {
                **self.maintenance_host.addresses(),
                "maintenance": f"{self.sshd.host}:{self.sshd.port}",
                "verify": self.front_door.address}}
        doc["ui"] = {"theme": "prime-dark"}
        return doc

    def reseed(self) -> SeedResult:
        """Forget every fake AWS resource, seed the lab account again and rewrite the config."""
        assert self.moto is not None
        self.moto.reset()
        self.seed = seed_lab_account(self.moto.endpoint_url, REGION)
        self._write_config()
        return self.seed

    @property
    def pids(self) -> list[int]:
        """Every server process this sandbox started (for checks that nothing is left)."""
        found = [self.sshd.pid] if self.sshd else []
        found += [self.nginx.pid] if self.nginx else []
        pid = self.maintenance_host.nginx_pid() if self.maintenance_host else None
        found += [pid] if pid else []
        return found + (list(self.pebble.pids) if self.pebble else [])

    # -- taking it down ----------------------------------------------------------------

    def stop(self) -> None:
        """Stop every server, kill the gpg agent, restore the environment, remove the root."""
        with self._lock:
            if self._stopped:
                return
            self._stopped = True
        parts = [p.stop for p in (self.front_door, self.maintenance_host, self.nginx,
                                  self.pebble, self.sshd, self.tls) if p is not None]
        if self.moto is not None:
            parts += [self.moto.reset, self.moto.stop]
        if self.gpg is not None:
            parts.append(self.gpg.stop)
        for stop in parts:
            with contextlib.suppress(Exception):
                stop()
        self.restore_environment()
        self._remove_root()
        with contextlib.suppress(ValueError):
            Sandbox._running.remove(self)
        atexit.unregister(self.stop)

    def _remove_root(self) -> None:
        if self._own_root:
            shutil.rmtree(self.root, ignore_errors=True)

    @classmethod
    def stop_all_started(cls) -> None:
        """Stop every sandbox started in this process that is still running."""
        for sandbox in list(cls._running):
            sandbox.stop()
