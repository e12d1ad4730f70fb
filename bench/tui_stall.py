"""Benchmark: the largest event-loop stall while the Instances tab loads and refreshes 1,000
EC2 instances (budget: under 100 ms).

A moto server runs in its own process (as AWS would be remote, its work must not compete
with the TUI for the GIL); the lab account is seeded and 1,000 more instances launched in
batches, half stopped. The app runs headless at 120x36; a task in its event loop sleeps
5 ms at a time and records how late each wake-up is. Each run opens the Instances tab (the
first load) and then refreshes it several times, with about 50 instances started or
stopped before each refresh, waiting each time until the table shows the change. The
figure is each run's largest stall; the median over the runs is reported. Each run is its
own process, as a person's session is.

Each instance is launched by its own run_instances call, as a lab launches them: moto pages
describe_instances by reservation (AWS by instance), so with one instance per reservation
the tab's page size means the same here as on AWS.

    .venv/bin/python bench/tui_stall.py --runs 5

`--collector off` runs the app with Python's garbage collector switched off (in the
benchmark's process only; primetui never switches it): what is left is the table's own
cost, the difference is the collector's. With the collector on, each run also lists its full
(oldest-generation) collections and how long each took: the usual cause of the worst stall.
`--census` counts the objects the collector tracks before the tab opens and after its last
refresh, with the types that grew most (a full collection each, outside the measurements).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from primetui.sandbox.moto import dummy_aws_env  # noqa: E402
from primetui.sandbox.seed import AMI, seed_lab_account  # noqa: E402
from primetui.sandbox.tools import free_port, stop_pid, wait_for_port  # noqa: E402

BUDGET = 0.100
TICK = 0.005


def ec2_client(endpoint: str):
    import boto3

    return boto3.client("ec2", endpoint_url=endpoint, region_name="us-east-2",
                        aws_access_key_id="testing", aws_secret_access_key="testing")


def launch(endpoint: str, count: int) -> list[str]:
    """Launch `count` instances, one per reservation, every other one stopped; their ids."""
    ec2, ids = ec2_client(endpoint), []
    for n in range(count):
        tags = [{"Key": "Name", "Value": f"bench-{n // 100:02d}"},
                {"Key": "Environment", "Value": "bench"}]
        ids += [i["InstanceId"] for i in ec2.run_instances(
            ImageId=AMI, InstanceType="t3.micro", MinCount=1, MaxCount=1,
            TagSpecifications=[{"ResourceType": "instance", "Tags": tags}])["Instances"]]
    for start in range(0, count, 200):
        ec2.stop_instances(InstanceIds=ids[start:start + 200:2])
    return ids


FLIP = """
import json, sys
import boto3
ec2 = boto3.client("ec2", endpoint_url=sys.argv[1], region_name="us-east-2",
                   aws_access_key_id="testing", aws_secret_access_key="testing")
chosen = sys.argv[2:]
states = {i["InstanceId"]: i["State"]["Name"] for res in ec2.describe_instances(
    InstanceIds=chosen)["Reservations"] for i in res["Instances"]}
to_stop = [i for i, s in states.items() if s == "running"]
to_start = [i for i, s in states.items() if s == "stopped"]
if to_stop:
    ec2.stop_instances(InstanceIds=to_stop)
if to_start:
    ec2.start_instances(InstanceIds=to_start)
print(json.dumps({i: ("stopped" if i in to_stop else "running") for i in states}))
"""


def flip_states(endpoint: str, chosen: list[str]) -> dict[str, str]:
    """Stop the running and start the stopped among `chosen`, from another process (as a
    colleague at the console would): the harness's own boto3 client and EC2 model must not
    sit in the measured app's heap, where every full collection would walk them too."""
    done = subprocess.run([sys.executable, "-c", FLIP, endpoint, *chosen], check=True,
                          capture_output=True, text=True, timeout=300)
    return json.loads(done.stdout)


FULL_COLLECTIONS: list[float] = []
"""Wall time of each full (oldest-generation) collection while a run measures."""


def watch_full_collections() -> None:
    """Record how long each full collection takes (the bench's process only)."""
    import gc

    began = [0.0]

    def callback(phase: str, info: dict) -> None:
        if info.get("generation") != 2:
            return
        if phase == "start":
            began[0] = time.perf_counter()
        else:
            FULL_COLLECTIONS.append(time.perf_counter() - began[0])

    gc.callbacks.append(callback)


class StallMeter:
    """Sleeps TICK at a time in the event loop and keeps the largest lateness seen."""

    def __init__(self) -> None:
        self.worst = 0.0
        self._task: asyncio.Task | None = None

    async def _run(self) -> None:
        while True:
            before = time.perf_counter()
            await asyncio.sleep(TICK)
            self.worst = max(self.worst, time.perf_counter() - before - TICK)

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    def take(self) -> float:
        """The worst stall since the last `take`, and start again from zero."""
        worst, self.worst = self.worst, 0.0
        return worst

    def stop(self) -> None:
        if self._task:
            self._task.cancel()


def census() -> dict:
    """How many objects the garbage collector tracks, and the most common types among them."""
    import collections
    import gc

    gc.collect()
    objects = gc.get_objects()
    kinds = collections.Counter(type(o).__qualname__ for o in objects)
    return {"tracked": len(objects), "types": dict(kinds)}


async def one_run(endpoint: str, ids: list[str], refreshes: int, tmp: Path, run: int,
                  count: bool = False) -> dict:
    """Open the tab, then refresh it `refreshes` times with states changed in between."""
    from primetui.config import AwsSettings, Settings, UiSettings
    from primetui.plans.audit import AuditLog
    from primetui.registry import Services
    from primetui.ui.app import make_app
    from primetui.ui.tabs.instances.tab import InstancesTab

    settings = Settings(aws=AwsSettings(endpoint_url=endpoint, region="us-east-2"),
                        ui=UiSettings(theme="prime-dark"), path=tmp / "config.toml")
    services = Services(settings, audit=AuditLog(tmp / "audit.jsonl"))
    app = make_app(settings, services=services, config_path=tmp / "config.toml")
    meter = StallMeter()
    total = len(ids) + 3

    async with app.run_test(size=(120, 36)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        meter.start()
        await asyncio.sleep(0.2)
        idle = meter.take()
        counts = {"before": census()} if count else {}
        meter.take()  # the census's own collection is not the tab's
        FULL_COLLECTIONS.clear()

        started = time.perf_counter()
        await pilot.press("2")
        tab = app.screen.query_one(InstancesTab)
        while tab.table.row_count < total:
            await asyncio.sleep(0.02)  # not pilot.pause: it forces a redraw of the screen
        await asyncio.sleep(0.2)
        load = meter.take()
        load_time = time.perf_counter() - started

        refresh = []
        for r in range(refreshes):
            chosen = ids[(run * 7 + r * 53) % 50::20][:50]
            expected = await asyncio.to_thread(flip_states, endpoint, chosen)
            meter.take()
            tab.reload()
            while any(tab.instances.get(i) is None or tab.instances[i].state != s
                      for i, s in expected.items()):
                await asyncio.sleep(0.02)
            await asyncio.sleep(0.2)  # the frames that draw the change
            refresh.append(meter.take())
        meter.stop()
        full = list(FULL_COLLECTIONS)
        if count:
            counts["after"] = census()
    return {"idle": idle, "load": load, "load_time": load_time, "refresh": refresh,
            "full": full, **counts}


def child(args: argparse.Namespace) -> int:
    """One run in a fresh process (a person runs one app per process: its heap, caches and
    collector start clean); prints its figures as JSON."""
    os.environ.update(dummy_aws_env(args.child, "us-east-2"))
    if args.collector == "off":
        import gc

        gc.disable()
    else:
        watch_full_collections()
    ids = Path(args.ids).read_text().split()
    with tempfile.TemporaryDirectory(prefix="primetui-stall-") as tmp:
        got = asyncio.run(one_run(args.child, ids, args.refreshes, Path(tmp), args.run,
                                  args.census))
    print(json.dumps(got))
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--refreshes", type=int, default=4)
    parser.add_argument("--collector", choices=("on", "off"), default="on",
                        help="off: measure with the garbage collector switched off")
    parser.add_argument("--census", action="store_true",
                        help="also count the objects the collector tracks before the tab "
                             "opens and after the last refresh (a full collection each)")
    parser.add_argument("--vs-tree", metavar="DIR",
                        help="another checkout of primetui (the code before a change): its "
                             "runs alternate with this one's against the same moto server, "
                             "and the ratio of the two medians is printed")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--ids", help=argparse.SUPPRESS)
    parser.add_argument("--run", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args)

    port = free_port()
    moto = subprocess.Popen([str(Path(sys.executable).parent / "moto_server"), "-H", "127.0.0.1",
                             "-p", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        if not wait_for_port(port, 30):
            raise SystemExit("the moto server did not start")
        endpoint = f"http://127.0.0.1:{port}"
        os.environ.update(dummy_aws_env(endpoint, "us-east-2"))
        seed_lab_account(endpoint)
        ids = launch(endpoint, args.instances)
        print(f"{len(ids)} instances launched (+3 of the lab account); {args.runs} runs, "
              f"{args.refreshes} refreshes each; garbage collector {args.collector}")
        trees = {"this": Path(__file__)}
        if args.vs_tree:
            trees["peer"] = Path(args.vs_tree).resolve() / "bench" / "tui_stall.py"
        worst_by_tree: dict[str, list[float]] = {name: [] for name in trees}
        with tempfile.TemporaryDirectory(prefix="primetui-stall-") as tmp:
            ids_file = Path(tmp) / "ids"
            ids_file.write_text("\n".join(ids))
            for run, tree in ((r, t) for r in range(args.runs)
                              for t in (list(trees) if r % 2 == 0 else list(trees)[::-1])):
                worst_per_run = worst_by_tree[tree]
                if len(trees) > 1:
                    print(f"[{tree}: {trees[tree].parents[1]}]")
                done = subprocess.run(
                    [sys.executable, trees[tree], "--child", endpoint, "--ids", str(ids_file),
                     "--run", str(run), "--refreshes", str(args.refreshes),
                     "--collector", args.collector, *(["--census"] if args.census else [])],
                    capture_output=True, text=True, timeout=900)
                if done.returncode != 0:
                    raise SystemExit(f"run {run + 1} failed: {done.stderr.strip()[-2000:]}")
                got = json.loads(done.stdout.strip().splitlines()[-1])
                worst = max(got["load"], *got["refresh"])
                worst_per_run.append(worst)
                print(f"run {run + 1}: idle {got['idle'] * 1000:.0f} ms, first load "
                      f"{got['load'] * 1000:.0f} ms (rows shown in {got['load_time']:.1f} s), "
                      f"refreshes " + ", ".join(f"{v * 1000:.0f}" for v in got["refresh"])
                      + f" ms; worst {worst * 1000:.0f} ms")
                if got["full"]:
                    print(f"  full collections: {len(got['full'])}, each "
                          + ", ".join(f"{v * 1000:.0f}" for v in got["full"]) + " ms")
                if args.census:
                    before, after = got["before"], got["after"]
                    print(f"  tracked objects: {before['tracked']:,} before the tab, "
                          f"{after['tracked']:,} after its last refresh")
                    print("  most common before: " + ", ".join(
                        f"{name} {n:,}" for name, n in sorted(
                            before["types"].items(), key=lambda kv: -kv[1])[:15]))
                    gained = {name: n - before["types"].get(name, 0)
                              for name, n in after["types"].items()}
                    print("  most gained: " + ", ".join(
                        f"{name} {n:+,}" for name, n in sorted(gained.items(), key=lambda kv: -kv[1])[:15]))
        median = statistics.median(worst_by_tree["this"])
        print(f"largest stall, median of {args.runs} runs: {median * 1000:.0f} ms "
              f"(budget: under {BUDGET * 1000:.0f} ms)")
        if "peer" in trees:
            peer = statistics.median(worst_by_tree["peer"])
            print(f"peer {trees['peer'].parents[1]}: median {peer * 1000:.0f} ms; "
                  f"this / peer = {median / peer:.2f}")
        return 0 if median < BUDGET else 1
    finally:
        stop_pid(moto.pid)


if __name__ == "__main__":
    raise SystemExit(main())
