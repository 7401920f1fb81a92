"""Admin permissions the Direction role gets for the family files."""


def family_file_permissions():
    """What the Direction group needs, as (app_label, codename)."""
    pairs = [("family_file", "view_healthsheet"), ("family_file", "change_pendingchange")]
    pairs += [("family_file", "change_supportingdocument")]
    for model in ("documentrequirement", "rulesversion", "familyquotient"):
        pairs += [
            ("family_file", f"{action}_{model}") for action in ("view", "add", "change", "delete")
        ]
    pairs += [("family_file", "view_familyfilesettings"), ("family_file", "add_familyfilesettings")]
    pairs += [("family_file", "change_familyfilesettings")]
    return pairs
