"""Instances client cost: `primetui instances list --json` against `aws ec2 describe-instances`
and a bare boto3 script, all served the same recorded answers by a local server that answers
instantly, so the time measured is each client's own (start-up, signing, parsing, output).

The answers (EC2 DescribeInstances for 1,000 instances, and the RDS and EventBridge Scheduler
answers primetui also asks for) were recorded once from a moto server seeded like
bench/instances.py, through a recording proxy, and live in bench/data/instances-answers.json.gz.

    python3 -m venv /tmp/awscli-venv && /tmp/awscli-venv/bin/pip install awscli
    .venv/bin/python bench/instances_client.py --aws /tmp/awscli-venv/bin/aws --runs 9
    .venv/bin/python bench/instances_client.py --record --aws /tmp/awscli-venv/bin/aws  # redo data
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

DATA = REPO / "bench" / "data" / "instances-answers.json.gz"
BUDGET = 0.5
BOTO3_SCRIPT = """
import json, boto3
ec2 = boto3.client("ec2")
rows = [i for page in ec2.get_paginator("describe_instances").paginate()
        for r in page["Reservations"] for i in r["Instances"]]
print(json.dumps(rows, default=str))
"""
_SCOPE = re.compile(r"Credential=[^/]+/\d+/[^/]+/([^/]+)/aws4_request")
_DROP = {"content-length", "transfer-encoding", "connection", "date", "server"}


def request_key(method: str, path: str, headers, body: bytes) -> str:
    """What identifies a request: the signing service, and the action or the path."""
    match = _SCOPE.search(headers.get("Authorization", ""))
    service = match.group(1) if match else "?"
    form = urllib.parse.parse_qs(body.decode("utf-8", "replace")) if body else {}
    if "Action" in form:
        token = form.get("NextToken", form.get("Marker", [""]))[0]
        return f"{service} {form['Action'][0]} {token}"
    target = headers.get("X-Amz-Target")
    if target:
        return f"{service} {target} {body.decode('utf-8', 'replace')}"
    return f"{service} {method} {path}"


def make_handler(answers: dict[str, dict], upstream: str | None):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args) -> None:  # quiet
            pass

        def _any(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            key = request_key(self.command, self.path, self.headers, body)
            if upstream is not None and key not in answers:
                req = urllib.request.Request(upstream + self.path, data=body or None,
                                             method=self.command, headers=dict(self.headers))
                try:
                    with urllib.request.urlopen(req, timeout=300) as got:
                        status, head, payload = got.status, dict(got.headers), got.read()
                except urllib.error.HTTPError as err:
                    status, head, payload = err.code, dict(err.headers), err.read()
                answers[key] = {"status": status, "body": payload.decode("utf-8"),
                                "headers": {k: v for k, v in head.items()
                                            if k.lower() not in _DROP}}
            answer = answers.get(key)
            if answer is None:
                answer = {"status": 400, "headers": {}, "body": f"not recorded: {key}"}
            payload = answer["body"].encode()
            self.send_response(answer["status"])
            for k, v in answer["headers"].items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _any

    return Handler


def serve(answers: dict[str, dict], upstream: str | None = None) -> tuple[ThreadingHTTPServer, str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(answers, upstream))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def run_measured(command: list[str], env: dict[str, str]) -> tuple[float, int, bytes]:
    """Wall seconds, peak RSS in MB (GNU time's %M, this command only) and stdout of one run."""
    with tempfile.TemporaryFile() as out, tempfile.NamedTemporaryFile("r") as rss:
        started = time.perf_counter()
        done = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", rss.name, *command], env=env,
                              stdout=out, stderr=subprocess.PIPE, timeout=600)
        elapsed = time.perf_counter() - started
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(command)} failed: {done.stderr.decode()[-2000:]}")
        out.seek(0)
        return elapsed, int(rss.read().split()[-1]) // 1024, out.read()


def commands(aws: str, endpoint: str, tmp: str) -> tuple[dict[str, list[str]], dict[str, str]]:
    from primetui.sandbox.moto import dummy_aws_env

    config = Path(tmp) / "config.toml"
    config.write_text('[aws]\nregion = "us-east-2"\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PRIMETUI_"))}
    env.update(dummy_aws_env(endpoint), PRIMETUI_CONFIG=str(config),
               XDG_STATE_HOME=f"{tmp}/state", PYTHONPATH=str(REPO),
               AWS_CONFIG_FILE=f"{tmp}/none", AWS_SHARED_CREDENTIALS_FILE=f"{tmp}/none")
    return {"primetui": [sys.executable, "-m", "primetui", "instances", "list", "--json"],
            "aws": [aws, "ec2", "describe-instances", "--output", "json"],
            "boto3": [sys.executable, "-c", BOTO3_SCRIPT]}, env


def record(aws: str, count: int) -> None:
    sys.path.insert(0, str(REPO / "bench"))
    from instances import launch  # bench/instances.py

    from primetui.sandbox.moto import start_moto
    from primetui.sandbox.seed import seed_lab_account

    moto = start_moto()
    try:
        seed_lab_account(moto.endpoint_url)
        launch(moto.endpoint_url, count)
        answers: dict[str, dict] = {}
        server, endpoint = serve(answers, upstream=moto.endpoint_url)
        with tempfile.TemporaryDirectory(prefix="primetui-bench-") as tmp:
            cmds, env = commands(aws, endpoint, tmp)
            for command in cmds.values():
                run_measured(command, env)
        server.shutdown()
    finally:
        moto.stop()
    DATA.parent.mkdir(parents=True, exist_ok=True)
    DATA.write_bytes(gzip.compress(json.dumps(answers, sort_keys=True).encode(), 9, mtime=0))
    print(f"recorded {len(answers)} answers into {DATA} ({DATA.stat().st_size / 1e6:.2f} MB)")


def serve_only(aws: str, env_file: Path) -> int:
    """The instant server alone: the commands and their environment are printed and written."""
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(REPO / "primetui")], check=True)
    answers = json.loads(gzip.decompress(DATA.read_bytes()))
    server, endpoint = serve(answers)
    tmp = tempfile.mkdtemp(prefix="primetui-bench-")
    cmds, env = commands(aws, endpoint, tmp)
    added = {k: v for k, v in env.items() if os.environ.get(k) != v}
    env_file.write_text("".join(f"{k}={v}\n" for k, v in added.items()))
    print(f"serving on {endpoint}; environment in {env_file}; the commands:")
    for name, command in cmds.items():
        print(f"  {name}: {' '.join(shlex.quote(c) for c in command)}")
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.shutdown()
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--aws", default="/tmp/awscli-venv/bin/aws",
                        help="the aws CLI to compare with")
    parser.add_argument("--record", action="store_true", help="record the answers from moto")
    parser.add_argument("--instances", type=int, default=1000)
    parser.add_argument("--serve", metavar="ENV_FILE",
                        help="only serve the recorded answers until interrupted, writing the "
                        "environment the three commands need to ENV_FILE (KEY=VALUE lines), "
                        "to time them with another tool (/usr/bin/time, hyperfine)")
    args = parser.parse_args()
    if args.serve:
        return serve_only(args.aws, Path(args.serve))
    if not os.access(args.aws, os.X_OK):
        print(f"No aws CLI at {args.aws}: install it as the docstring says.", file=sys.stderr)
        return 2
    if args.record:
        record(args.aws, args.instances)
    # Installed, primetui has its bytecode compiled (as the aws CLI's virtualenv has); this
    # machine sets PYTHONDONTWRITEBYTECODE=1, so without this every run would recompile it.
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(REPO / "primetui")], check=True)
    answers = json.loads(gzip.decompress(DATA.read_bytes()))
    server, endpoint = serve(answers)
    try:
        with tempfile.TemporaryDirectory(prefix="primetui-bench-") as tmp:
            cmds, env = commands(args.aws, endpoint, tmp)
            _, _, out = run_measured(cmds["primetui"], env)
            rows = json.loads(out)["instances"]
            aws_rows = sum(len(r["Instances"]) for r in
                           json.loads(run_measured(cmds["aws"], env)[2])["Reservations"])
            boto_rows = len(json.loads(run_measured(cmds["boto3"], env)[2]))
            print(f"instant server: primetui lists {len(rows)} rows "
                  f"({sum(r['kind'] == 'EC2' for r in rows)} EC2), aws CLI {aws_rows}, "
                  f"boto3 {boto_rows}; {args.runs} interleaved runs")
            times: dict[str, list[float]] = {k: [] for k in cmds}
            rss: dict[str, list[int]] = {k: [] for k in cmds}
            names = list(cmds)
            for run in range(args.runs):
                order = names[run % 3:] + names[:run % 3]  # rotate who goes first
                for name in order:
                    t, mb, _ = run_measured(cmds[name], env)
                    times[name].append(t)
                    rss[name].append(mb)
    finally:
        server.shutdown()
    med = {k: statistics.median(v) for k, v in times.items()}
    for name in names:
        print(f"  {name:9} median {med[name]:.2f} s  peak RSS median "
              f"{statistics.median(rss[name]):.0f} MB  runs "
              + ", ".join(f"{v:.2f}" for v in times[name]))
    ratio = med["primetui"] / med["aws"]
    print(f"  ratio primetui / aws CLI = {ratio:.2f} (budget ≤ {BUDGET}: "
          f"{'met' if ratio <= BUDGET else 'NOT met'}); primetui / boto3 = "
          f"{med['primetui'] / med['boto3']:.2f}")
    return 0 if ratio <= BUDGET else 1


if __name__ == "__main__":
    raise SystemExit(main())
