"""Benchmark: `primetui instances list --json` against `aws ec2 describe-instances`, 1,000 EC2
instances in one moto server, alternating which runs first; prints medians and the ratio.

primetui does more than the aws CLI here: it also lists the RDS instances, their recent
events and every schedule (with next runs) to fill in each row. The lab account is seeded
too, so that work is real. The aws CLI comes from its own virtualenv (it pins botocore):

    python3 -m venv /tmp/awscli-venv && /tmp/awscli-venv/bin/pip install awscli
    .venv/bin/python bench/instances.py --aws /tmp/awscli-venv/bin/aws --runs 21
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from primetui.sandbox.moto import dummy_aws_env, start_moto  # noqa: E402
from primetui.sandbox.seed import AMI, seed_lab_account  # noqa: E402


def launch(endpoint: str, count: int) -> None:
    """Launch `count` EC2 instances (in batches, each with a Name tag and a few more tags)."""
    import boto3

    ec2 = boto3.client("ec2", endpoint_url=endpoint, region_name="us-east-2",
                       aws_access_key_id="testing", aws_secret_access_key="testing")
    batch = 100
    for start in range(0, count, batch):
        n = min(batch, count - start)
        tags = [{"Key": "Name", "Value": f"bench-{start // batch:02d}"},
                {"Key": "Environment", "Value": "bench"}, {"Key": "Project", "Value": "prime"}]
        ids = [i["InstanceId"] for i in ec2.run_instances(
            ImageId=AMI, InstanceType="t3.micro", MinCount=n, MaxCount=n,
            TagSpecifications=[{"ResourceType": "instance", "Tags": tags}])["Instances"]]
        ec2.stop_instances(InstanceIds=ids[: n // 2])  # half stopped, like a lab at night


def timed(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          text=True, timeout=600)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed: {done.stderr.strip()}")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--aws", default=shutil.which("aws") or "/tmp/awscli-venv/bin/aws",
                        help="the aws CLI to compare with")
    args = parser.parse_args()
    if not os.access(args.aws, os.X_OK):
        print(f"No aws CLI at {args.aws}: install it as the docstring says.", file=sys.stderr)
        return 2

    server = start_moto()
    try:
        with tempfile.TemporaryDirectory(prefix="primetui-bench-") as tmp:
            seed_lab_account(server.endpoint_url)
            launch(server.endpoint_url, args.instances)
            config = Path(tmp) / "config.toml"
            config.write_text('[aws]\nregion = "us-east-2"\n')
            env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PRIMETUI_"))}
            env.update(dummy_aws_env(server.endpoint_url), PRIMETUI_CONFIG=str(config),
                       XDG_STATE_HOME=f"{tmp}/state", PYTHONPATH=str(REPO),
                       AWS_CONFIG_FILE=f"{tmp}/none", AWS_SHARED_CREDENTIALS_FILE=f"{tmp}/none")
            primetui = [sys.executable, "-m", "primetui", "instances", "list", "--json"]
            aws = [args.aws, "ec2", "describe-instances", "--output", "json"]

            listed = subprocess.run(primetui, env=env, capture_output=True, text=True, timeout=600)
            rows = json.loads(listed.stdout)["instances"]
            print(f"{len(rows)} instances listed by primetui "
                  f"({sum(r['kind'] == 'EC2' for r in rows)} EC2); warming up both commands")
            timed(primetui, env)
            timed(aws, env)

            times: dict[str, list[float]] = {"primetui": [], "aws": []}
            for run in range(args.runs):
                order = [("primetui", primetui), ("aws", aws)]
                for name, command in order if run % 2 == 0 else reversed(order):
                    times[name].append(timed(command, env))
            medians = {k: statistics.median(v) for k, v in times.items()}
            for name, values in times.items():
                print(f"{name:9} median {medians[name]:.2f} s  runs "
                      + ", ".join(f"{v:.2f}" for v in values))
            ratio = medians["primetui"] / medians["aws"]
            print(f"ratio primetui / aws = {ratio:.2f} (budget: at most 1.00)")
            return 0 if ratio <= 1.0 else 1
    finally:
        server.stop()


if __name__ == "__main__":
    raise SystemExit(main())
