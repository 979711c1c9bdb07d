"""Private file storage (MEDIA_ROOT/private), shared by the apps that keep files no URL serves."""

from pathlib import Path

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.utils.functional import cached_property


class PrivateStorage(FileSystemStorage):
    """MEDIA_ROOT/private: request attachments and exports. Never served by a URL.

    Files are read only through views that check who asks (the DPO, or the holder of a signed
    link). The location follows MEDIA_ROOT, also when a test overrides it.
    """

    def __init__(self) -> None:
        super().__init__(file_permissions_mode=0o600, directory_permissions_mode=0o700)

    @cached_property
    def base_location(self):
        return str(Path(settings.MEDIA_ROOT) / "private")

    def url(self, name):
        raise ValueError("Private files have no URL.")


_private = PrivateStorage()


def private_storage() -> PrivateStorage:
    return _private
