from django.core.management.base import BaseCommand

from parents.roles import COMMUNICATION_GROUP, DIRECTION_GROUP, setup_roles


class Command(BaseCommand):
    help = "Create or update the staff groups and their permissions (safe to run on every deploy)."

    def handle(self, *args, **options):
        setup_roles()
        self.stdout.write(
            self.style.SUCCESS(f"Roles up to date: {DIRECTION_GROUP}, {COMMUNICATION_GROUP}.")
        )
