from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from imports.sftp import generate_keypair


class Command(BaseCommand):
    help = (
        "Generate the city's RSA 2048 key pair for the Académie's SFTP server (private key 0600) "
        "and print the public key to send them."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--out",
            type=Path,
            default=None,
            help="Where to write the private key (default: SFTP_KEY_PATH); missing folders are "
            "created, mode 0700.",
        )
        parser.add_argument(
            "--passphrase-env",
            default="SFTP_KEY_PASSPHRASE",
            help="Environment variable holding the passphrase, if any.",
        )

    def handle(self, *args, out, passphrase_env, **options):
        import os

        path = out or (Path(settings.SFTP_KEY_PATH) if settings.SFTP_KEY_PATH else None)
        if path is None:
            raise CommandError(_("Give --out or set SFTP_KEY_PATH."))
        try:
            # The folder is private like the key (the README's path may not exist yet).
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        except (FileExistsError, NotADirectoryError) as exc:
            raise CommandError(
                _("Cannot create the folder %(folder)s: not a folder.") % {"folder": path.parent}
            ) from exc
        except PermissionError as exc:
            raise CommandError(
                _("Cannot create the folder %(folder)s: permission denied.")
                % {"folder": path.parent}
            ) from exc
        try:
            public = generate_keypair(path, passphrase=os.environ.get(passphrase_env) or None)
        except FileExistsError as exc:
            raise CommandError(
                _("%(path)s exists: refusing to overwrite the city's key.") % {"path": path}
            ) from exc
        self.stderr.write(
            _("Private key written to %(path)s (mode 0600). Public key:") % {"path": path}
        )
        self.stdout.write(public)
