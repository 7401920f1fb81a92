"""Compile locale/*/LC_MESSAGES/django.po into .mo files without GNU gettext.

`make run` needs only Python: Django's compilemessages calls msgfmt, which a machine that
only runs the portal may not have. polib (a dev dependency) writes the same .mo files.
"""

from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent


def main():
    for po_path in sorted((ROOT / "locale").glob("*/LC_MESSAGES/django.po")):
        po_path.with_suffix(".mo").write_bytes(polib.pofile(str(po_path)).to_binary())


if __name__ == "__main__":
    main()
