from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from catalogue.demo_accounts import demo_accounts_create

RERUN = "DEBUG=true .venv/bin/python manage.py create_demo_accounts"


class Command(BaseCommand):
    help = "Create or reset the demo accounts (shop staff and a sales rep) and print their new passwords. DEBUG only."

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-no-users",
            action="store_true",
            help="Do nothing if any user exists, or if DEBUG is off (as `make run` calls it).",
        )

    def handle(self, *args, if_no_users, **options):
        if not settings.DEBUG:
            if if_no_users:
                self.stdout.write("DEBUG is off: no demo accounts.")
                return
            raise CommandError("Demo accounts have printed passwords: they are made only with DEBUG=true.")
        if if_no_users and get_user_model().objects.exists():
            self.stdout.write(f"Accounts exist; no demo accounts made. To make or reset them: {RERUN}")
            return
        self.stdout.write("Demo accounts (new passwords each time; sign in to the app or the admin):")
        for account in demo_accounts_create():
            self.stdout.write(f"  {account.username:<6} {account.password}   {account.role}")
        self.stdout.write(f"Reset them: {RERUN}")
