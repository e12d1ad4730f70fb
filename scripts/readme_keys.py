"""Write the README's key tables from the app's own bindings (`primetui.ui.keys`).

    python scripts/readme_keys.py           rewrite the tables in README.md
    python scripts/readme_keys.py --check   exit 1 when README.md differs from the bindings

tests/unit/test_keymap.py runs the same comparison, so a key changed in the code and not in
the README (or the other way round) fails the tests.
"""

from __future__ import annotations

import sys
from pathlib import Path

from primetui.ui.keys import README_BEGIN, README_END, readme_keys

README = Path(__file__).resolve().parents[1] / "README.md"


def with_tables(text: str) -> str:
    """The README text with the block between the markers written anew."""
    start = text.index(README_BEGIN) + len(README_BEGIN)
    end = text.index(README_END)
    return text[:start] + "\n\n" + readme_keys() + "\n" + text[end:]


def main(argv: list[str]) -> int:
    text = README.read_text(encoding="utf-8")
    wanted = with_tables(text)
    if "--check" in argv:
        if wanted != text:
            print("README.md's key tables differ from the bindings; run "
                  "python scripts/readme_keys.py", file=sys.stderr)
            return 1
        return 0
    README.write_text(wanted, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
