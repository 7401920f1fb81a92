"""Per-structure settings rows that family pages read on every request and directors
change a few times a year, kept in the shared cache.

`keep_per_structure(Model)` (from the app's `ready()`) forgets a structure's row the moment
one is saved or deleted, in every process; `settings_for(Model, structure)` reads it. Only a
cache every process shares keeps them (a process-local one elsewhere would go on serving
the old row): without Redis the row is read each time, as before. Callers only read the
row; editing goes through the model's own queries.
"""

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save

from . import page_cache

# Signals forget a row when it changes; the limit bounds changes made behind Django's back.
SETTINGS_CACHE_SECONDS = 300


def _key(model, structure_id):
    return f"structure-settings:{model._meta.label_lower}:{structure_id}"


def settings_for(model, structure):
    """The structure's row of `model`, or unsaved defaults when it has none."""
    if not settings.CACHE_IS_SHARED:
        found = model.objects.filter(structure=structure).first()
        return found or model(structure=structure)
    # A cached family page showing this row is dropped when the row changes.
    page_cache.record_model(model)
    key = _key(model, structure.pk)
    found = cache.get(key)
    if found is None:
        found = model.objects.filter(structure=structure).first() or model(
            structure_id=structure.pk
        )
        cache.set(key, found, SETTINGS_CACHE_SECONDS)
    found.structure = structure
    return found


def _forget(sender, instance, **kwargs):
    key = _key(sender, instance.structure_id)
    cache.delete(key)
    # Again after commit: a request reading the old row in between would put it back.
    transaction.on_commit(lambda: cache.delete(key))


def keep_per_structure(model):
    for signal in (post_save, post_delete):
        signal.connect(_forget, sender=model, dispatch_uid=f"structure_settings_{model.__name__}")
