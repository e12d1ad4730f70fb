"""The optional copy of each backup in S3: only to a bucket that blocks public access.

Uploads ask for server-side encryption (SSE-S3, AES256) and check that S3 applied it. The
archive is already encrypted by gpg; this is defence in depth, and the public-access
check stops a typo in the bucket name from publishing the lab's secrets.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from primetui.backups.catalog import BackupEntry, sort_newest_first
from primetui.backups.common import SUFFIX, BackupError, parse_name

if TYPE_CHECKING:
    from primetui.aws import AwsService

_FLAGS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")


class S3BackupCopy:
    """Copies backups to one bucket and lists what is there."""

    def __init__(self, aws: AwsService, bucket: str, prefix: str = "") -> None:
        self.aws = aws
        self.bucket = bucket
        self.prefix = prefix

    def _client(self) -> Any:
        return self.aws.client("s3")

    def url(self, name: str) -> str:
        """The s3:// URL of a backup."""
        return f"s3://{self.bucket}/{self.prefix}{name}"

    def check_bucket(self) -> None:
        """Refuse a bucket whose public access block is missing or incomplete."""
        from botocore.exceptions import ClientError

        s3 = self._client()
        with self.aws.translating("s3:GetPublicAccessBlock"):
            try:
                answer = s3.get_public_access_block(Bucket=self.bucket)
            except ClientError as err:
                if err.response.get("Error", {}).get("Code") != \
                        "NoSuchPublicAccessBlockConfiguration":
                    raise
                answer = {"PublicAccessBlockConfiguration": {}}
        config = answer.get("PublicAccessBlockConfiguration", {})
        missing = [flag for flag in _FLAGS if not config.get(flag)]
        if missing:
            raise BackupError(f"Refusing to copy backups to s3://{self.bucket}: its public "
                              f"access block is not fully on ({', '.join(missing)} off); turn "
                              f"on all four settings first.")

    def upload(self, file: Path) -> str:
        """Upload one backup with server-side encryption; returns its s3:// URL."""
        self.check_bucket()
        s3 = self._client()
        key = f"{self.prefix}{file.name}"
        with self.aws.translating("s3:PutObject"):
            s3.upload_file(str(file), self.bucket, key,
                           ExtraArgs={"ServerSideEncryption": "AES256"})
            head = s3.head_object(Bucket=self.bucket, Key=key)
        if head.get("ServerSideEncryption") not in ("AES256", "aws:kms", "aws:kms:dsse"):
            raise BackupError(f"S3 stored {self.url(file.name)} without server-side encryption.")
        if head.get("ContentLength") != file.stat().st_size:
            raise BackupError(f"S3 holds {head.get('ContentLength')} bytes of {file.name}, "
                              f"not {file.stat().st_size}.")
        return self.url(file.name)

    def list(self, now: float) -> list[BackupEntry]:
        """The backups in the bucket, newest first."""
        s3 = self._client()
        entries = []
        with self.aws.translating("s3:ListObjectsV2"):
            pages = s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket,
                                                                 Prefix=self.prefix)
            for page in pages:
                for obj in page.get("Contents", []):
                    name = obj["Key"][len(self.prefix):]
                    if "/" in name or not name.endswith((SUFFIX, ".gpg")):
                        continue
                    parsed = parse_name(name)
                    created = obj["LastModified"].timestamp()
                    entries.append(BackupEntry(
                        name=name, location="s3", path=self.url(name),
                        kind=parsed.kind if parsed else "other", created=created,
                        size=int(obj["Size"]), age_days=max(0.0, (now - created) / 86400)))
        return sort_newest_first(entries)
