from django.core.management.base import BaseCommand

from reservations.services import expire_offers


class Command(BaseCommand):
    help = (
        "Close the waiting-list offers whose time is over and offer the place to the next "
        "family (run every few minutes)."
    )

    def handle(self, *args, **options):
        expired = expire_offers()
        self.stdout.write(f"{expired} offer(s) expired.")
