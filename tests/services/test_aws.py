"""AwsService against a real moto server over HTTP: identity, client reuse, failures."""

from __future__ import annotations

import socket
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest

from primetui.aws import AccountSummary, AwsCallError, AwsService
from primetui.config import AwsSettings
from primetui.errors import AwsError
from primetui.sandbox.moto import MotoServer, start_moto
from primetui.sandbox.tools import free_port

MOTO_ACCOUNT = "123456789012"


def assert_one_sentence(message: str) -> None:
    """A user-facing message: one line, ends with a period, no Python or botocore noise."""
    assert "\n" not in message
    assert message.endswith(".")
    assert "Traceback" not in message
    assert "An error occurred" not in message  # botocore's own multi-part template


def test_identity_returns_the_moto_account(aws_settings: AwsSettings) -> None:
    identity = AwsService(aws_settings).identity()
    assert identity.account == MOTO_ACCOUNT
    assert identity.arn.startswith(f"arn:aws:sts::{MOTO_ACCOUNT}:")
    assert identity.user_id
    assert (identity.profile, identity.region) == (None, "us-east-2")


def test_identity_is_remembered_until_refreshed(aws_settings: AwsSettings) -> None:
    service = AwsService(aws_settings)
    first = service.identity()
    assert service.identity() is first
    assert service.identity(refresh=True) == first


def test_clients_are_made_once_and_reused(aws_settings: AwsSettings) -> None:
    service = AwsService(aws_settings)
    ec2 = service.client("ec2")
    assert service.client("ec2") is ec2
    assert service.client("rds") is not ec2
    assert service.client("ec2", region="eu-west-1") is not ec2
    assert service.session() is service.session()


def test_clients_are_shared_between_threads(aws_settings: AwsSettings) -> None:
    service = AwsService(aws_settings)
    with ThreadPoolExecutor(max_workers=8) as pool:
        clients = list(pool.map(lambda _: service.client("sts"), range(16)))
    assert len({id(c) for c in clients}) == 1


def test_clients_use_standard_retries_and_the_configured_timeouts(
        aws_settings: AwsSettings) -> None:
    settings = AwsSettings(endpoint_url=aws_settings.endpoint_url, max_attempts=3,
                           connect_timeout=1.5, read_timeout=7.0)
    client = AwsService(settings).client("ec2")
    config = client.meta.config
    assert config.retries == {"mode": "standard", "total_max_attempts": 3}
    assert (config.connect_timeout, config.read_timeout) == (1.5, 7.0)
    assert client.meta.endpoint_url == aws_settings.endpoint_url
    assert client.meta.region_name == "us-east-2"


def test_aws_endpoint_url_from_the_environment_is_honoured(
        aws_env: dict[str, str], moto_server: MotoServer) -> None:
    service = AwsService(AwsSettings(region="us-east-2"))  # no endpoint_url in the settings
    assert service.client("sts").meta.endpoint_url == moto_server.endpoint_url
    assert service.identity().account == MOTO_ACCOUNT


def test_no_credentials_gives_one_sentence_quickly(
        aws_settings: AwsSettings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    started = time.monotonic()
    with pytest.raises(AwsError) as caught:
        AwsService(aws_settings).identity()
    assert time.monotonic() - started < 3.0
    assert str(caught.value) == ("No AWS credentials found: set aws.profile in the config "
                                 "or run 'aws configure'.")


def test_unknown_profile_gives_one_sentence(aws_settings: AwsSettings) -> None:
    settings = AwsSettings(profile="no-such-lab", endpoint_url=aws_settings.endpoint_url)
    with pytest.raises(AwsCallError) as caught:
        AwsService(settings).identity()
    message = str(caught.value)
    assert_one_sentence(message)
    assert "'no-such-lab'" in message
    assert "aws configure --profile no-such-lab" in message
    assert caught.value.kind == "profile"


def test_endpoint_nobody_listens_on_says_cannot_reach_aws_within_seconds(
        aws_env: dict[str, str]) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    settings = AwsSettings(endpoint_url=url, connect_timeout=1.0, read_timeout=2.0,
                           max_attempts=2)
    started = time.monotonic()
    with pytest.raises(AwsCallError) as caught:
        AwsService(settings).identity()
    assert time.monotonic() - started < 5.0
    assert str(caught.value).startswith(f"Cannot reach AWS at {url}")
    assert_one_sentence(str(caught.value))
    assert caught.value.kind == "unreachable"


def test_a_refusal_from_aws_is_one_sentence_with_its_code(aws_settings: AwsSettings) -> None:
    service = AwsService(aws_settings)
    ec2 = service.client("ec2")
    with pytest.raises(AwsCallError) as caught:
        service.call("ec2:StopInstances", ec2.stop_instances,
                     InstanceIds=["i-0123456789abcdef0"])
    message = str(caught.value)
    assert_one_sentence(message)
    assert message.startswith("AWS refused ec2:StopInstances (InvalidInstanceID.NotFound): ")
    assert "i-0123456789abcdef0" in message
    assert caught.value.code == "InvalidInstanceID.NotFound"
    assert caught.value.action == "ec2:StopInstances"


def test_translating_block_explains_failures_too(aws_settings: AwsSettings) -> None:
    service = AwsService(aws_settings)
    with pytest.raises(AwsCallError, match=r"^AWS refused rds:StopDBInstance \(DBInstanceNotFound"):
        with service.translating("rds:StopDBInstance"):
            service.client("rds").stop_db_instance(DBInstanceIdentifier="nope")


def test_summary_shows_the_account(aws_settings: AwsSettings) -> None:
    summary = AwsService(aws_settings).summary()
    assert summary == AccountSummary(profile=None, region="us-east-2",
                                     account=MOTO_ACCOUNT, error=None)


def test_summary_never_raises_and_keeps_the_sentence(aws_env: dict[str, str]) -> None:
    settings = AwsSettings(endpoint_url=f"http://127.0.0.1:{free_port()}",
                           connect_timeout=1.0, max_attempts=1)
    summary = AwsService(settings).summary()
    assert summary.account is None
    assert summary.error is not None and summary.error.startswith("Cannot reach AWS at ")


def test_moto_reset_forgets_resources(aws_settings: AwsSettings,
                                      moto_server: MotoServer) -> None:
    s3 = AwsService(aws_settings).client("s3")
    s3.create_bucket(Bucket="lab-backups",
                     CreateBucketConfiguration={"LocationConstraint": "us-east-2"})
    assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == ["lab-backups"]
    moto_server.reset()
    assert s3.list_buckets()["Buckets"] == []


def test_moto_server_binds_loopback_and_stops_idempotently() -> None:
    server = start_moto()
    assert server.endpoint_url == f"http://127.0.0.1:{server.port}"
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(f"{server.endpoint_url}/moto-api/data.json", timeout=5) as answer:
        assert answer.status == 200
    server.stop()
    server.stop()
    assert not server.running
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", server.port), 1):
        pass
