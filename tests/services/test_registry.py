"""`Services` builds each area's service once, from one Settings, against the real moto server."""

from __future__ import annotations

from primetui.config import Settings
from primetui.registry import Services


def test_services_are_built_once_and_share_one_aws_session(aws_settings) -> None:
    services = Services(Settings(aws=aws_settings))
    assert services.instances is services.instances
    assert services.instances.aws is services.aws
    assert services.schedules.aws is services.aws
    assert services.instances.list() == []
    assert services.account_summary().account == "123456789012"


def test_backup_service_comes_from_the_same_settings(tmp_path, aws_settings) -> None:
    from dataclasses import replace

    settings = Settings(aws=aws_settings)
    settings = replace(settings, backups=replace(settings.backups, destination=tmp_path / "b"))
    services = Services(settings)
    assert services.backups is services.backups
    assert services.backups.destination == tmp_path / "b"
    assert services.backups.list_backups(include_s3=False) == []
