from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

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
            raise CommandError(
                _("The database already holds schools: demo data is for an empty one.")
            )
        demo = demo_city_create(seed=seed)
        write = self.stdout.write
        write(self.style.SUCCESS(_("Demo city created (imported from a generated feed).")))
        write(
            _("  City staff:  %(login)s  password: %(password)s")
            % {"login": demo.city_login, "password": demo.city_password}
        )
        write(
            _("    two-factor code: add this key to an authenticator app: %(key)s")
            % {"key": demo.city_totp_secret}
        )
        write(_("    (or open %(uri)s)") % {"uri": demo.city_totp_uri})
        write(
            _("    or use a single-use recovery code: %(codes)s")
            % {"codes": ", ".join(demo.city_recovery_codes)}
        )
        write(
            _("  School directors (one per open school): %(logins)s  password: %(password)s")
            % {"logins": ", ".join(demo.director_logins), "password": demo.staff_password}
        )
        write(
            _("  Teacher (their classes only): %(login)s  password: %(password)s")
            % {"login": demo.teacher_login, "password": demo.staff_password}
        )
        write(_("  School where the ENT is not open yet: %(uai)s") % {"uai": demo.closed_uai})
