"""`python manage.py demo_totp EMAIL`: the current authenticator code of a demo signer."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from portal.demo_signers import current_code


class Command(BaseCommand):
    help = "Print the current authenticator (TOTP) code of a demo signer. Demo mode only (DEMO_MODE)."

    def add_arguments(self, parser):
        parser.add_argument("email", help="the signer's e-mail (or phone number), e.g. committee@example.com")

    def handle(self, *args, email: str, **options):
        if not settings.DEMO_MODE:
            raise CommandError(
                "demo_totp works only in demo mode (DEMO_MODE=true, as `make run` sets it): it would "
                "hand out a second factor."
            )
        user = User.objects.filter(email__iexact=email).first() or User.objects.filter(phone=email).first()
        if user is None:
            raise CommandError(f"No user with the e-mail or phone {email!r}.")
        code = current_code(user)
        if code is None:
            raise CommandError(f"{email} has no authenticator app: only the demo's signers have one.")
        self.stdout.write(code)
