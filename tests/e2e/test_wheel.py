"""The built wheel carries the themes: installed into a fresh venv, every theme loads from it."""

from __future__ import annotations

import subprocess
import sys
import sysconfig
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_wheel_ships_every_theme_and_they_load(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "-q", "-w", str(dist), str(ROOT)], check=True, timeout=300)
    (wheel,) = dist.glob("primetui-*.whl")
    venv = tmp_path / "fresh"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    py = venv / "bin" / "python"
    subprocess.run([str(py), "-m", "pip", "install", "-q", "--no-deps", str(wheel)], check=True,
                   timeout=300)
    # The dependencies (textual …) come from this venv's site-packages, added as a plain path so
    # that its editable primetui is never seen: the primetui imported is the wheel's.
    fresh_site = subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                capture_output=True, text=True, check=True).stdout.strip()
    Path(fresh_site, "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    code = (
        "import primetui, sys\n"
        "from primetui.ui.themes import shipped_themes_dir, load_themes\n"
        "d = shipped_themes_dir()\n"
        "assert str(d).startswith(sys.prefix), d\n"
        "load = load_themes([d])\n"
        "print(primetui.__file__)\n"
        "print(sorted(load.themes))\n"
        "print(load.problems)\n"
    )
    out = subprocess.run([str(py), "-c", code], capture_output=True, text=True, cwd=tmp_path,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    file, names, problems = out.stdout.strip().splitlines()
    assert file.startswith(str(venv))
    shipped = sorted(p.stem for p in (ROOT / "themes").glob("*.toml"))
    assert eval(names) == shipped and len(shipped) >= 3
    assert problems == "[]"
