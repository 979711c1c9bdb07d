"""`migrate` under a PostgreSQL advisory lock: web replicas starting together take turns."""

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import connection

# A fixed key of our own (the bytes of "entaixmg"); PostgreSQL frees it if the process dies.
MIGRATE_LOCK = int.from_bytes(b"entaixmg", "big", signed=True)


class Command(BaseCommand):
    help = (
        "Apply the migrations, one process at a time: a second web replica waits for the first "
        "one's migrations, then finds nothing left to do. The image's entrypoint runs it (web)."
    )

    def handle(self, *args, **options):
        verbosity = options["verbosity"]
        if connection.vendor != "postgresql":
            call_command("migrate", interactive=False, verbosity=verbosity)
            return
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [MIGRATE_LOCK])
        try:
            call_command("migrate", interactive=False, verbosity=verbosity)
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [MIGRATE_LOCK])
