"""Deadlines that hold whatever the network does: an AWS endpoint that trickles its answer
one byte a second (botocore's read timeout never fires) and one that answers 200 with a
body that is not XML. The endpoint is a tiny local HTTP server (AWS cannot misbehave on
request here); primetui is the installed console script."""

from __future__ import annotations

import json
import subprocess
import sys
import threading

import pytest

from primetui.aws import AwsService
from primetui.config import AwsSettings
from primetui.errors import AwsError
from tests.hostile.rest_helpers import (
    Stopwatch,
    assert_one_sentence,
    aws_config,
    private_env,
    run_primetui,
    slow_aws,
)

DEADLINE = 2.0
# Generous room for interpreter start-up and imports on a busy 2-core machine; without
# the deadline these commands never end (the trickle lasts 100,000 seconds).
SLACK = 12.0


def test_an_aws_call_against_a_trickling_endpoint_ends_at_the_deadline(tmp_path, monkeypatch):
    for name, value in private_env(tmp_path).items():
        if name.startswith("AWS_"):
            monkeypatch.setenv(name, value)
    with slow_aws("trickle") as server:
        aws = AwsService(AwsSettings(endpoint_url=server.url, deadline=DEADLINE,
                                     read_timeout=30, max_attempts=1))
        ec2 = aws.client("ec2")
        clock = Stopwatch()
        with pytest.raises(AwsError) as caught:
            aws.call("ec2:DescribeInstances", ec2.describe_instances)
        assert clock.elapsed < DEADLINE + 2
    message = str(caught.value)
    assert message == (f"AWS at {server.url} did not finish answering ec2:DescribeInstances "
                       f"within 2 s: check the network, or raise aws.deadline.")
    assert server.requests >= 1
    # the abandoned call is on a daemon thread: it cannot keep the process alive
    assert all(t.daemon for t in threading.enumerate() if t.name.startswith("aws-"))


@pytest.mark.parametrize("command", [["instances", "list"], ["schedules", "list"],
                                     ["instances", "list", "--json"]])
def test_list_commands_end_with_one_sentence_against_a_trickling_endpoint(tmp_path, command):
    env = private_env(tmp_path)
    with slow_aws("trickle") as server:
        config = aws_config(tmp_path, server.url, deadline=DEADLINE)
        clock = Stopwatch()
        out = run_primetui("--config", str(config), *command, env=env, timeout=90)
        elapsed = clock.elapsed
    assert out.returncode == 1, out.stderr
    assert_one_sentence(out.stderr)
    assert "did not finish answering" in out.stderr and "aws.deadline" in out.stderr
    assert out.stdout == ""
    assert elapsed < DEADLINE + SLACK, elapsed


def test_check_exits_within_its_timeout_against_a_trickling_endpoint(tmp_path):
    env = private_env(tmp_path)
    timeout = 3.0
    with slow_aws("trickle") as server:
        # aws.deadline far beyond --timeout: the check itself must still end the process
        config = aws_config(tmp_path, server.url, deadline=600)
        clock = Stopwatch()
        out = run_primetui("--config", str(config), "check", "--json", "--timeout",
                           str(timeout), env=env, timeout=90)
        elapsed = clock.elapsed
    assert elapsed < timeout + SLACK, elapsed
    assert "Traceback" not in out.stderr
    doc = json.loads(out.stdout)  # the answer was printed whole before the exit
    titles = " ".join(f["title"] for f in doc["findings"])
    assert "did not answer within 3 s" in titles or "did not finish answering" in titles
    assert out.returncode in (1, 2, 3)


@pytest.mark.parametrize("command", [["instances", "list"], ["schedules", "list"]])
def test_a_200_answer_that_is_not_xml_is_one_sentence(tmp_path, command):
    env = private_env(tmp_path)
    with slow_aws("not-xml") as server:
        config = aws_config(tmp_path, server.url)
        out = run_primetui("--config", str(config), *command, env=env, timeout=90)
    assert out.returncode == 1, out.stderr
    assert_one_sentence(out.stderr)
    assert "not an AWS response" in out.stderr and server.url in out.stderr


def test_work_left_behind_by_check_does_not_hold_the_process_open(tmp_path):
    # Whatever else a check may leave running (a non-daemon thread stuck in a call that
    # never ends), the printed answer stands and the process ends with the check's code.
    script = (
        "import threading, time\n"
        "from primetui.cli.check import leave_now_if_stuck\n"
        "before = set(threading.enumerate())\n"
        "threading.Thread(target=time.sleep, args=(600,)).start()\n"
        "print('the answer', end='')\n"
        "leave_now_if_stuck(before, 2)\n"
        "print(' was not the end')\n"
    )
    clock = Stopwatch()
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         timeout=60)
    assert clock.elapsed < SLACK
    assert out.returncode == 2 and out.stdout == "the answer", out
