from django.core.management.base import BaseCommand

from billing.reminders import services


class Command(BaseCommand):
    help = (
        "Send the payment reminders due today (by e-mail, or recorded as a letter to print "
        "for families without e-mail). Run it daily: no family gets the same reminder twice."
    )

    def handle(self, *args, **options):
        counts = services.send_payment_reminders()
        self.stdout.write(
            f"{counts['email']} reminder(s) e-mailed, {counts['letter']} letter(s) to print."
        )
