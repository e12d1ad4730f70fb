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
from tests.fixtures.backups import (
    PASSPHRASE,
    QUICK_S2K,
    make_service,
    run_ok,
    tree_digest,
)

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


def test_a_multi_block_backup_reads_with_gpg_d_then_gzip_d_and_tar_xz(
        gpg_home: GpgHome, tmp_path: Path) -> None:
    """A few MB of text, random data and zeros (several 1 MiB compression blocks on worker
    threads) come back byte for byte through the runbook's own commands."""
    import os
    import subprocess

    project = tmp_path / "prime"
    (project / "config").mkdir(parents=True)
    (project / ".env").write_text("DATABASE_URL=postgres://prime@db/prime\n")
    (project / "config" / "app.log").write_bytes(
        b"".join(b"GET /api/v1/item/%d 200 %d\n" % (i, i * 7) for i in range(120_000)))
    (project / "config" / "blob.bin").write_bytes(os.urandom(1_500_000))
    (project / "config" / "zeros.img").write_bytes(bytes(1_200_000))
    service = make_service(project, gpg_home, tmp_path)
    run_ok(service.create_plan(PASSPHRASE))
    [entry] = service.list_backups()
    gpg = (f"gpg --homedir {gpg_home.path} --batch --pinentry-mode loopback "
           f"--passphrase-fd 3 -d {entry.path} 3<&0")
    by_hand = tmp_path / "by-hand"
    by_hand.mkdir()
    for pipeline in (f"{gpg} | tar xz -C {by_hand}",
                     f"{gpg} | gzip -d > {tmp_path / 'plain.tar'}"):
        done = subprocess.run(["bash", "-c", f"set -o pipefail; {pipeline}"],
                              input=PASSPHRASE.encode() + b"\n", capture_output=True, timeout=60)
        assert done.returncode == 0, done.stderr
    assert tree_digest(by_hand) == tree_digest(project)
    listed = subprocess.run(["tar", "tf", str(tmp_path / "plain.tar")], capture_output=True,
                            check=True, text=True).stdout.split()
    assert {".env", "config/app.log", "config/blob.bin", "config/zeros.img"} <= set(listed)
