"""A small fixed-window rate limit shared by every server process (it counts in the database)."""

import hashlib
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .models import RateLimitHit


def _digest(value):
    # Keyed with SECRET_KEY so the table cannot be reversed by hashing a list of addresses.
    material = f"{settings.SECRET_KEY}:{value}".encode()
    return hashlib.sha256(material).hexdigest()


def consume(scope, value, *, limit, window):
    """Count one request for (scope, value); False once `limit` were counted within `window`.

    A refused request is not counted, so the window frees up `window` after the last accepted
    one at the latest.
    """
    now = timezone.now()
    window = window if isinstance(window, timedelta) else timedelta(seconds=window)
    key = _digest(value)
    with transaction.atomic():
        RateLimitHit.objects.filter(scope=scope, created_at__lt=now - window).delete()
        count = RateLimitHit.objects.filter(
            scope=scope, key=key, created_at__gte=now - window
        ).count()
        if count >= limit:
            return False
        RateLimitHit.objects.create(scope=scope, key=key)
    return True
