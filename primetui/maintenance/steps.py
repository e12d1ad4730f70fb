"""The `on` wizard's steps 1–8, each with its commands, a done() check and an undo.

Every step records itself in the saved progress when it finishes, with a fingerprint (the
instance it worked on, the hash of the files it uploaded), so a rerun skips what is still
in place and redoes what changed. Traffic moves only in the last step; when the domain
does not then answer with the maintenance page, the step moves it back to prod itself.
"""

from __future__ import annotations

import os
import shlex
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from primetui.errors import PlanError, PrimeError
from primetui.maintenance.admin_network import check_admin_network
from primetui.maintenance.context import WizardContext
from primetui.maintenance.page import PageOptions, render_conf, render_index
from primetui.maintenance.progress import STEP_TITLES
from primetui.maintenance.rules import maintenance_permissions
from primetui.maintenance.ssh_side import _sudo, conf_options
from primetui.plans.plan import Step, StepContext

CHECKLIST = ("The lab calendar was checked: nothing is scheduled that the maintenance breaks.",
             "The site's users were told when the site goes down and when it comes back.")


@dataclass(frozen=True)
class OnOptions:
    """What the person chose for `on`: the page's words, and that the checklist was confirmed."""

    page: PageOptions | None = None
    """None keeps the page already written (or writes the default one)."""
    checklist_confirmed: bool = False


def page_to_saved(page: PageOptions) -> dict[str, str]:
    """Page options as the strings the progress file keeps."""
    return {"message": page.message, "contact": page.contact,
            "return_at": page.return_at.isoformat() if page.return_at else ""}


def page_from_saved(saved: dict[str, str], default_contact: str) -> PageOptions:
    """Page options from the progress file (defaults when nothing was saved)."""
    if not saved:
        return PageOptions(contact=default_contact)
    back = saved.get("return_at") or ""
    return PageOptions(message=saved.get("message") or PageOptions().message,
                       contact=saved.get("contact", ""),
                       return_at=datetime.fromisoformat(back) if back else None)


def _step(ctx: WizardContext, key: str, commands: list[str],
          run: Callable[[StepContext], None], done: Callable[[], bool],
          undo: Callable[[StepContext], None] | None = None,
          undo_commands: list[str] | None = None) -> Step:
    """A step whose failure is remembered in the saved progress (the tab shows it)."""

    def recorded(step_ctx: StepContext) -> None:
        try:
            run(step_ctx)
        except BaseException as err:
            ctx.close_runners()
            if isinstance(err, PrimeError):
                ctx.state.error = str(err)
                ctx.state.save()
            raise
        if key in ("site", "switch"):  # the last steps that use SSH: connections end here
            ctx.close_runners()

    def found_done() -> bool:
        # A step found already in place (e.g. the page files kept after a teardown) is
        # skipped by the executor: it must count as done in the saved progress too, or the
        # status says the wizard resumes at a step it will never run again.
        if not done():
            return False
        if key not in ctx.state.done:
            ctx.state.mark(key)
        return True

    return Step(title=STEP_TITLES[key], commands=commands, run=recorded, done=found_done,
                undo=undo, undo_commands=undo_commands or [])


def preflight(ctx: WizardContext, options: OnOptions) -> Step:
    """1. The checklist, prod over SSH with its certificate lineage, and AWS access."""
    d, prod = ctx.domain, ctx.prod_settings()
    cmds = ctx.commands()
    le = cmds.prod.letsencrypt
    lineage = cmds.lineage_check()  # every value in it quoted: prod runs it under sudo

    def run(step: StepContext) -> None:
        if not options.checklist_confirmed:
            raise PlanError("The checklist is not confirmed: check the lab calendar and tell "
                            "the users, then confirm both.")
        step.emit("Checklist confirmed:")
        for item in CHECKLIST:
            step.emit(f"  ✓ {item}")
        network = check_admin_network(ctx.m.admin_cidr, prod.host, ctx.m.public_ip_url,
                                      ctx.timing.probe_timeout)
        if network.inside is False:
            raise PlanError(network.message)
        step.emit(network.message if network.inside else f"Warning: {network.message}")
        with ctx.runner("prod") as runner:
            found = runner.run(lineage, sudo=True, warn=True)
            step.emit(f"prod answers over SSH at {prod.host}:{prod.port}.")
            if not found.ok:
                raise PlanError(f"prod has no certificate lineage for {d} under {le} "
                                f"(live/{d}/fullchain.pem and renewal/{d}.conf).")
            step.emit(f"prod has the {d} certificates under {le}.")
        who = ctx.aws.aws.identity()
        step.emit(f"AWS account {who.account} as {who.arn}.")
        facts = ctx.aws.prod_facts(ctx.prod_instance())
        ctx.state.remember(prod_instance_id=facts.instance_id, vpc_id=facts.vpc_id,
                           subnet_id=facts.subnet_id, prod_groups=",".join(facts.group_ids),
                           prod_ip=facts.public_ip)
        if ctx.m.switch == "elastic-ip":
            if not facts.allocation_id:
                raise PlanError(f"prod ({facts.instance_id}) has no Elastic IP to move; set "
                                f"maintenance.switch = \"route53\" or give prod one first.")
            ctx.state.remember(allocation_id=facts.allocation_id)
            step.emit(f"Elastic IP {facts.allocation_id} is on prod ({facts.instance_id}).")
        else:
            value, ttl = ctx.aws.record(str(ctx.m.hosted_zone_id), d)
            if value is None:
                raise PlanError(f"Route 53 zone {ctx.m.hosted_zone_id} has no A record for {d}.")
            ctx.state.remember(prod_record=value, record_ttl=str(ttl))
            step.emit(f"{d} points at {value} (TTL {ttl} s).")
        ctx.state.mark("preflight")

    return _step(ctx, "preflight", [
        *(f"# checklist: {item}" for item in CHECKLIST),
        cmds.on_prod(_sudo(cmds.prod, lineage)),
        "aws sts get-caller-identity",
        f"aws ec2 describe-instances --instance-ids {ctx.prod_instance()}",
        f"aws ec2 describe-addresses --filters Name=instance-id,Values={ctx.prod_instance()}",
    ], run, lambda: ctx.state.is_done("preflight"))


def page(ctx: WizardContext, options: OnOptions) -> Step:
    """2. index.html and maintenance.conf from the templates, written where they can be edited."""
    wanted = options.page

    def run(step: StepContext) -> None:
        chosen = wanted or page_from_saved(ctx.state.page, ctx.m.contact)
        for path in (ctx.index_file, ctx.conf_file):
            path.parent.mkdir(parents=True, exist_ok=True)
        ctx.index_file.write_text(render_index(chosen, ctx.domain), encoding="utf-8")
        ctx.conf_file.write_text(render_conf(conf_options(ctx.settings), chosen), encoding="utf-8")
        ctx.state.page = page_to_saved(chosen)
        step.emit(f"Wrote {ctx.index_file}")
        step.emit(f"Wrote {ctx.conf_file}")
        step.emit("Edit either file and run the wizard again to upload your version.")
        ctx.state.mark("page")

    def done() -> bool:
        if not (ctx.index_file.exists() and ctx.conf_file.exists()):
            return False
        return wanted is None or page_to_saved(wanted) == ctx.state.page

    return _step(ctx, "page", [f"cat > {ctx.index_file}   # message, return time, contact",
                               f"cat > {ctx.conf_file}   # 503 + Retry-After, HTTP → HTTPS"],
                 run, done)


def security_group(ctx: WizardContext) -> Step:
    """3. The maintenance group: prod's inbound rules, SSH from the lab's network only."""
    admin = ctx.m.admin_cidr

    def run(step: StepContext) -> None:
        groups = tuple(g for g in (ctx.state.get("prod_groups") or "").split(",") if g)
        rules, diff = maintenance_permissions(ctx.aws.inbound(groups), admin)
        step.emit(f"Inbound rules, prod ({', '.join(groups) or 'no groups'}) → maintenance:")
        for line in diff:
            step.emit(f"  {line}")
        vpc = ctx.state.get("vpc_id")
        found = ctx.aws.find_group(vpc)
        if found:
            step.emit(f"Using the existing maintenance group {found}.")
        else:
            found = ctx.aws.create_group(vpc, ctx.domain, rules)
            step.emit(f"Created security group {found}.")
        ctx.state.remember(security_group_id=found)
        ctx.state.mark("security_group")

    def done() -> bool:
        gid = ctx.state.get("security_group_id")
        return bool(gid and ctx.state.is_done("security_group")
                    and ctx.aws.find_group(ctx.state.get("vpc_id")) == gid)

    def undo(step: StepContext) -> None:
        gid = ctx.state.get("security_group_id")
        if gid:
            ctx.aws.delete_group(gid)
            step.emit(f"Deleted security group {gid}.")
        ctx.state.remember(security_group_id=None)
        ctx.state.unmark("security_group")

    return _step(ctx, "security_group", [
        f"aws ec2 create-security-group --group-name primetui-maintenance "
        f"--vpc-id {ctx.state.get('vpc_id') or '$PROD_VPC'} --description 'Maintenance page'",
        f"aws ec2 authorize-security-group-ingress --group-id $GROUP --ip-permissions "
        f"'<prod's inbound rules; port 22 only from {admin}>'",
    ], run, done, undo, ["aws ec2 delete-security-group --group-id $GROUP"])


def _key_pair(ctx: WizardContext, step: StepContext) -> str:
    """The key pair the instance is launched with: reused, imported, or made and saved."""
    name = ctx.state.get("key_name")
    if name and ctx.aws.key_exists(name):
        return name
    name = f"primetui-maintenance-{int(time.time())}"
    template = ctx.settings.servers.get(ctx.m.server)
    if template is not None and template.key is not None:
        ctx.aws.import_key(name, _public_key(template.key.expanduser()), ctx.domain)
        step.emit(f"Imported the public half of {template.key} as key pair {name}.")
        ctx.state.remember(key_name=name)
        return name
    material = ctx.aws.create_key(name, ctx.domain)
    ctx.keys_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = ctx.keys_dir / f"{name}.pem"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(material)
    step.emit(f"Created key pair {name}; its private key is in {path} (mode 0600).")
    ctx.state.remember(key_name=name, key_file=str(path))
    return name


def _public_key(private_key: Path) -> bytes:
    """The OpenSSH public line of a private key file."""
    from cryptography.hazmat.primitives import serialization

    key = serialization.load_ssh_private_key(private_key.read_bytes(), password=None)
    return key.public_key().public_bytes(serialization.Encoding.OpenSSH,  # type: ignore[union-attr]
                                         serialization.PublicFormat.OpenSSH)


def _running_and_checked(ctx: WizardContext) -> bool:
    iid = ctx.state.get("instance_id")
    if not iid:
        return False
    raw = ctx.aws.instance(iid)
    if raw is None or raw["State"]["Name"] != "running":
        return False
    ip = raw.get("PublicIpAddress")
    if ip and ip != ctx.state.get("public_ip"):
        ctx.state.remember(public_ip=ip)  # a stop and start gives a new public address
    return ctx.aws.checks_ok(iid)


def launch(ctx: WizardContext) -> Step:
    """4. Key pair, the latest Amazon Linux 2023 AMI, the instance; wait for its checks."""
    kind = ctx.m.instance_type

    def run(step: StepContext) -> None:
        key = _key_pair(ctx, step)
        iid = ctx.state.get("instance_id")
        state = ctx.aws.state(iid) if iid else "terminated"
        if iid and state in ("pending", "running"):
            step.emit(f"Using the maintenance instance {iid} ({state}).")
        elif iid and state in ("stopped", "stopping"):
            ctx.aws.wait(iid, lambda: ctx.aws.state(str(iid)) == "stopped", step.emit,
                         step.is_cancelled)
            ctx.aws.change(iid, "start")
            step.emit(f"Starting the stopped maintenance instance {iid}.")
        else:
            ami, source = ctx.aws.latest_al2023()
            step.emit(f"Amazon Linux 2023 image {ami} (from {source}).")
            iid = ctx.aws.launch(ami=ami, instance_type=kind, key_name=key,
                                 group_id=str(ctx.state.get("security_group_id")),
                                 subnet_id=ctx.state.get("subnet_id"), domain=ctx.domain)
            ctx.state.remember(instance_id=iid, ami=ami, public_ip=None)
            step.emit(f"Launched {iid} ({kind}).")
        ctx.aws.wait(iid, lambda: ctx.aws.state(iid) == "running", step.emit,
                     step.is_cancelled, status=lambda: ctx.aws.state(iid))
        ctx.aws.wait(f"{iid} status checks", lambda: ctx.aws.checks_ok(iid), step.emit,
                     step.is_cancelled)
        raw = ctx.aws.instance(iid) or {}
        ctx.state.remember(public_ip=raw.get("PublicIpAddress"))
        step.emit(f"{iid} is running at {raw.get('PublicIpAddress') or 'no public address'}; "
                  f"both status checks pass.")
        ctx.state.mark("launch")

    def undo(step: StepContext) -> None:
        iid = ctx.state.get("instance_id")
        if iid:
            ctx.aws.change(iid, "terminate")
            ctx.aws.wait(iid, lambda: ctx.aws.state(iid) == "terminated", step.emit,
                         step.is_cancelled)
            step.emit(f"Terminated {iid}.")
        forget_key(ctx)
        ctx.state.remember(instance_id=None, public_ip=None)
        ctx.state.unmark("launch", "install", "certificates", "site")

    group = ctx.state.get("security_group_id") or "$GROUP"
    template = ctx.settings.servers.get(ctx.m.server)
    if template is not None and template.key is not None:
        key_lines = [f"ssh-keygen -y -f {shlex.quote(str(template.key))} > maintenance.pub",
                     "aws ec2 import-key-pair --key-name primetui-maintenance-$(date +%s) "
                     "--public-key-material fileb://maintenance.pub"]
    else:
        key_lines = ["aws ec2 create-key-pair --key-name primetui-maintenance-$(date +%s) "
                     "--key-type ed25519 --query KeyMaterial --output text > maintenance.pem"]
    return _step(ctx, "launch", [
        *key_lines,
        "aws ssm get-parameter --name /aws/service/ami-amazon-linux-latest/"
        "al2023-ami-kernel-default-x86_64 --query Parameter.Value --output text",
        f"aws ec2 run-instances --image-id $AMI --instance-type {kind} --key-name $KEY "
        f"--security-group-ids {group} --tag-specifications "
        f"'ResourceType=instance,Tags=[{{Key=Name,Value=prime-maintenance}}]'",
        "aws ec2 wait instance-running --instance-ids $INSTANCE",
        "aws ec2 wait instance-status-ok --instance-ids $INSTANCE",
    ], run, lambda: ctx.state.is_done("launch") and _running_and_checked(ctx), undo,
        ["aws ec2 terminate-instances --instance-ids $INSTANCE",
         "aws ec2 delete-key-pair --key-name $KEY"])


def forget_key(ctx: WizardContext) -> None:
    """Delete the wizard's key pair and its private key file."""
    name = ctx.state.get("key_name")
    if name:
        ctx.aws.delete_key(name)
    key_file = ctx.key_file()
    if key_file is not None:
        key_file.unlink(missing_ok=True)
    ctx.state.remember(key_name=None, key_file=None)
