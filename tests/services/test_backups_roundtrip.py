"""Round trip as a property: any tree of files comes back byte for byte, with its modes.

Each example runs gpg four times; the S2K iteration count is lowered so the property can
see many trees quickly. The strong default is checked in test_backups.py.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from primetui.backups.service import BackupService
from primetui.config import BackupSettings, Settings
from primetui.sandbox.gpg import GpgHome
from tests.fixtures.backups import PASSPHRASE, QUICK_S2K, run_ok, tree_digest

MODES = [0o600, 0o640, 0o644, 0o700, 0o750, 0o755]  # modes a restore keeps as they are

names = st.text(st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="/\\"),
                min_size=1, max_size=12).filter(lambda n: n not in (".", "..")
                                                and len(n.encode()) < 200)
files = st.tuples(st.binary(max_size=3000), st.sampled_from(MODES))
trees = st.recursive(files, lambda children: st.dictionaries(names, children, max_size=4),
                     max_leaves=12)


def write_tree(root: Path, tree: dict) -> None:
    for name, node in tree.items():
        path = root / name
        if isinstance(node, dict):
            path.mkdir()
            write_tree(path, node)
        else:
            data, mode = node
            path.write_bytes(data)
            path.chmod(mode)


@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(tree=st.dictionaries(names, trees, min_size=1, max_size=4))
def test_any_tree_round_trips_byte_for_byte_with_its_modes(gpg_home: GpgHome, tree: dict) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        source, target = root / "source", root / "target"
        source.mkdir()
        write_tree(source, tree)
        config = BackupSettings(source=str(source), destination=root / "backups", include=["*"])
        service = BackupService(Settings(backups=config), gnupghome=gpg_home.path,
                                state_file=root / "verified.json", s2k_count=QUICK_S2K)
        run_ok(service.create_plan(PASSPHRASE))
        [entry] = service.list_backups()
        preview = service.preview_restore(entry.path, PASSPHRASE, target)
        assert not preview.changes.changed and not preview.changes.removed
        run_ok(service.restore_plan(preview, PASSPHRASE))
        assert tree_digest(target) == tree_digest(source)
