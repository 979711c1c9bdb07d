"""Register a SCIM client, renew its token, list or deactivate clients.

    manage.py scim_client create --name "ENT ONE" --school 0130001A --school 0130002B
    manage.py scim_client renew --name "ENT ONE"
    manage.py scim_client deactivate --name "ENT ONE"
    manage.py scim_client list

The token is printed once (create, renew) and never stored in clear.
"""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from schools.models import School
from scim import services
from scim.models import ScimClient


class Command(BaseCommand):
    help = "Register SCIM clients and issue their bearer tokens (printed once)."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["create", "renew", "deactivate", "list"])
        parser.add_argument("--name")
        parser.add_argument("--school", action="append", default=[], help="UAI (repeatable)")
        parser.add_argument("--all-open-schools", action="store_true")

    def handle(self, *args, action, name, school, all_open_schools, **options):
        if action == "list":
            for client in ScimClient.objects.prefetch_related("schools"):
                uais = ",".join(sorted(s.uai for s in client.schools.all()))
                state = _("active") if client.is_active else _("inactive")
                self.stdout.write(f"{client.pk}\t{client.name}\t{state}\t{uais}")
            return
        if not name:
            raise CommandError(_("--name is required."))
        if action == "create":
            schools = School.objects.filter(uai__in=[u.strip().upper() for u in school])
            if all_open_schools:
                schools = School.objects.filter(ent_open=True, left_at__isnull=True)
            found = {s.uai for s in schools}
            missing = sorted({u.strip().upper() for u in school} - found)
            if missing:
                raise CommandError(_("Unknown school: %(uais)s") % {"uais": ", ".join(missing)})
            if ScimClient.objects.filter(name__iexact=name.strip()).exists():
                raise CommandError(
                    _("A client named %(name)s exists already.") % {"name": repr(name)}
                )
            _client, token = services.scim_client_create(
                name=name, school_ids=[s.pk for s in schools]
            )
            self.stdout.write(token)
            return
        client = ScimClient.objects.filter(name__iexact=name.strip()).first()
        if client is None:
            raise CommandError(_("No client named %(name)s.") % {"name": repr(name)})
        if action == "renew":
            self.stdout.write(services.scim_client_token_renew(client=client))
        else:
            services.scim_client_update(
                client=client,
                school_ids=list(client.schools.values_list("pk", flat=True)),
                is_active=False,
            )
            self.stdout.write(_("%(name)s deactivated") % {"name": client.name})
