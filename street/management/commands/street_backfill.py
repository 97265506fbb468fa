"""python manage.py street_backfill [--office <dashboard slug>]

Recompute every street office's rollups (or one's) for every month since its data
starts — bills, payments, meetings, published assessment rounds, escrow accounts — then
its flags. The hourly beat job does this by itself for an office whose history is
missing; run it by hand after importing past data or changing how a figure is computed.
"""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from communities.models import StreetOffice
from street import services
from street.models import StreetDashboard


class Command(BaseCommand):
    help = "Recompute the street dashboard's monthly rollups from the start of the data (backfill)."

    def add_arguments(self, parser):
        parser.add_argument("--office", help="the dashboard slug of one street office (default: all)")

    def handle(self, *args, office=None, **options):
        if office:
            dashboard = StreetDashboard.objects.select_related("street_office").filter(slug=office).first()
            if dashboard is None:
                raise CommandError(f"No street dashboard with the slug {office!r}.")
            offices = [dashboard.street_office]
        else:
            offices = list(StreetOffice.objects.order_by("pk"))
        for street_office in offices:
            start = time.perf_counter()
            rows = services.rollups_refresh(street_office, months=None)
            flags = services.flags_refresh(street_office)
            self.stdout.write(
                f"{street_office.name}: {rows} rollup rows, {len(flags)} flags "
                f"({time.perf_counter() - start:.1f} s)"
            )
