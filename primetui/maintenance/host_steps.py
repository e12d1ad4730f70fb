"""The `on` wizard's steps 5–8 (over SSH, then the switch) and the `off` plan's steps.

Steps 5–7 are fingerprinted with the instance they configured and the page they uploaded,
so a new instance or an edited page is configured again. Step 8 verifies the switch and
moves traffic back to prod itself when the domain does not answer with the page.
"""

from __future__ import annotations

import shlex
import time
from dataclasses import dataclass

from primetui.errors import PlanError
from primetui.maintenance.context import (
    WizardContext,
    maintenance_target,
    switch_target,
    traffic_on,
    verify_or_fail,
)
from primetui.maintenance.ssh_side import UPLOAD_DIR, _sudo
from primetui.maintenance.steps import _step, forget_key
from primetui.maintenance.verify import VerificationFailed, serves_site
from primetui.plans.plan import Step, StepContext

TEARDOWNS = ("keep", "stop", "terminate")


@dataclass(frozen=True)
class OffOptions:
    """What happens to the maintenance host once traffic is back on prod."""

    teardown: str = "keep"
    """keep | stop | terminate (terminate also removes the group and the key pair)."""


def _fingerprint(ctx: WizardContext, with_page: bool) -> str:
    iid = ctx.state.get("instance_id") or ""
    return f"{iid}:{ctx.page_hash()}" if with_page else iid


def install(ctx: WizardContext) -> Step:
    """5. Install nginx if absent, start it, upload the files, install the page (root, a=rX)."""
    cmds = ctx.commands()

    def run(step: StepContext) -> None:
        ctx.pin_maintenance_keys(step.emit)
        with ctx.runner("maintenance") as runner:
            runner.run(cmds.make_upload_dir())
            runner.put(ctx.index_file, f"{cmds.upload}/index.html")
            runner.put(ctx.conf_file, f"{cmds.upload}/maintenance.conf")
            step.emit(f"Uploaded index.html and maintenance.conf to {runner.host}:{cmds.upload}")
            # One round trip: each command runs only when the one before it succeeded.
            runner.run(" && ".join(f"{{ {command}; }}" for command, _sudo in cmds.install()),
                       sudo=True, on_line=step.emit)
            step.emit(f"nginx runs; the page is in {cmds.maint.maintenance_root}.")
        ctx.state.mark("install", _fingerprint(ctx, True))

    def undo(step: StepContext) -> None:
        with ctx.runner("maintenance") as runner:
            runner.run(cmds.remove_page(), sudo=True)
        ctx.state.unmark("install")

    return _step(ctx, "install", cmds.install_shown(ctx.index_file, ctx.conf_file), run,
                 lambda: ctx.state.is_done("install", _fingerprint(ctx, True)), undo,
                 [cmds.on_maintenance(_sudo(cmds.maint, cmds.remove_page()))])


def certificates(ctx: WizardContext) -> Step:
    """6. prod's live/, archive/ and renewal/ for the domain, carried as a tarball, links kept."""
    cmds = ctx.commands()

    def run(step: StepContext) -> None:
        ctx.pin_maintenance_keys(step.emit)
        with ctx.runner("prod") as prod, ctx.runner("maintenance") as maint:
            cmds.carry_certificates(prod, maint, step.emit, ctx.work_dir / "tmp")
        ctx.state.mark("certificates", _fingerprint(ctx, False))

    def undo(step: StepContext) -> None:
        with ctx.runner("maintenance") as runner:
            runner.run(cmds.remove_certificates(), sudo=True)
        ctx.state.unmark("certificates")

    return _step(ctx, "certificates", cmds.certificates_shown(), run,
                 lambda: ctx.state.is_done("certificates", _fingerprint(ctx, False)), undo,
                 [cmds.on_maintenance(_sudo(cmds.maint, cmds.remove_certificates()))])


def site(ctx: WizardContext) -> Step:
    """7. The conf into conf.d, `nginx -t`, reload; the host must serve the cert and the page."""
    cmds = ctx.commands()

    def run(step: StepContext) -> None:
        ctx.pin_maintenance_keys(step.emit)
        with ctx.runner("maintenance") as runner:
            cmds.enable_site(runner, step.emit)
        address = ctx.maintenance_https()
        verify_or_fail(ctx, step, address, f"The maintenance host ({address})")
        ctx.state.mark("site", _fingerprint(ctx, True))

    def undo(step: StepContext) -> None:
        with ctx.runner("maintenance") as runner:
            cmds.disable_site(runner)
        ctx.state.unmark("site")

    shown = [*cmds.site_shown(),
             f"curl -si --resolve {ctx.domain}:443:$MAINTENANCE_IP https://{ctx.domain}/ "
             f"| head -n 1   # expect 503"]
    return _step(ctx, "site", shown, run,
                 lambda: ctx.state.is_done("site", _fingerprint(ctx, True)), undo,
                 [cmds.on_maintenance(_sudo(cmds.maint, f"rm -f {shlex.quote(cmds.conf_path)}")),
                  cmds.on_maintenance(_sudo(cmds.maint, cmds.maint.nginx_reload))])


def _switch_commands(ctx: WizardContext, to_maintenance: bool) -> list[str]:
    if ctx.m.switch == "elastic-ip":
        target = "$MAINTENANCE_INSTANCE" if to_maintenance else ctx.prod_instance()
        alloc = ctx.state.get("allocation_id") or "$ALLOCATION"
        return [f"aws ec2 associate-address --allocation-id {alloc} --instance-id {target} "
                f"--allow-reassociation"]
    value = "$MAINTENANCE_IP" if to_maintenance else "$PROD_IP"
    return [f"aws route53 change-resource-record-sets --hosted-zone-id {ctx.m.hosted_zone_id} "
            f"--change-batch 'UPSERT {ctx.domain} A {value}'"]


def switch(ctx: WizardContext) -> Step:
    """8. Traffic to the maintenance host; verified, or moved back to prod."""

    def run(step: StepContext) -> None:
        if ctx.m.switch == "route53":
            step.emit(f"Route 53 TTL is {ctx.state.get('record_ttl')} s: resolvers that "
                      f"cached the old address keep sending visitors to prod until it expires.")
        switch_target(ctx, True)
        step.emit(f"Traffic for {ctx.domain} now goes to {maintenance_target(ctx)}.")
        try:
            verify_or_fail(ctx, step, ctx.verify_address(), ctx.domain)
        except VerificationFailed as err:
            switch_target(ctx, False)
            step.emit("Moved traffic back to prod.")
            raise VerificationFailed(f"{err} Traffic was moved back to prod.") from None
        ctx.state.on, ctx.state.since = True, time.time()
        ctx.state.mark("switch")

    def undo(step: StepContext) -> None:
        switch_target(ctx, False)
        step.emit("Traffic is back on prod.")
        ctx.state.on, ctx.state.since = False, None
        ctx.state.unmark("switch")

    def done() -> bool:
        return ctx.state.on and traffic_on(ctx) == maintenance_target(ctx)

    return _step(ctx, "switch", [
        *_switch_commands(ctx, True),
        f"curl -si https://{ctx.domain}/ | grep -i -e '^HTTP' -e '^retry-after'   # expect 503",
    ], run, done, undo, _switch_commands(ctx, False))


def switch_back(ctx: WizardContext) -> Step:
    """off 1. Traffic back to prod; prod must answer (not with the maintenance page)."""
    prod_target = ctx.prod_instance() if ctx.m.switch == "elastic-ip" else None

    def run(step: StepContext) -> None:
        switch_target(ctx, False)
        ctx.state.on, ctx.state.since = False, None
        ctx.state.unmark("switch")
        step.emit(f"Traffic for {ctx.domain} goes to prod again.")
        ok, message = ctx.verify(serves_site, ctx.verify_address(), step.emit, step.is_cancelled)
        if not ok:
            raise VerificationFailed(f"Traffic is on prod, but {ctx.domain} does not answer "
                                     f"as expected: {message}")

    def undo(step: StepContext) -> None:
        switch_target(ctx, True)
        ctx.state.on, ctx.state.since = True, time.time()
        ctx.state.mark("switch")
        step.emit("Traffic is on the maintenance host again.")

    def done() -> bool:
        if ctx.state.on:
            return False
        now = traffic_on(ctx)
        return now is None or now == (prod_target or ctx.state.get("prod_record"))

    return Step(title="Move traffic back to prod and check that prod answers",
                commands=[*_switch_commands(ctx, False),
                          f"curl -si https://{ctx.domain}/ | head -n 1   # expect prod"],
                run=run, done=done, undo=undo, undo_commands=_switch_commands(ctx, True))


def stop_instance(ctx: WizardContext) -> Step:
    """off 2a. Stop the maintenance instance (kept for next time)."""
    iid = ctx.state.get("instance_id") or "$INSTANCE"

    def run(step: StepContext) -> None:
        ctx.aws.change(iid, "stop")
        ctx.aws.wait(iid, lambda: ctx.aws.state(iid) == "stopped", step.emit, step.is_cancelled,
                     status=lambda: ctx.aws.state(iid))

    def undo(step: StepContext) -> None:
        ctx.aws.change(iid, "start")

    return Step(title=f"Stop the maintenance instance {iid}",
                commands=[f"aws ec2 stop-instances --instance-ids {iid}",
                          f"aws ec2 wait instance-stopped --instance-ids {iid}"],
                run=run, done=lambda: ctx.aws.state(iid) in ("stopped", "terminated"),
                undo=undo, undo_commands=[f"aws ec2 start-instances --instance-ids {iid}"])


def terminate(ctx: WizardContext) -> list[Step]:
    """off 2b. Terminate the instance, then remove the group and the key pair it used."""
    iid = ctx.state.get("instance_id")
    gid = ctx.state.get("security_group_id")
    key = ctx.state.get("key_name")

    def run_terminate(step: StepContext) -> None:
        if ctx.state.on:
            raise PlanError("Maintenance is still on: move traffic back to prod first.")
        if iid:
            ctx.aws.change(iid, "terminate")
            ctx.aws.wait(iid, lambda: ctx.aws.state(iid) == "terminated", step.emit,
                         step.is_cancelled, status=lambda: ctx.aws.state(iid))
        ctx.state.remember(instance_id=None, public_ip=None)
        ctx.state.unmark("launch", "install", "certificates", "site")

    def run_cleanup(step: StepContext) -> None:
        if gid:
            ctx.aws.delete_group(gid)
            step.emit(f"Deleted security group {gid}.")
        forget_key(ctx)
        ctx.state.remember(security_group_id=None)
        ctx.state.done.clear()
        ctx.state.save()
        step.emit(f"Removed what the wizard created; the page files stay in "
                  f"{ctx.work_dir} and the remote upload dir ~/{UPLOAD_DIR} went with the host.")

    return [
        Step(title=f"Terminate the maintenance instance {iid or '(none)'}",
             commands=[f"aws ec2 terminate-instances --instance-ids {iid or '$INSTANCE'}",
                       f"aws ec2 wait instance-terminated --instance-ids {iid or '$INSTANCE'}"],
             run=run_terminate,
             done=lambda: not iid or ctx.aws.state(iid) == "terminated"
             and not ctx.state.get("instance_id")),
        Step(title="Remove the maintenance security group and key pair",
             commands=[f"aws ec2 delete-security-group --group-id {gid or '$GROUP'}",
                       f"aws ec2 delete-key-pair --key-name {key or '$KEY'}"],
             run=run_cleanup,
             done=lambda: not ctx.state.get("security_group_id")
             and not ctx.state.get("key_name")),
    ]
