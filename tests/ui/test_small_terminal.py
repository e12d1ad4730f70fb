"""An 80×24 SSH terminal: every tab label, and the footer's Quit, are on screen."""

from __future__ import annotations

from textual.widgets import Tab

from primetui.ui.tabs import TABS
from tests.fixtures.shell import lab_app, lab_settings, settle
from tests.fixtures.small_terminal import SMALL, walk_focus_and_check_each_is_on_screen


def visible(widget, width: int) -> bool:
    region = widget.region
    return region.width > 0 and region.x >= 0 and region.right <= width


async def test_every_tab_label_is_on_screen_at_80_columns(aws_settings, tmp_path):
    app = lab_app(lab_settings(aws_settings, tmp_path), tmp_path)
    async with app.run_test(size=SMALL) as pilot:
        await settle(app, pilot)
        for tab in TABS:  # also after switching to the last tab, which scrolls the bar
            await pilot.press(tab.key)
            await settle(app, pilot)
            tabs = [t for t in app.screen.query(Tab) if t.id and t.id.startswith("--content-tab-")]
            assert len(tabs) == len(TABS)
            hidden = [str(t.label) for t in tabs if not visible(t, SMALL[0])]
            assert hidden == [], f"on tab {tab.id}: {hidden} are off screen"


async def test_the_footer_keeps_quit_on_screen_on_every_tab(aws_settings, tmp_path):
    app = lab_app(lab_settings(aws_settings, tmp_path), tmp_path)
    async with app.run_test(size=SMALL) as pilot:
        await settle(app, pilot)
        for tab in TABS:
            await pilot.press(tab.key)
            await settle(app, pilot)
            keys = {k.key: k for k in app.screen.query("FooterKey")}
            assert "q" in keys, f"no q key in the footer on {tab.id}"
            assert visible(keys["q"], SMALL[0]), f"Quit is cut on the {tab.id} tab"


async def test_the_maintenance_form_scrolls_to_each_focused_field_at_80x24():
    from primetui.maintenance.page import PageOptions
    from primetui.maintenance.steps import CHECKLIST
    from primetui.ui.tabs.maintenance.dialogs import MaintenanceFormDialog
    from tests.fixtures.dialogs import DialogHost

    dialog = MaintenanceFormDialog(PageOptions(contact="it@lab.example.edu"),
                                   "prime.example.edu", CHECKLIST)
    app = DialogHost(dialog)
    async with app.run_test(size=SMALL) as pilot:
        await pilot.pause()
        await walk_focus_and_check_each_is_on_screen(app, pilot, dialog)


async def test_the_checklist_sentences_are_shown_whole_at_80x24():
    from primetui.maintenance.page import PageOptions
    from primetui.maintenance.steps import CHECKLIST
    from primetui.ui.tabs.maintenance.dialogs import MaintenanceFormDialog
    from tests.fixtures.dialogs import DialogHost

    dialog = MaintenanceFormDialog(PageOptions(), "prime.example.edu", CHECKLIST)
    app = DialogHost(dialog)
    async with app.run_test(size=SMALL) as pilot:
        await pilot.pause()
        for box, sentence in zip(dialog.query("Checkbox"), CHECKLIST, strict=True):
            box.focus()
            await pilot.pause()
            shown = " ".join("".join(s.text for s in box.render_line(y)).strip()
                             for y in range(box.size.height))
            words = sentence.split()
            assert words[-1] in shown and "…" not in shown, shown



async def test_the_maintenance_form_opens_with_the_keyboard_in_its_first_field():
    from primetui.maintenance.page import PageOptions
    from primetui.maintenance.steps import CHECKLIST
    from primetui.ui.tabs.maintenance.dialogs import MaintenanceFormDialog
    from tests.fixtures.dialogs import DialogHost

    dialog = MaintenanceFormDialog(PageOptions(), "prime.example.edu", CHECKLIST)
    app = DialogHost(dialog)
    async with app.run_test(size=SMALL) as pilot:
        await pilot.pause()
        assert app.focused is dialog.query_one("#form-message")
        assert dialog.query_one(".dialog-title").region.y >= 0  # shown from its title
        assert dialog.query_one("VerticalScroll").scroll_y == 0
        await pilot.press("tab", "tab", "tab")  # back, contact, then the first checklist item
        assert app.focused is dialog.query_one("#form-check-0")


async def test_the_overview_hint_is_shown_whole_at_80_columns(aws_settings, tmp_path):
    from primetui.ui.tabs.overview.tab import HINT

    app = lab_app(lab_settings(aws_settings, tmp_path), tmp_path)
    async with app.run_test(size=SMALL) as pilot:
        await settle(app, pilot)
        hint = app.screen.query_one("#overview-hint")
        shown = "".join(s.text for s in hint.render_line(0)).strip()
        assert shown == HINT
