from django.core.management.base import BaseCommand

from reservations.services import send_booking_reminders


class Command(BaseCommand):
    help = (
        "Email families without a booking that an open period's deadline is near "
        "(run hourly; each reminder is sent once)."
    )

    def handle(self, *args, **options):
        sent = send_booking_reminders()
        self.stdout.write(f"{sent} reminder(s) sent.")
