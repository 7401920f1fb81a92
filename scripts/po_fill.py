"""Fill French translations in locale/fr from a JSON dictionary {msgid: msgstr}.

Used by maintainers after `make makemessages`; the .po file stays the source of truth.
"""

import json
import sys
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent


def main(path):
    translations = json.loads(Path(path).read_text(encoding="utf-8"))
    po = polib.pofile(str(ROOT / "locale" / "fr" / "LC_MESSAGES" / "django.po"))
    filled = 0
    for entry in po:
        value = translations.get(entry.msgid)
        if value is None:
            continue
        if entry.msgid_plural:
            entry.msgstr_plural = {0: value[0], 1: value[1]}
        else:
            entry.msgstr = value
        if "fuzzy" in entry.flags:
            entry.flags.remove("fuzzy")
        filled += 1
    po.save()
    missing = [e.msgid for e in po if not e.translated() and not e.obsolete]
    print(f"filled {filled}, untranslated {len(missing)}")  # noqa: T201
    for msgid in missing:
        print("  -", msgid)  # noqa: T201


if __name__ == "__main__":
    main(sys.argv[1])
