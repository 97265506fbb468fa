"""python manage.py verify_ledger [--compound SLUG]

Recomputes every balance from the journal lines, checks the cached balances and the
hash chain from genesis, and exits non-zero naming the compound and the first bad
sequence number.
"""

from django.core.management.base import BaseCommand, CommandError

from communities.models import Compound
from escrow.ledger.verification import ledger_verify


class Command(BaseCommand):
    help = "Verify every compound's escrow ledger (balances, caches, hash chain)."

    def add_arguments(self, parser):
        parser.add_argument("--compound", metavar="SLUG", help="verify only this compound")

    def handle(self, *args, compound=None, **options):
        compounds = Compound.objects.order_by("slug")
        if compound:
            compounds = compounds.filter(slug=compound)
            if not compounds.exists():
                raise CommandError(f"No compound with slug {compound!r}.")
        failed = []
        for c in compounds:
            result = ledger_verify(c)
            if result.ok:
                self.stdout.write(f"OK   {c.slug}: {result.entries} entries, head {result.head_hash}")
                continue
            where = (
                f"first bad sequence #{result.first_bad_sequence}" if result.first_bad_sequence else "caches"
            )
            self.stdout.write(f"FAIL {c.slug}: {where}")
            for problem in result.problems[:20]:
                self.stdout.write(f"     {problem}")
            failed.append((c.slug, result.first_bad_sequence))
        if failed:
            names = ", ".join(f"{slug} (#{seq})" if seq else slug for slug, seq in failed)
            raise CommandError(f"Ledger verification failed: {names}")
