from datetime import datetime, time, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from billing.online_payment import gateway
from billing.online_payment import services as payments

DEFAULT_DAYS = 3


class Command(BaseCommand):
    help = (
        "Ask Stripe for the card payments made since a date and record those the webhook "
        "missed. Safe to run as often as wanted: nothing is recorded twice."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--since",
            help=f"First day to check, YYYY-MM-DD (default: {DEFAULT_DAYS} days ago). "
            "Stripe keeps its events for 30 days.",
        )

    def handle(self, *args, **options):
        if not gateway.is_configured():
            raise CommandError("Stripe is not configured (STRIPE_SECRET_KEY and friends).")
        if options["since"]:
            try:
                day = datetime.strptime(options["since"], "%Y-%m-%d").date()  # noqa: DTZ007
            except ValueError as exc:
                raise CommandError("--since takes a date written YYYY-MM-DD.") from exc
        else:
            day = timezone.localdate() - timedelta(days=DEFAULT_DAYS)
        since = timezone.make_aware(datetime.combine(day, time.min))
        try:
            checked, recorded = payments.reconcile(since)
        except gateway.GatewayError as exc:
            raise CommandError(f"Stripe could not be reached: {exc}") from exc
        self.stdout.write(
            f"Since {day:%Y-%m-%d}: {checked} PaymentIntent(s) checked, "
            f"{recorded} missed payment(s) recorded."
        )
