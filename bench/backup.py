"""Backup benchmark: primetui's create and restore against the runbook's own shell pipelines.

Generates a project directory of mixed text and random data (200 MB by default) in a
temporary directory, then alternates, run after run, between primetui's `backup create`
plan (archive, encrypt, fsync, verify by decrypting and listing, rename) and the runbook's
`tar czf - .env .env.* config/ | gpg -c > FILE`, and between primetui's restore (preview
decrypt + check, staged decrypt + check, swap) and the runbook's `gpg -d FILE | tar xz`.
Create and verify also run as the real command (`primetui backup create|verify
--passphrase-file F`, a fresh process each time) under GNU time for the peak RSS, against
`tar czf - … | gpg -c > FILE` and `gpg -d FILE | tar tz`.
Reports medians and the ratios; the budgets are create ≤ 0.25× the runbook pipeline at
200 MB (≤ 0.6× below 100 MB) and peak RSS under 150 MB.
Usage: python bench/backup.py [--size-mb 200] [--runs 3] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from primetui.backups.service import BackupService  # noqa: E402
from primetui.config import BackupSettings, Settings  # noqa: E402
from primetui.plans.plan import execute  # noqa: E402
from primetui.sandbox.gpg import make_gpg_home  # noqa: E402

BUDGET_BIG, BUDGET_SMALL, RSS_BUDGET_MB = 0.25, 0.6, 150
PASSPHRASE = "bench passphrase, not a secret"
WORDS = [f"{w}{i}" for i, w in enumerate(
    "server nginx config secret token region bucket instance backup restore cert".split() * 60)]


def make_project(root: Path, size_mb: int) -> Path:
    """A project: .env files, then config/ with 60 % text (configs, logs) and 40 % random data."""
    rng = random.Random(7)
    project = root / "prime"
    (project / "config" / "data").mkdir(parents=True)
    (project / ".env").write_text("DJANGO_SECRET_KEY=bench\nDATABASE_URL=postgres://x@db/prime\n")
    (project / ".env.production").write_text("DEBUG=false\n")
    total, target, i = 0, size_mb * 1_000_000, 0
    while total < target:
        if i % 5 < 3:
            lines = (" ".join(rng.choices(WORDS, k=12)) + f" = {rng.random():.6f}\n"
                     for _ in range(40_000))
            data = "".join(lines).encode()
            name = project / "config" / f"settings-{i}.conf"
        else:
            data = os.urandom(4_000_000)
            name = project / "config" / "data" / f"blob-{i}.bin"
        name.write_bytes(data)
        total += len(data)
        i += 1
    return project


def timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def measured(command: list[str], env: dict[str, str]) -> tuple[float, int]:
    """Wall seconds and peak RSS in MB (GNU time's %M) of one command run."""
    with tempfile.NamedTemporaryFile("r") as rss:
        t0 = time.perf_counter()
        subprocess.run(["/usr/bin/time", "-f", "%M", "-o", rss.name, *command], check=True,
                       env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return time.perf_counter() - t0, int(rss.read().split()[-1]) // 1024


def shell(cmd: str, env: dict[str, str]) -> None:
    subprocess.run(["bash", "-c", f"set -o pipefail; {cmd}"], check=True, env=env,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    # the commands run from bytecode, as an installed copy does (this machine may set
    # PYTHONDONTWRITEBYTECODE, and then every run would compile primetui again)
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(HERE.parent / "primetui")],
                   check=True)
    work = Path(tempfile.mkdtemp(prefix="primetui-bench-backup-"))
    home = make_gpg_home(work / "gnupg")
    try:
        project = make_project(work, args.size_mb)
        size = sum(f.stat().st_size for f in project.rglob("*") if f.is_file())
        secret = work / "passphrase"
        secret.write_text(PASSPHRASE + "\n")
        secret.chmod(0o600)
        env = {**os.environ, "GNUPGHOME": str(home.path)}
        gpg = f"gpg --batch --pinentry-mode loopback --passphrase-file {secret}"
        service = BackupService(Settings(backups=BackupSettings(
            source=str(project), destination=work / "ours")), gnupghome=home.path,
            state_file=work / "verified.json")
        shell(f"{gpg} -c -o {work}/warmup.gpg {secret}", env)  # start the agent once
        config = work / "config.toml"
        config.write_text(f'[backups]\nsource = "{project}"\ndestination = "{work}/cli"\n')
        cli_env = {**env, "PRIMETUI_CONFIG": str(config), "XDG_STATE_HOME": str(work / "state"),
                   "PYTHONPATH": str(HERE.parent)}
        primetui = [sys.executable, "-m", "primetui", "backup"]
        rss: dict[str, list[int]] = {"cli_create": [], "cli_verify": [], "cli_restore": []}
        tiny = work / "tiny.gpg"
        shell(f"echo x | {gpg} -c --s2k-mode 3 --s2k-digest-algo SHA512 --s2k-count "
              f"{service.cipher.s2k_count} -o {tiny}", env)

        times: dict[str, list[float]] = {k: [] for k in (
            "ours_create", "runbook_create", "ours_restore", "runbook_restore",
            "cli_create", "cli_verify", "runbook_verify", "runbook_verify_same",
            "cli_restore", "runbook_restore_same", "gpg_fixed")}
        for run in range(args.runs):
            runbook_file = work / f"runbook-{run}.tar.gz.gpg"

            def ours_create() -> None:
                result = execute(service.create_plan(PASSPHRASE))
                assert result.ok, result.error

            def runbook_create(runbook_file: Path = runbook_file) -> None:
                shell(f"cd {project} && tar czf - .env .env.* config/ | {gpg} -c > {runbook_file}",
                      env)

            def ours_restore(run: int = run) -> None:
                target = work / f"restored-ours-{run}"
                newest = service.list_backups()[0].path
                preview = service.preview_restore(newest, PASSPHRASE, target)
                result = execute(service.restore_plan(preview, PASSPHRASE))
                assert result.ok, result.error

            def runbook_restore(run: int = run, runbook_file: Path = runbook_file) -> None:
                target = work / f"restored-runbook-{run}"
                target.mkdir()
                shell(f"{gpg} -d {runbook_file} | tar xz -C {target}", env)

            pairs = [("ours_create", ours_create), ("runbook_create", runbook_create)]
            pairs += [("ours_restore", ours_restore), ("runbook_restore", runbook_restore)]
            if run % 2:  # alternate who goes first
                pairs = [pairs[1], pairs[0], pairs[3], pairs[2]]
            for name, fn in pairs:
                times[name].append(timed(fn))
            def cli_create() -> None:
                for old in (work / "cli").glob("*"):
                    old.unlink()
                t, mb = measured([*primetui, "create", "--passphrase-file", str(secret)], cli_env)
                times["cli_create"].append(t)
                rss["cli_create"].append(mb)

            def cli_verify() -> None:
                newest = sorted((work / "cli").glob("*.gpg"))[-1]
                t, mb = measured([*primetui, "verify", str(newest), "--passphrase-file",
                                  str(secret)], cli_env)
                times["cli_verify"].append(t)
                rss["cli_verify"].append(mb)

            def runbook_verify(runbook_file: Path = runbook_file) -> None:
                times["runbook_verify"].append(timed(lambda: shell(
                    f"{gpg} -d {runbook_file} | tar tz > /dev/null", env)))

            def runbook_verify_same() -> None:
                newest = sorted((work / "cli").glob("*.gpg"))[-1]
                times["runbook_verify_same"].append(timed(lambda: shell(
                    f"{gpg} -d {newest} | tar tz > /dev/null", env)))

            def cli_restore(run: int = run) -> None:
                newest = sorted((work / "cli").glob("*.gpg"))[-1]
                t, mb = measured([*primetui, "restore", str(newest), "--to",
                                  str(work / f"restored-cli-{run}"), "--yes",
                                  "--passphrase-file", str(secret)], cli_env)
                times["cli_restore"].append(t)
                rss["cli_restore"].append(mb)

            def runbook_restore_same(run: int = run) -> None:
                newest = sorted((work / "cli").glob("*.gpg"))[-1]
                target = work / f"restored-same-{run}"
                target.mkdir()
                times["runbook_restore_same"].append(timed(lambda: shell(
                    f"{gpg} -d {newest} | tar xz -C {target}", env)))

            def gpg_fixed() -> None:
                times["gpg_fixed"].append(timed(lambda: shell(f"{gpg} -d {tiny}", env)))

            # the runbook file exists from the pair above; primetui's is made first
            steps = [cli_verify, runbook_verify, runbook_verify_same, cli_restore,
                     runbook_restore_same, gpg_fixed]
            cli_create()
            for step in (steps if run % 2 == 0 else [
                    runbook_verify_same, cli_verify, runbook_verify, runbook_restore_same,
                    cli_restore, gpg_fixed]):
                step()
            for stale in work.glob("restored-*"):
                shutil.rmtree(stale)
            for old in (work / "ours").glob("*"):
                old.unlink()
            runbook_file.unlink()
    finally:
        home.stop()
        shutil.rmtree(work, ignore_errors=True)

    med = {k: statistics.median(v) for k, v in times.items()}
    budget = BUDGET_BIG if size >= 100_000_000 else BUDGET_SMALL
    report = {"size_bytes": size, "runs": args.runs, "cpus": os.cpu_count(),
              "median_seconds": {k: round(v, 3) for k, v in med.items()},
              "create_ratio": round(med["ours_create"] / med["runbook_create"], 3),
              "cli_create_ratio": round(med["cli_create"] / med["runbook_create"], 3),
              "cli_verify_ratio": round(med["cli_verify"] / med["runbook_verify"], 3),
              "cli_verify_ratio_same_file": round(med["cli_verify"] / med["runbook_verify_same"],
                                                  3),
              "cli_restore_ratio_same_file": round(med["cli_restore"]
                                                   / med["runbook_restore_same"], 3),
              "cli_restore_ratio": round(med["cli_restore"] / med["runbook_restore"], 3),
              "peak_rss_mb": {k: max(v) for k, v in rss.items()},
              "restore_ratio": round(med["ours_restore"] / med["runbook_restore"], 3),
              "budget_create_ratio": budget, "budget_rss_mb": RSS_BUDGET_MB}
    report["within_budget"] = (report["cli_create_ratio"] <= budget
                               and max(report["peak_rss_mb"].values()) < RSS_BUDGET_MB)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(f"{size / 1e6:.0f} MB, {args.runs} alternating runs, {os.cpu_count()} CPUs")
        for k, v in med.items():
            print(f"  {k:<16} median {v:7.2f} s   runs: {', '.join(f'{t:.2f}' for t in times[k])}")
        print(f"  create ratio (plan in-process) {report['create_ratio']:.2f}; "
              f"as the command {report['cli_create_ratio']:.2f} (budget ≤ {budget}: "
              f"{'met' if report['cli_create_ratio'] <= budget else 'NOT met'})")
        print(f"  verify ratio (command vs gpg -d | tar tz) {report['cli_verify_ratio']:.2f}, "
              f"on the same file {report['cli_verify_ratio_same_file']:.2f}")
        print(f"  restore ratio (command vs gpg -d | tar xz) {report['cli_restore_ratio']:.2f}, "
              f"on the same file {report['cli_restore_ratio_same_file']:.2f}")
        rss_ok = max(report["peak_rss_mb"].values()) < RSS_BUDGET_MB
        print(f"  peak RSS MB (max over runs): {report['peak_rss_mb']} (budget < {RSS_BUDGET_MB}: "
              f"{'met' if rss_ok else 'NOT met'})")
        print(f"  restore ratio (in-process) {report['restore_ratio']:.2f} (one decryption: "
              f"staged and checked for the preview, then swapped in)")
    return 0 if report["within_budget"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
