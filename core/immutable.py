"""The immutable-model base: rows that become final (issued documents, recorded payments)
refuse saves and deletes unless a service unlocks them, one row or a whole queryset at once.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class ImmutableError(Exception):
    """Raised on any attempt to change or delete an issued document or a recorded payment."""


class GuardedModel(models.Model):
    """Refuses saves and deletes once the row is final, unless a service unlocks it."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not getattr(self, "_service_write", False):
            stored = type(self)._base_manager.filter(pk=self.pk).first() if self.pk else None
            if stored is not None:
                final = stored if stored.is_final() else None
            else:
                # A new line added to an issued document changes that document just as much.
                final = self.issued_parent()
            if final is not None:
                raise ImmutableError(
                    _("%(object)s is issued and can no longer be changed.") % {"object": final}
                )
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        stored = type(self)._base_manager.filter(pk=self.pk).first()
        if stored is not None and stored.is_final():
            raise ImmutableError(
                _("%(object)s is issued and can no longer be deleted.") % {"object": stored}
            )
        return super().delete(*args, **kwargs)

    def is_final(self):
        raise NotImplementedError

    def issued_parent(self):
        """The issued document a new row of this model would belong to, if any."""
        return None


class GuardedQuerySet(models.QuerySet):
    """Bulk deletes and updates cannot bypass immutability either."""

    final_filter = Q()

    def delete(self):
        if self.filter(self.final_filter).exists():
            raise ImmutableError(_("Issued documents and recorded payments cannot be deleted."))
        return super().delete()

    def update(self, **kwargs):
        if self.filter(self.final_filter).exists():
            raise ImmutableError(_("Issued documents and recorded payments cannot be changed."))
        return super().update(**kwargs)
