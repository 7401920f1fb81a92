"""Account lifecycle services: the only code that invites guardians or changes their login."""


def invite_guardian(guardian, *, by=None):
    """Create the guardian's login if needed and email the identifiant and a set-password link."""
    raise NotImplementedError


def update_guardian_email(guardian, new_email, *, by=None):
    """Change a guardian's address: old password stops working, new invitation, old address told."""
    raise NotImplementedError
