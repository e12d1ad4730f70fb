"""The AWS account's finding: whether the account answers at all.

When it does not, the collector reports the instances and schedules (which need it) as
"not checked" rather than repeating the same sentence; their own checks are in
`primetui/instances/findings.py` and `primetui/schedules/findings.py`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from primetui.errors import PrimeError
from primetui.findings.model import AreaResult, Finding
from primetui.findings.wording import status

if TYPE_CHECKING:
    from primetui.aws import AwsService


def check_aws(aws: AwsService) -> AreaResult:
    """Whether the AWS account answers (STS GetCallerIdentity)."""
    try:
        identity = aws.identity(refresh=True)
    except PrimeError as err:
        return status("aws", "Unreachable.", [Finding(
            "warning", "aws", f"AWS account: {err}",
            "Instances and schedules could not be checked.", "overview", "overview.check_now")])
    profile = f"profile {aws.profile}" if aws.profile else "default credentials"
    return status("aws", f"{identity.account} in {aws.region}, {profile}.")  # fits 80 columns
