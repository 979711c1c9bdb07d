from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from accounts.emails import city_staff_invitation_link
from accounts.models import User
from accounts.services import city_staff_invite
from entaix.common.exceptions import ApplicationError


class Command(BaseCommand):
    help = (
        "Invite a city-staff member with a role (school-service, dpo, it-admin): the account is "
        "created without a password and a one-time link to choose it is e-mailed and printed. "
        "The first IT administrator is made this way; later ones from the 'City staff' page."
    )

    def add_arguments(self, parser):
        parser.add_argument("--login", required=True, help="Their login (e.g. prenom.nom).")
        parser.add_argument(
            "--email", required=True, help="Their work e-mail: the one-time link goes there."
        )
        parser.add_argument("--first-name", required=True, help="Their first name.")
        parser.add_argument("--last-name", required=True, help="Their last name.")
        parser.add_argument(
            "--role",
            required=True,
            choices=User.CityRole.values,
            help="school-service, dpo (data requests) or it-admin (may open the admin).",
        )

    def handle(self, *args, **options):
        try:
            account = city_staff_invite(
                login=options["login"],
                email=options["email"],
                first_name=options["first_name"],
                last_name=options["last_name"],
                role=options["role"],
            )
        except ApplicationError as exc:
            raise CommandError(str(exc.message)) from exc
        link = city_staff_invitation_link(account)
        self.stdout.write(
            _("Invitation sent to account %(id)s (%(login)s, %(role)s): %(link)s")
            % {"id": account.pk, "login": account.login, "role": account.city_role, "link": link}
        )
