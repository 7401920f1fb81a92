"""Links from a family's admin page to what other apps hold about it: its statement, its
bookings, its family file.

`parents` never imports those apps; each registers, from its `wagtail_hooks.py`, a function
giving the link for one family, or None when the user may not open it:

    @hooks.register("register_family_admin_links")
    def statement_link(user, family):
        if user.has_perm("billing.view_ledgerentry"):
            return (_("Statement"), reverse("billing_statements:statement", args=[family.pk]))

The family page itself is only shown for families in the user's structures, and every
linked page checks the structure again.
"""

from wagtail import hooks

FAMILY_ADMIN_LINKS_HOOK = "register_family_admin_links"


def family_admin_links(user, family):
    """[(label, url)] for `family`, in the order of the hooks' `order`."""
    links = []
    for hook in hooks.get_hooks(FAMILY_ADMIN_LINKS_HOOK):
        link = hook(user, family)
        if link is not None:
            links.append(link)
    return links
