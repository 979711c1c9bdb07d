from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from accounts.services import activation_codes_rekey


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored activation code with the first key of ACTIVATION_CODE_KEYS "
        "(after putting a new key first); the old key can then be dropped."
    )

    def handle(self, *args, **options):
        count = activation_codes_rekey()
        self.stdout.write(
            self.style.SUCCESS(_("Activation codes re-encrypted: %(count)s.") % {"count": count})
        )
