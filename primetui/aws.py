"""The AWS session: one boto3 session per profile and region, clients made once and reused.

Every failure of a boto3 call becomes an `AwsError` whose message is one sentence saying
what to do (`explain_aws_error`), never a traceback.

Import rule: this module must stay importable without importing boto3 or botocore (the
app imports it at start-up and start-up time is budgeted), so both are imported inside
methods only. tests/unit/test_aws_errors.py checks this in a fresh interpreter.
"""

from __future__ import annotations

import contextvars
import logging
import os
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

from primetui.config import AwsSettings
from primetui.errors import AwsError, PrimeError

T = TypeVar("T")
log = logging.getLogger(__name__)

_EXPIRED = {"ExpiredToken", "ExpiredTokenException", "RequestExpired", "TokenRefreshRequired"}
_DENIED = {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation",
           "UnauthorizedAccess", "AuthorizationError", "AuthorizationErrorException"}
_BAD_KEYS = {"InvalidClientTokenId", "SignatureDoesNotMatch", "AuthFailure",
             "InvalidAccessKeyId", "UnrecognizedClientException", "IncompleteSignature"}
_THROTTLED = {"Throttling", "ThrottlingException", "RequestLimitExceeded",
              "TooManyRequestsException", "RequestThrottled", "RequestThrottledException",
              "SlowDown", "ProvisionedThroughputExceededException"}
_UNAVAILABLE = {"InternalError", "InternalFailure", "ServiceUnavailable", "Unavailable"}
# Access key ids, and long base64 runs (secret keys are 40 characters, tokens longer).
_SECRETISH = re.compile(r"\b(?:AKIA|ASIA|AIDA|AROA|ABIA|ACCA)[A-Z0-9]{12,}\b"
                        r"|(?<![A-Za-z0-9/+=])[A-Za-z0-9/+=]{40,}(?![A-Za-z0-9/+=])")


@dataclass(frozen=True)
class AccountIdentity:
    """Who the credentials belong to, from STS GetCallerIdentity."""

    account: str
    arn: str
    user_id: str
    profile: str | None
    region: str


@dataclass(frozen=True)
class AccountSummary:
    """What the header shows: profile, region, and the account id or why it is unknown."""

    profile: str | None
    region: str
    account: str | None
    error: str | None = None


class AwsCallError(AwsError):
    """An `AwsError` that also says what kind of failure it was, for code that reacts to it.

    `kind` is one of: credentials, profile, expired, sso, denied, bad-keys, throttled,
    unavailable, unreachable, region, invalid, service, other. `code` is AWS's error code
    (e.g. "InvalidInstanceID.NotFound") when AWS answered.
    """

    def __init__(self, message: str, *, kind: str, action: str, code: str | None = None):
        super().__init__(message)
        self.kind = kind
        self.action = action
        self.code = code


def _clean(text: str, limit: int = 240) -> str:
    """One line, no secrets, no trailing period, at most `limit` characters."""
    text = _SECRETISH.sub("[redacted]", " ".join(str(text).split())).rstrip(". ")
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _who(profile: str | None) -> str:
    return f"profile '{profile}'" if profile else "the default credentials"


def _login(profile: str | None) -> str:
    return f"aws sso login --profile {profile}" if profile else "aws sso login"


def _configure(profile: str | None) -> str:
    return f"aws configure --profile {profile}" if profile else "aws configure"


def _explain_client_error(err: Any, action: str, profile: str | None) -> AwsCallError:
    """The sentence for an error AWS itself answered with (botocore ClientError)."""
    error = err.response.get("Error", {}) if isinstance(err.response, dict) else {}
    code = str(error.get("Code") or "Unknown")
    message = _clean(error.get("Message") or "")
    retries = (err.response.get("ResponseMetadata") or {}).get("RetryAttempts")
    after = f"after {retries} retries" if retries else "after retrying"

    def made(text: str, kind: str) -> AwsCallError:
        return AwsCallError(text, kind=kind, action=action, code=code)

    if code == "RequestExpired":
        return made(f"AWS says the request or session token has expired (RequestExpired): "
                    f"run '{_login(profile)}' or refresh the credentials, and check that "
                    f"this computer's clock is right.", "expired")
    if code in _EXPIRED:
        return made(f"The AWS session token for {_who(profile)} has expired: "
                    f"run '{_login(profile)}' or refresh it, then try again.", "expired")
    if code in _DENIED:
        return made(f"AWS denied {action} to {_who(profile)} ({code}): ask your AWS "
                    f"administrator for the {action} permission.", "denied")
    if code in _BAD_KEYS:
        return made(f"AWS rejected the access key of {_who(profile)} ({code}): the key is "
                    f"wrong or was deleted; run '{_configure(profile)}' with a valid key.",
                    "bad-keys")
    if code in _THROTTLED:
        return made(f"AWS throttled {action} ({code}) {after}: try again in a minute.",
                    "throttled")
    if code in _UNAVAILABLE:
        return made(f"AWS could not do {action} right now ({code}) {after}: "
                    f"try again in a few minutes.", "unavailable")
    detail = f": {message}" if message else ""
    return made(f"AWS refused {action} ({code}){detail}.", "service")


def explain_aws_error(err: BaseException, action: str, profile: str | None, *,
                      endpoint_url: str | None = None) -> AwsCallError:
    """Turn a botocore/boto3 failure into one sentence that says what to do.

    `action` names what was attempted in IAM's words ("ec2:StopInstances"); `profile` is
    the AWS profile in use (None: the default credential chain). Credentials never appear.
    """
    from botocore import exceptions as bx

    def made(text: str, kind: str) -> AwsCallError:
        return AwsCallError(text, kind=kind, action=action)

    kwargs: dict[str, Any] = getattr(err, "kwargs", None) or {}
    if isinstance(err, AwsCallError):
        return err
    if isinstance(err, bx.ClientError):
        return _explain_client_error(err, action, profile)
    if isinstance(err, bx.NoCredentialsError):
        return made("No AWS credentials found: set aws.profile in the config "
                    "or run 'aws configure'.", "credentials")
    if isinstance(err, bx.ProfileNotFound):
        name = kwargs.get("profile") or profile or "default"
        return made(f"The AWS profile '{name}' is not in ~/.aws/config: fix aws.profile "
                    f"in the config or run 'aws configure --profile {name}'.", "profile")
    if isinstance(err, bx.PartialCredentialsError):
        missing = kwargs.get("cred_var") or "a value"
        return made(f"The AWS credentials of {_who(profile)} are incomplete ({missing} is "
                    f"missing): run '{_configure(profile)}' to set both keys.", "credentials")
    if isinstance(err, bx.SSOError | bx.TokenRetrievalError):
        return made(f"The AWS SSO session for {_who(profile)} has expired or was never "
                    f"started: run '{_login(profile)}'.", "sso")
    if isinstance(err, bx.CredentialRetrievalError):
        source = kwargs.get("provider") or "its credential source"
        return made(f"AWS credentials for {_who(profile)} could not be obtained from "
                    f"{source}: check that profile in ~/.aws/config.", "credentials")
    if isinstance(err, bx.ProxyConnectionError):
        return made(f"Cannot reach the proxy at {kwargs.get('proxy_url', '?')}: "
                    f"check HTTPS_PROXY and NO_PROXY.", "unreachable")
    if isinstance(err, bx.ConnectionError | bx.HTTPClientError):
        url = str(kwargs.get("endpoint_url") or endpoint_url or "its endpoint").rstrip("/")
        if isinstance(err, bx.ConnectTimeoutError):
            why = "the connection timed out; check the network, aws.endpoint_url or AWS_ENDPOINT_URL"
        elif isinstance(err, bx.ReadTimeoutError):
            why = "it did not answer in time; try again or raise aws.read_timeout"
        elif isinstance(err, bx.SSLError):
            why = "its TLS certificate could not be verified; check AWS_CA_BUNDLE"
        else:
            why = "check the network connection, aws.endpoint_url or AWS_ENDPOINT_URL"
        return made(f"Cannot reach AWS at {url}: {why}.", "unreachable")
    from botocore.parsers import ResponseParserError

    if isinstance(err, ResponseParserError):
        url = str(endpoint_url or "its endpoint").rstrip("/")
        return made(f"AWS at {url} answered {action} with something that is not an AWS "
                    f"response (not the XML or JSON AWS sends): check aws.endpoint_url, "
                    f"AWS_ENDPOINT_URL or any proxy in between.", "unreachable")
    if isinstance(err, bx.NoRegionError):
        return made("No AWS region is set: set aws.region in the config.", "region")
    if isinstance(err, bx.ParamValidationError):
        report = _clean(str(kwargs.get("report") or err).splitlines()[0])
        return made(f"Invalid parameters for {action}: {report}.", "invalid")
    if isinstance(err, bx.WaiterError):
        return made(f"Waiting on {action} failed: {_clean(kwargs.get('reason') or '')}.",
                    "other")
    return made(f"{action} failed: {_clean(str(err)) or type(err).__name__}.", "other")


def _is_aws_failure(err: BaseException) -> bool:
    """Whether an exception came from botocore or boto3 (and should be explained)."""
    import sys

    from botocore.exceptions import BotoCoreError, ClientError
    from botocore.parsers import ResponseParserError

    if isinstance(err, BotoCoreError | ClientError | ResponseParserError):
        return True
    if "boto3" not in sys.modules:  # only S3's transfers use boto3: no boto3, no boto3 error
        return False
    from boto3.exceptions import Boto3Error

    return isinstance(err, Boto3Error)


class AwsDeadlineError(AwsCallError):
    """An AWS call that did not finish within `aws.deadline` (its thread is left behind)."""


def call_with_deadline(fn: Callable[[], T], seconds: float, on_late: Callable[[], BaseException],
                       name: str = "aws-call") -> T:
    """`fn()` on a daemon thread, waited for at most `seconds`; `on_late()` is raised after.

    botocore's read timeout bounds each wait for bytes, so an endpoint that sends one byte
    a second is never "timed out"; this bounds the whole call. The abandoned thread is a
    daemon: it never keeps the process alive.
    """
    box: dict[str, Any] = {}
    done = threading.Event()

    def work() -> None:
        try:
            box["value"] = fn()
        except BaseException as err:  # noqa: BLE001 - handed to the waiting thread
            box["error"] = err
        finally:
            done.set()

    threading.Thread(target=work, name=name, daemon=True).start()
    if not done.wait(seconds):
        raise on_late()
    if "error" in box:
        raise box["error"]
    return box["value"]


AnswerReader = Callable[[bytes], tuple[dict[str, Any], bytes]]
"""Reads a successful answer's body itself: (what it found, what is left for botocore)."""

_READERS: contextvars.ContextVar[dict[str, AnswerReader] | None] = contextvars.ContextVar(
    "primetui_answer_readers", default=None)
_CALL = threading.local()  # the readers of the call running on this (deadline) thread


@contextmanager
def reading_answers(operation: str, reader: AnswerReader) -> Iterator[None]:
    """Within the block, this thread's successful `operation` answers are read by `reader`.

    For a listing that needs a few fields of a large answer (EC2 DescribeInstances):
    `reader` turns the body into botocore-shaped data and hands back a small envelope for
    botocore's own parser (its response metadata), so signing, retries, errors and
    pagination stay botocore's. Error answers are always botocore's to read.
    """
    token = _READERS.set({**(_READERS.get() or {}), operation: reader})
    try:
        yield
    finally:
        _READERS.reset(token)


def _read_answer_ourselves(operation_model: Any, response_dict: dict[str, Any],
                           customized_response_dict: dict[str, Any] | None = None,
                           **_: Any) -> None:
    readers = getattr(_CALL, "readers", None)
    reader = readers.get(operation_model.name) if readers else None
    body = response_dict.get("body")
    if (reader is None or customized_response_dict is None or not isinstance(body, bytes)
            or response_dict.get("status_code", 500) >= 300):
        return
    from botocore.parsers import ResponseParserError

    try:
        found, envelope = reader(body)
    except ValueError as err:
        raise ResponseParserError(str(err)) from None
    customized_response_dict.update(found)
    response_dict["body"] = envelope


def _bound_calls(client: Any, service: str, aws: AwsService) -> None:
    """Give every API call of `client` (paginators' pages too) an overall deadline."""
    make_call = client._make_api_call  # every operation and every page goes through it

    def bounded(operation: str, params: Any) -> Any:
        seconds = aws.deadline
        action = f"{service}:{operation}"
        readers = _READERS.get()  # the caller's (the call itself runs on another thread)

        def call() -> Any:
            _CALL.readers = readers
            try:
                return make_call(operation, params)
            finally:
                _CALL.readers = None

        def late() -> AwsDeadlineError:
            url = str(aws.settings.endpoint_url or client.meta.endpoint_url or "its endpoint")
            return AwsDeadlineError(
                f"AWS at {url.rstrip('/')} did not finish answering {action} within "
                f"{seconds:g} s: check the network, or raise aws.deadline.",
                kind="unreachable", action=action)

        return call_with_deadline(call, seconds, late, name=f"aws-{action}")

    client._make_api_call = bounded
    client.meta.events.register("before-parse", _refuse_non_aws_answer)
    client.meta.events.register("before-parse", _read_answer_ourselves)


def _refuse_non_aws_answer(operation_model: Any, response_dict: dict[str, Any],
                           **_: Any) -> None:
    """A 2xx answer whose body is not what AWS sends (a proxy's HTML page, garbage) fails.

    botocore's JSON parser reads such a body as an empty answer, so a list would quietly
    say "none"; a query/XML one would fail with an error no one can act on.
    """
    from botocore.parsers import ResponseParserError

    body = response_dict.get("body")
    if (not isinstance(body, bytes) or not body.strip() or response_dict.get("status_code",
                                                                               500) >= 300):
        return
    output = operation_model.output_shape
    if output is not None and output.serialization.get("payload"):
        return  # the body is the payload itself (a blob, a document), not AWS's envelope
    protocol = operation_model.service_model.resolved_protocol
    wanted = b"{" if protocol in ("json", "rest-json") else b"<"
    if not body.lstrip().startswith(wanted):
        raise ResponseParserError("the answer is not an AWS response")


_LOADER: Any = None
_LOADER_LOCK = threading.Lock()


def _plain_json_file_loader() -> Any:
    """botocore's JSON file loader, reading its models into plain dicts.

    botocore's own reads them with `object_pairs_hook=OrderedDict`, and Python's cyclic
    collector tracks every `OrderedDict`, even one holding only strings; a plain `dict` of
    strings is not tracked. The EC2, RDS and scheduler models are about 65,000 tracked
    objects read botocore's way and 40,000 read as plain dicts, and every full collection
    walks what is tracked (in the app, while it holds the screen). Dicts keep their order,
    and nothing in botocore needs the `OrderedDict` type. Found the same files in the same
    places: `.json`, then `.json.gz` (botocore's own `exists` is kept).
    """
    import gzip
    import json

    from botocore.loaders import JSONFileLoader

    class PlainJSONFileLoader(JSONFileLoader):  # type: ignore[misc]
        def load_file(self, file_path: str) -> Any:
            for ext, opener in ((".json", open), (".json.gz", gzip.open)):
                full = file_path + ext
                if os.path.isfile(full):
                    with opener(full, "rb") as fp:
                        return json.loads(fp.read().decode("utf-8"))
            return None

    return PlainJSONFileLoader()


def _shared_loader() -> Any:
    """One botocore data loader for every session: service models are read and parsed once,
    into plain dicts (`_plain_json_file_loader`).

    Each new session would otherwise parse the large EC2/RDS JSON models again (about a
    second per client on a busy machine); a reload, `check` or a test making fresh
    services reuses what the first one read.
    """
    global _LOADER
    with _LOADER_LOCK:
        if _LOADER is None:
            from botocore.loaders import Loader

            _LOADER = Loader(file_loader=_plain_json_file_loader())
        return _LOADER


class AwsService:
    """The AWS session for one profile: boto3 sessions and clients, made once and shared.

    Thread-safe: screens call it from worker threads. Endpoint: `settings.endpoint_url`
    when set, otherwise botocore's own choice (which honours AWS_ENDPOINT_URL).
    """

    def __init__(self, settings: AwsSettings) -> None:
        self.settings = settings
        self._lock = threading.RLock()
        self._sessions: dict[str, Any] = {}
        self._cores: dict[str, Any] = {}
        self._clients: dict[tuple[str, str], Any] = {}
        self._identity: AccountIdentity | None = None
        self._deadline: float | None = None

    @property
    def profile(self) -> str | None:
        """The profile in use: the configured one, else AWS_PROFILE, else None (default)."""
        return self.settings.profile or os.environ.get("AWS_PROFILE") or None

    @property
    def region(self) -> str:
        """The configured region."""
        return self.settings.region

    @property
    def deadline(self) -> float:
        """Seconds one AWS call may take in all (`aws.deadline`, or less when set shorter)."""
        return min(self.settings.deadline, self._deadline or self.settings.deadline)

    def limit_deadline(self, seconds: float | None) -> None:
        """Bound every further call to `seconds` as well (`check --timeout`), None to lift it."""
        self._deadline = seconds

    @contextmanager
    def translating(self, action: str) -> Iterator[None]:
        """Turn botocore/boto3 failures in the block into `AwsCallError` for `action`."""
        try:
            yield
        except PrimeError:
            raise
        except Exception as err:
            if not _is_aws_failure(err):
                raise
            raise explain_aws_error(err, action, self.profile,
                                    endpoint_url=self.settings.endpoint_url) from err

    def call(self, action: str, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run `fn(*args, **kwargs)` (a boto3 call) with its failures explained for `action`."""
        with self.translating(action):
            return fn(*args, **kwargs)

    def core_session(self, region: str | None = None) -> Any:
        """The botocore session for this profile and `region`, which every client comes from."""
        region = region or self.settings.region
        with self._lock:
            found = self._cores.get(region)
            if found is None:
                import botocore.session

                with self.translating("aws:CreateSession"):
                    found = botocore.session.get_session()
                    found.register_component("data_loader", _shared_loader())
                    if self.settings.profile is not None:
                        found.set_config_variable("profile", self.settings.profile)
                    found.set_config_variable("region", region)
                self._cores[region] = found
            return found

    def session(self, region: str | None = None) -> Any:
        """The boto3 Session for this profile and `region` (the configured one by default).

        Built on `core_session`, so both share credentials. Only S3 clients are made through
        it (boto3 adds `upload_file`); the others are plain botocore clients, so a command
        that never touches S3 does not import boto3 and s3transfer.
        """
        region = region or self.settings.region
        with self._lock:
            found = self._sessions.get(region)
            if found is None:
                import boto3

                core = self.core_session(region)
                with self.translating("aws:CreateSession"):
                    found = boto3.Session(botocore_session=core,
                                          profile_name=self.settings.profile,
                                          region_name=region)
                self._sessions[region] = found
            return found

    def client(self, name: str, region: str | None = None) -> Any:
        """The boto3 client for service `name` ("ec2", "rds", …), made once and reused."""
        region = region or self.settings.region
        with self._lock:
            found = self._clients.get((name, region))
            if found is None:
                from botocore.config import Config

                s = self.settings
                # total_max_attempts counts the first try; botocore's max_attempts does not.
                retries = {"mode": "standard", "total_max_attempts": s.max_attempts}
                config = Config(retries=retries, connect_timeout=s.connect_timeout,
                                read_timeout=s.read_timeout)
                extra = {"endpoint_url": s.endpoint_url} if s.endpoint_url else {}
                with self.translating(f"{name}:CreateClient"):
                    try:
                        if name == "s3":
                            found = self.session(region).client(name, config=config, **extra)
                        else:
                            found = self.core_session(region).create_client(
                                name, config=config, **extra)
                    except ValueError as err:  # botocore: "Invalid endpoint: …"
                        raise AwsCallError(
                            f"AWS cannot be reached for {name}: {_clean(str(err))} (check "
                            f"aws.endpoint_url and AWS_ENDPOINT_URL: an http:// or https:// "
                            f"URL).", kind="unreachable", action=f"{name}:CreateClient") from None
                _bound_calls(found, name, self)
                self._clients[(name, region)] = found
            return found

    def identity(self, *, refresh: bool = False) -> AccountIdentity:
        """Who the credentials belong to (STS GetCallerIdentity), remembered after the first call."""
        if self._identity is not None and not refresh:
            return self._identity
        sts = self.client("sts")
        answer = self.call("sts:GetCallerIdentity", sts.get_caller_identity)
        self._identity = AccountIdentity(account=answer["Account"], arn=answer["Arn"],
                                         user_id=answer["UserId"], profile=self.profile,
                                         region=self.region)
        return self._identity

    def summary(self) -> AccountSummary:
        """Profile, region and account id for the header; never raises (the error is kept)."""
        try:
            account: str | None = self.identity().account
            error = None
        except PrimeError as err:
            account, error = None, str(err)
        except Exception as err:  # the header must never take the screen down
            log.debug("account summary failed", exc_info=True)
            account, error = None, f"Could not read the AWS account ({type(err).__name__})."
        return AccountSummary(profile=self.profile, region=self.region,
                              account=account, error=error)
