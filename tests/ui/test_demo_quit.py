"""Quitting the demo while its maintenance mode is on says so first."""

from __future__ import annotations

import dataclasses

import pytest

from primetui.maintenance.progress import WizardState
from primetui.ui.dialogs.confirm import ConfirmDialog
from tests.fixtures.shell import SIZE, lab_app, lab_settings, settle


@pytest.fixture(autouse=True)
def _private_state(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg-state"))


def _demo_app(aws_settings, tmp_path, *, on: bool):
    settings = dataclasses.replace(lab_settings(aws_settings, tmp_path), demo=True)
    app = lab_app(settings, tmp_path)
    assert app.services is not None
    WizardState(app.services.maintenance.state_path, on=on, since=1_767_225_600,
                resources={"instance_id": "i-0maint"}).save()
    return app


async def test_quitting_the_demo_with_maintenance_on_asks_first(aws_settings, tmp_path):
    app = _demo_app(aws_settings, tmp_path, on=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("q")
        await settle(app, pilot)
        assert isinstance(app.screen, ConfirmDialog)
        assert "maintenance" in app.screen.question.lower()
        await pilot.press("escape")
        await settle(app, pilot)
        assert app.is_running and not isinstance(app.screen, ConfirmDialog)
        await pilot.press("q")
        await settle(app, pilot)
        await pilot.press("y")
        await pilot.pause()
    assert app.return_code == 0


async def test_quitting_the_demo_with_maintenance_off_asks_nothing(aws_settings, tmp_path):
    app = _demo_app(aws_settings, tmp_path, on=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("q")
        await pilot.pause()
        assert not app.is_running
