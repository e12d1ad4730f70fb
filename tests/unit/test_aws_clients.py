"""Clients are plain botocore clients (boto3 only for S3's transfers), and the listing's
JSON rows are what the generic conversion gives."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from primetui.cli.instances import _instance_json, _row_json
from primetui.instances.model import Instance

REPO = Path(__file__).resolve().parents[2]

CHILD = """
import sys
from primetui.aws import AwsService
from primetui.config import AwsSettings
aws = AwsService(AwsSettings(region="eu-west-1", endpoint_url="http://127.0.0.1:9"))
ec2, rds = aws.client("ec2"), aws.client("rds")
assert aws.client("ec2") is ec2 and ec2.meta.region_name == "eu-west-1"
assert ec2.meta.endpoint_url == "http://127.0.0.1:9"
print("boto3" in sys.modules)
s3 = aws.client("s3")
print(hasattr(s3, "upload_file"), s3._request_signer._credentials is ec2._request_signer._credentials)
"""


def test_clients_do_not_import_boto3_until_s3_which_shares_the_credentials() -> None:
    env = {"PATH": "/usr/bin:/bin", "AWS_ACCESS_KEY_ID": "testing",
           "AWS_SECRET_ACCESS_KEY": "testing", "AWS_CONFIG_FILE": "/nonexistent",
           "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent", "AWS_EC2_METADATA_DISABLED": "true",
           "PYTHONPATH": str(REPO)}
    out = subprocess.run([sys.executable, "-c", CHILD], env=env, capture_output=True, text=True,
                         timeout=120, cwd=REPO)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["False", "True", "True"]


def test_a_listing_row_is_the_same_json_as_the_generic_conversion() -> None:
    import dataclasses

    names = [f.name for f in dataclasses.fields(Instance)]
    rows = [Instance(id="i-1", name="prime-prod", kind="EC2", type="t3.medium", state="running",
                     public_address="203.0.113.9", private_address="10.0.0.5",
                     running_since=datetime(2026, 3, 2, 14, 0, tzinfo=UTC), protected=True,
                     tags=(("Name", "prime-prod"), ("environment", "prod")),
                     schedules=("default/stop-evenings",), scheduled_hours=55.0,
                     arn="arn:aws:ec2:us-east-2:123456789012:instance/i-1"),
            Instance(id="prime-db", name="prime-db", kind="RDS", type="db.t3.micro",
                     state="stopped", endpoint="db:5432",
                     auto_restart=datetime(2026, 3, 9, 14, 0, tzinfo=UTC))]
    for row in rows:
        assert _row_json(row, names) == _instance_json(row)



def _tracked(value: object) -> int:
    """How many of the containers under `value` Python's cyclic collector tracks."""
    import gc

    seen = 1 if gc.is_tracked(value) else 0
    if isinstance(value, dict):
        return seen + sum(_tracked(v) for v in value.values())
    if isinstance(value, list):
        return seen + sum(_tracked(v) for v in value)
    return seen


def test_service_models_are_read_as_botocore_reads_them_into_fewer_tracked_objects() -> None:
    from botocore.loaders import create_loader

    from primetui.aws import _shared_loader

    ours = _shared_loader().load_service_model("ec2", "service-2")
    botocores = create_loader().load_service_model("ec2", "service-2")
    assert ours == botocores  # same content, same order
    assert list(ours["shapes"]) == list(botocores["shapes"])
    assert type(ours["shapes"]) is dict
    # Leaf mappings of strings are not tracked: every full collection walks fewer objects.
    assert _tracked(ours) < 0.75 * _tracked(botocores)
    assert _shared_loader().load_service_model("ec2", "service-2") is ours  # read once
