"""Backups from a server over the real sshd, the S3 copy on moto, and secret hygiene."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from primetui.aws import AwsService
from primetui.backups.common import BackupError
from primetui.backups.service import BackupService
from primetui.config import AwsSettings, BackupSettings, ServerSettings, Settings
from primetui.plans.plan import execute
from primetui.remote.runners import runner_for
from primetui.sandbox.gpg import GpgHome
from tests.fixtures.backups import PASSPHRASE, QUICK_S2K, make_service, run_ok, tree_digest


def test_a_server_directory_is_backed_up_over_ssh_and_restores_byte_for_byte(
        sample_project: Path, gpg_home: GpgHome, tmp_path: Path,
        ssh_server_settings: ServerSettings) -> None:
    settings = Settings(servers={"lab": ssh_server_settings},
                        backups=BackupSettings(source=f"lab:{sample_project}",
                                               destination=tmp_path / "backups"))
    service = BackupService(settings, runner_factory=lambda name: runner_for(settings, name),
                            gnupghome=gpg_home.path, state_file=tmp_path / "verified.json",
                            s2k_count=QUICK_S2K)
    plan = service.create_plan(PASSPHRASE)
    assert plan.commands()[1].startswith("ssh lab 'cd ")
    result = execute(plan)
    assert result.ok, result.error
    assert any(line.startswith("on lab: .env .env.production config") for line in result.output)
    [entry] = service.list_backups()
    target = tmp_path / "restored"
    run_ok(service.restore_plan(service.preview_restore(entry.name, PASSPHRASE, target),
                                PASSPHRASE))
    backed_up = {path: digest for path, digest in tree_digest(sample_project).items()
                 if path.split("/")[0] in (".env", ".env.production", "config")}
    assert tree_digest(target) == backed_up  # contents and modes, byte for byte


def test_a_server_source_with_a_symlink_is_refused_before_anything_is_written(
        sample_project: Path, gpg_home: GpgHome, tmp_path: Path,
        ssh_server_settings: ServerSettings) -> None:
    (sample_project / "config" / "current").symlink_to("app.toml")
    settings = Settings(servers={"lab": ssh_server_settings},
                        backups=BackupSettings(source=f"lab:{sample_project}",
                                               destination=tmp_path / "backups"))
    service = BackupService(settings, runner_factory=lambda name: runner_for(settings, name),
                            gnupghome=gpg_home.path, state_file=tmp_path / "verified.json",
                            s2k_count=QUICK_S2K)
    result = execute(service.create_plan(PASSPHRASE))
    assert not result.ok and "config/current is a symbolic link" in result.error
    assert os.listdir(service.destination) == []


def _s3_service(project: Path, home: GpgHome, tmp: Path, aws: AwsSettings,
                bucket: str) -> BackupService:
    settings = Settings(aws=aws, backups=BackupSettings(
        source=str(project), destination=tmp / "backups", s3_bucket=bucket))
    return BackupService(settings, aws=AwsService(aws), gnupghome=home.path,
                         state_file=tmp / "verified.json", s2k_count=QUICK_S2K)


def test_the_s3_copy_is_server_side_encrypted_and_listed(
        sample_project: Path, gpg_home: GpgHome, tmp_path: Path, aws_settings: AwsSettings) -> None:
    service = _s3_service(sample_project, gpg_home, tmp_path, aws_settings, "lab-backups")
    s3 = service.aws.client("s3")
    s3.create_bucket(Bucket="lab-backups",
                     CreateBucketConfiguration={"LocationConstraint": "us-east-2"})
    s3.put_public_access_block(Bucket="lab-backups", PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
        "RestrictPublicBuckets": True})
    plan = service.create_plan(PASSPHRASE)
    assert "--sse AES256" in plan.commands()[-1]
    run_ok(plan)
    [local] = [e for e in service.list_backups() if e.location == "local"]
    head = s3.head_object(Bucket="lab-backups", Key=local.name)
    assert head["ServerSideEncryption"] == "AES256"
    [remote] = [e for e in service.list_backups() if e.location == "s3"]
    assert remote.name == local.name and remote.size == local.size
    assert remote.path == f"s3://lab-backups/{local.name}"


def test_a_bucket_without_public_access_block_is_refused(
        sample_project: Path, gpg_home: GpgHome, tmp_path: Path, aws_settings: AwsSettings) -> None:
    service = _s3_service(sample_project, gpg_home, tmp_path, aws_settings, "open-bucket")
    s3 = service.aws.client("s3")
    s3.create_bucket(Bucket="open-bucket",
                     CreateBucketConfiguration={"LocationConstraint": "us-east-2"})
    result = execute(service.create_plan(PASSPHRASE))
    assert not result.ok and "public access block is not fully on" in result.error
    assert s3.list_objects_v2(Bucket="open-bucket").get("KeyCount", 0) == 0
    assert [e.location for e in service.list_backups()] == ["local"]  # the local one is kept


def _git(project: Path, *args: str) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.test",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.test"}
    subprocess.run(["git", *args], cwd=project, env=env, check=True, capture_output=True)


@pytest.fixture
def service(sample_project: Path, gpg_home: GpgHome, tmp_path: Path) -> BackupService:
    return make_service(sample_project, gpg_home, tmp_path)


def test_hygiene_reports_a_readable_env_and_the_plan_fixes_its_mode(
        service: BackupService, sample_project: Path) -> None:
    report = service.hygiene()
    assert report.is_git and [f.name for f in report.files] == [".env", ".env.production"]
    assert report.problems() == [".env has mode 0644; it should be 0600 (owner only)."]
    plan = service.hygiene_plan(report)
    assert plan.commands() == [f"chmod 600 {sample_project / '.env'}"]
    run_ok(plan)
    assert service.hygiene().ok


def test_hygiene_finds_a_tracked_env_and_one_in_history(
        service: BackupService, sample_project: Path) -> None:
    (sample_project / ".gitignore").write_text("__pycache__/\n")
    (sample_project / ".env").chmod(0o600)
    _git(sample_project, "add", ".env")
    _git(sample_project, "commit", "-q", "-m", "oops")
    report = service.hygiene()
    assert report.in_history == (".env",)
    problems = report.problems()
    assert ".env is tracked by git; stop tracking it and rotate its secrets." in problems
    assert ".env.production is not ignored by git; add it to .gitignore." in problems
    run_ok(service.hygiene_plan(report))
    after = service.hygiene()
    assert all(f.ignored and not f.tracked for f in after.files)
    assert (sample_project / ".env").exists()
    assert after.problems() == ["git history contains .env: rotate those secrets (rewriting "
                                "history does not un-leak them)."]


def test_hygiene_of_a_server_source_says_it_checks_local_projects_only(
        gpg_home: GpgHome, tmp_path: Path) -> None:
    settings = Settings(servers={"lab": ServerSettings(host="127.0.0.1")},
                        backups=BackupSettings(source="lab:/srv/prime"))
    with pytest.raises(BackupError, match="local project"):
        BackupService(settings, gnupghome=gpg_home.path).hygiene()
