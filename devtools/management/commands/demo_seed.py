from django.core.management.base import BaseCommand, CommandError

from devtools.demo import demo_city_create
from schools.models import School


class Command(BaseCommand):
    help = "Fill an empty database with a small generated city and print the demo logins."

    def add_arguments(self, parser):
        parser.add_argument(
            "--seed", type=int, default=1, help="Random seed of the generated city (default 1)."
        )

    def handle(self, *args, seed: int, **options):
        if School.objects.exists():
            raise CommandError("The database already holds schools: demo data is for an empty one.")
        demo = demo_city_create(seed=seed)
        self.stdout.write(self.style.SUCCESS("Demo city created (imported from a generated feed)."))
        self.stdout.write(f"  City staff:  {demo.city_login}  password: {demo.city_password}")
        self.stdout.write(
            f"    two-factor code: add this key to an authenticator app: {demo.city_totp_secret}"
        )
        self.stdout.write(f"    (or open {demo.city_totp_uri})")
        self.stdout.write(
            f"    or use a single-use recovery code: {', '.join(demo.city_recovery_codes)}"
        )
        self.stdout.write(
            f"  School directors (one per open school): {', '.join(demo.director_logins)}  "
            f"password: {demo.staff_password}"
        )
        self.stdout.write(
            f"  Teacher (their classes only): {demo.teacher_login}  password: {demo.staff_password}"
        )
        self.stdout.write(f"  School where the ENT is not open yet: {demo.closed_uai}")
