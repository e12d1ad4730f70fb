"""The demo keeps to itself: everything it writes stays under its own temporary directory."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from primetui.plans.practice import practice_plan
from primetui.registry import Services
from primetui.sandbox.world import Sandbox
from tests.fixtures.common import require_binary


def files_under(path: Path) -> list[Path]:
    return sorted(p for p in path.rglob("*") if p.is_file()) if path.exists() else []


def test_demo_state_lands_in_the_sandbox_not_the_users_state_dir(sandbox: Sandbox) -> None:
    state = Path(os.environ["XDG_STATE_HOME"])
    assert state.is_relative_to(sandbox.root)
    assert sandbox.settings is not None
    services = Services(sandbox.settings)
    services.run_plan(practice_plan(services.settings))
    assert services.audit.path.is_relative_to(sandbox.root)
    assert services.audit.entries(None), "the practice run was audited in the sandbox"
    assert services.maintenance.state_path.is_relative_to(sandbox.root)
    assert services.backups.verifications.path.is_relative_to(sandbox.root)


def test_a_stopped_demo_leaves_the_real_state_dir_empty(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    require_binary("gpg")
    real_state = tmp_path / "real-state"
    monkeypatch.setenv("XDG_STATE_HOME", str(real_state))
    for _ in range(2):  # twice in a row: the second demo must not see the first one's state
        world = Sandbox.start(services=False)
        try:
            assert world.settings is not None
            services = Services(world.settings)
            assert not services.maintenance.status().on
            services.run_plan(practice_plan(services.settings))
            assert os.environ["XDG_STATE_HOME"] != str(real_state)
        finally:
            world.stop()
        assert os.environ["XDG_STATE_HOME"] == str(real_state)
        assert not world.root.exists()
    assert files_under(real_state) == []
