"""``migrate`` as the tables' owner when MIGRATE_DATABASE_URL is set.

The application itself connects (DATABASE_URL) as a role that owns nothing; only
migrations create and alter tables, so only they use the owner's credentials. The
database name stays the connection's own (a test run migrates its test database).
"""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import CommandError
from django.core.management.commands.migrate import Command as DjangoMigrate
from django.db import connections

from common.env import parse_database_url


class Command(DjangoMigrate):
    help = DjangoMigrate.help + " Connects as MIGRATE_DATABASE_URL's role when that is set."

    def handle(self, *args, **options):
        url = getattr(settings, "MIGRATE_DATABASE_URL", "")
        if not url:
            return super().handle(*args, **options)
        owner = parse_database_url(url, name="MIGRATE_DATABASE_URL", base_dir=settings.BASE_DIR)
        connection = connections[options["database"]]
        mine = connection.settings_dict
        if owner["ENGINE"] != mine["ENGINE"] or (owner["HOST"], owner["PORT"]) != (
            mine["HOST"],
            mine["PORT"],
        ):
            raise CommandError("MIGRATE_DATABASE_URL must name the same server as DATABASE_URL.")
        saved = {key: mine[key] for key in ("USER", "PASSWORD")}
        connection.close()
        mine.update(USER=owner["USER"], PASSWORD=owner["PASSWORD"])
        try:
            return super().handle(*args, **options)
        finally:
            connection.close()
            mine.update(saved)
