"""Render SVG screenshots of primetui into screenshots/: one per tab, the keys panel, first run.

Fixed size 120x36 and theme prime-dark. The shell runs against the demo's practice world
(`Sandbox.start`), with the practice plan run once so the audit tab has a real entry; when
the sandbox cannot start, against a config with no AWS account, and the header says so.
Every server the sandbox started is stopped before the script ends.
Usage: python scripts/screenshots.py [--out DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from primetui.config import AwsSettings, Settings, UiSettings  # noqa: E402
from primetui.errors import PrimeError  # noqa: E402
from primetui.plans.audit import AuditLog  # noqa: E402
from primetui.registry import Services  # noqa: E402
from primetui.sandbox.tools import free_port  # noqa: E402
from primetui.ui.app import PrimeApp, make_app  # noqa: E402
from primetui.ui.tabs import TABS  # noqa: E402

SIZE = (120, 36)
THEME = "prime-dark"
FIRST_RUN_CONFIG = Path("/home/lab/.config/primetui/config.toml")
"""The path the first-run screenshot names (never written)."""


async def shoot(app: PrimeApp, keys: list[str], out: Path) -> None:
    """Run `app` headless, press `keys`, wait for its workers, save one SVG."""
    async with app.run_test(size=SIZE) as pilot:
        for key in [None, *keys]:
            if key:
                await pilot.press(key)
            await pilot.pause()
            await app.workers.wait_for_complete()
            await pilot.pause()
        await pilot.wait_for_scheduled_animations()
        app.save_screenshot(filename=out.name, path=str(out.parent))
    print(f"wrote {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}")


def without_aws(scratch: Path) -> Settings:
    """A config with no AWS account: AWS calls go to a closed loopback port, nowhere else."""
    os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
    aws = AwsSettings(endpoint_url=f"http://127.0.0.1:{free_port()}", max_attempts=1,
                      connect_timeout=1.0)
    return Settings(aws=aws, ui=UiSettings(theme=THEME), path=scratch / "config.toml")


def render(settings: Settings, services: Services, config: Path, out: Path) -> None:
    """One screenshot per tab, the keys panel, and the first-run screen."""
    out.mkdir(parents=True, exist_ok=True)
    for tab in TABS:
        app = make_app(settings, services=services, config_path=config)
        asyncio.run(shoot(app, [tab.key], out / f"{tab.key}-{tab.id}.svg"))
    app = make_app(settings, services=services, config_path=config)
    asyncio.run(shoot(app, ["question_mark"], out / "keys.svg"))
    first = make_app(None, config_path=FIRST_RUN_CONFIG)
    asyncio.run(shoot(first, [], out / "first-run.svg"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "screenshots")
    args = parser.parse_args()
    sandbox = None
    with tempfile.TemporaryDirectory(prefix="primetui-shots-") as scratch:
        try:
            try:
                from primetui.sandbox.world import Sandbox

                print("starting the practice world…")
                sandbox = Sandbox.start(on_progress=lambda line: print(f"  {line}"))
                assert sandbox.settings is not None
                settings, config = sandbox.settings, sandbox.config_path
            except (PrimeError, ImportError) as err:
                print(f"no practice world ({err}); rendering without AWS", file=sys.stderr)
                settings = without_aws(Path(scratch))
                config = Path(scratch) / "config.toml"
            settings = dataclasses.replace(settings, ui=dataclasses.replace(settings.ui, theme=THEME))
            services = Services(settings, audit=AuditLog(Path(scratch) / "audit.jsonl"))
            if sandbox is not None:
                from primetui.plans.practice import practice_plan

                services.run_plan(practice_plan(settings))  # a real entry for the audit tab
                # a real backup for the Backups tab (the passphrase lives only in this process)
                services.run_plan(services.backups.create_plan("screenshot practice passphrase"))
            render(settings, services, config, args.out)
        finally:
            if sandbox is not None:
                sandbox.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
