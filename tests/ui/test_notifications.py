"""The same sentence is not piled up: a toast already on screen is not shown again."""

from __future__ import annotations

from tests.fixtures.shell import SIZE, lab_app, lab_settings, notifications, settle


async def test_no_credentials_is_said_once_however_often_the_tabs_are_switched(
        aws_settings, tmp_path, monkeypatch):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    app = lab_app(lab_settings(aws_settings, tmp_path), tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        for key in "232323":
            await pilot.press(key)
            await settle(app, pilot)
        said = [m for m in notifications(app) if "No AWS credentials" in m]
        assert len(said) <= 1, said


async def test_a_different_sentence_is_still_shown(aws_settings, tmp_path):
    app = lab_app(lab_settings(aws_settings, tmp_path), tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        before = len(notifications(app))
        app.notify("Backup written.")
        app.notify("Backup written.")
        app.notify("Backup verified.")
        await pilot.pause()
        assert notifications(app)[before:] == ["Backup written.", "Backup verified."]
