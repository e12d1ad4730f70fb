"""explain_aws_error: every kind of AWS failure becomes one sentence saying what to do."""

from __future__ import annotations

import subprocess
import sys

import pytest
from boto3.exceptions import S3UploadFailedError
from botocore import exceptions as bx

from primetui.aws import AwsCallError, AwsService, explain_aws_error
from primetui.config import AwsSettings
from primetui.errors import AwsError

SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
KEY_ID = "AKIAIOSFODNN7EXAMPLE"


def client_error(code: str, message: str = "", operation: str = "StopInstances",
                 retries: int = 0) -> bx.ClientError:
    """A ClientError as botocore builds it from an AWS error answer."""
    response = {"Error": {"Code": code, "Message": message},
                "ResponseMetadata": {"HTTPStatusCode": 400, "RetryAttempts": retries}}
    return bx.ClientError(response, operation)


def explain(err: BaseException, action: str = "ec2:StopInstances",
            profile: str | None = "prime") -> AwsCallError:
    explained = explain_aws_error(err, action, profile)
    message = str(explained)
    assert isinstance(explained, AwsError)
    assert "\n" not in message and message.endswith(".")
    assert "Traceback" not in message and "An error occurred" not in message
    return explained


def test_no_credentials_says_set_a_profile_or_run_aws_configure() -> None:
    err = explain(bx.NoCredentialsError(), profile=None)
    assert str(err) == ("No AWS credentials found: set aws.profile in the config "
                        "or run 'aws configure'.")
    assert err.kind == "credentials"


def test_unknown_profile_names_it_and_how_to_create_it() -> None:
    err = explain(bx.ProfileNotFound(profile="lab"))
    assert "'lab'" in str(err) and "aws configure --profile lab" in str(err)
    assert "aws.profile" in str(err)


def test_partial_credentials_name_the_missing_part() -> None:
    err = explain(bx.PartialCredentialsError(provider="env", cred_var="AWS_SECRET_ACCESS_KEY"))
    assert "AWS_SECRET_ACCESS_KEY is missing" in str(err)
    assert "aws configure --profile prime" in str(err)


@pytest.mark.parametrize("code", ["ExpiredToken", "ExpiredTokenException"])
def test_expired_token_says_log_in_again(code: str) -> None:
    err = explain(client_error(code, "The security token included in the request is expired"))
    assert "expired" in str(err)
    assert "aws sso login --profile prime" in str(err) and "refresh" in str(err)
    assert err.kind == "expired" and err.code == code


def test_request_expired_also_mentions_the_clock() -> None:
    err = explain(client_error("RequestExpired", "Request has expired."))
    assert "aws sso login --profile prime" in str(err) and "clock" in str(err)


@pytest.mark.parametrize("err", [
    bx.SSOTokenLoadError(error_msg="no token"),
    bx.UnauthorizedSSOTokenError(),
    bx.TokenRetrievalError(provider="sso", error_msg="expired"),
], ids=["SSOTokenLoadError", "UnauthorizedSSOTokenError", "TokenRetrievalError"])
def test_sso_login_needed_says_run_aws_sso_login(err: Exception) -> None:
    explained = explain(err)
    assert str(explained).endswith("run 'aws sso login --profile prime'.")
    assert explained.kind == "sso"


def test_sso_login_without_a_profile_omits_the_flag() -> None:
    assert str(explain(bx.UnauthorizedSSOTokenError(), profile=None)).endswith(
        "run 'aws sso login'.")


@pytest.mark.parametrize("code", ["AccessDenied", "AccessDeniedException",
                                  "UnauthorizedOperation", "UnauthorizedAccess"])
def test_access_denied_names_the_action_and_asks_for_the_permission(code: str) -> None:
    err = explain(client_error(code, "You are not authorized to perform this operation. "
                                     "Encoded authorization failure message: " + "x" * 300))
    assert str(err).startswith("AWS denied ec2:StopInstances to profile 'prime'")
    assert "ask your AWS administrator for the ec2:StopInstances permission" in str(err)
    assert "xxxx" not in str(err)
    assert err.kind == "denied"


@pytest.mark.parametrize("code", ["InvalidClientTokenId", "SignatureDoesNotMatch",
                                  "AuthFailure"])
def test_wrong_keys_say_configure_a_valid_key(code: str) -> None:
    err = explain(client_error(code, f"Credential={KEY_ID}/20240101/us-east-2 {SECRET}"))
    assert "aws configure --profile prime" in str(err) and "valid key" in str(err)
    assert KEY_ID not in str(err) and SECRET not in str(err)
    assert err.kind == "bad-keys"


@pytest.mark.parametrize("code", ["Throttling", "ThrottlingException",
                                  "RequestLimitExceeded"])
def test_throttling_says_after_how_many_retries_and_to_wait(code: str) -> None:
    err = explain(client_error(code, "Rate exceeded", retries=3),
                  action="ec2:DescribeInstances")
    assert str(err) == (f"AWS throttled ec2:DescribeInstances ({code}) after 3 retries: "
                        "try again in a minute.")


@pytest.mark.parametrize("err", [
    bx.EndpointConnectionError(endpoint_url="https://ec2.us-east-2.amazonaws.com/"),
    bx.ConnectTimeoutError(endpoint_url="https://ec2.us-east-2.amazonaws.com/"),
    bx.ReadTimeoutError(endpoint_url="https://ec2.us-east-2.amazonaws.com/"),
], ids=["EndpointConnectionError", "ConnectTimeoutError", "ReadTimeoutError"])
def test_unreachable_endpoint_says_cannot_reach_aws_at_the_url(err: Exception) -> None:
    explained = explain(err)
    assert str(explained).startswith("Cannot reach AWS at https://ec2.us-east-2.amazonaws.com: ")
    assert explained.kind == "unreachable"


def test_other_client_errors_give_code_and_message_in_one_sentence() -> None:
    err = explain(client_error("IncorrectInstanceState",
                               "The instance 'i-1' is not in a state\nfrom which it can be stopped."))
    assert str(err) == ("AWS refused ec2:StopInstances (IncorrectInstanceState): The instance "
                        "'i-1' is not in a state from which it can be stopped.")
    assert err.code == "IncorrectInstanceState" and err.kind == "service"


def test_long_aws_messages_are_cut_short() -> None:
    err = explain(client_error("ValidationError", "word " * 200))
    assert len(str(err)) < 320


def test_other_botocore_and_boto3_errors_are_one_sentence() -> None:
    assert str(explain(bx.NoRegionError())) == "No AWS region is set: set aws.region in the config."
    invalid = explain(bx.ParamValidationError(report="Missing required parameter\nmore"))
    assert str(invalid) == "Invalid parameters for ec2:StopInstances: Missing required parameter."
    upload = explain(S3UploadFailedError("Failed to upload x to b/k: An error"), "s3:PutObject")
    assert str(upload).startswith("s3:PutObject failed: Failed to upload x")


def test_default_credentials_are_named_when_no_profile_is_set() -> None:
    err = explain(client_error("AccessDenied"), action="rds:StopDBInstance", profile=None)
    assert "AWS denied rds:StopDBInstance to the default credentials" in str(err)


def test_call_lets_non_aws_exceptions_through() -> None:
    service = AwsService(AwsSettings())
    with pytest.raises(ZeroDivisionError):
        service.call("ec2:StopInstances", lambda: 1 / 0)


def test_call_explains_aws_exceptions_and_keeps_the_cause() -> None:
    service = AwsService(AwsSettings(profile="prime"))

    def fail() -> None:
        raise client_error("AccessDenied")

    with pytest.raises(AwsCallError) as caught:
        service.call("ec2:StopInstances", fail)
    assert "profile 'prime'" in str(caught.value)
    assert isinstance(caught.value.__cause__, bx.ClientError)


def test_aws_modules_import_without_boto3_botocore_or_moto() -> None:
    code = ("import sys, primetui.aws, primetui.sandbox.moto; "
            "print(sorted({m.split('.')[0] for m in sys.modules} & "
            "{'boto3', 'botocore', 'moto'}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=60)
    assert out.stdout.strip() == "[]"
