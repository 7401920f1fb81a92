"""Keep the guardians who live at the family's address at that address when it changes.

The family file starts each guardian's details from the family's address (most guardians
live there). A guardian with an address of their own (separated parents) keeps it; the
others follow the family when a director records its move, so that their yearly
certificates never carry the address the family left.
"""

from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver

from parents.models import Family

from .models import GuardianDetails

ADDRESS_FIELDS = ("address_line1", "address_line2", "postcode", "city")


def _address(obj):
    return {name: getattr(obj, name) for name in ADDRESS_FIELDS}


@receiver(pre_save, sender=Family, dispatch_uid="family_file.remember_family_address")
def remember_family_address(sender, instance, raw=False, update_fields=None, **kwargs):
    # A save naming its fields without any of the address's cannot move
    # the family: no need to read the row first.
    if (
        raw
        or instance.pk is None
        or (update_fields and not set(update_fields) & set(ADDRESS_FIELDS))
    ):
        instance._family_file_previous_address = None
        return
    previous = Family.objects.filter(pk=instance.pk).values(*ADDRESS_FIELDS).first()
    instance._family_file_previous_address = previous


@receiver(post_save, sender=Family, dispatch_uid="family_file.follow_family_move")
def follow_family_move(sender, instance, raw=False, **kwargs):
    previous = getattr(instance, "_family_file_previous_address", None)
    instance._family_file_previous_address = None
    if raw or not previous or previous == _address(instance) or not any(previous.values()):
        return
    GuardianDetails.objects.filter(guardian__family=instance, **previous).update(
        **_address(instance)
    )
