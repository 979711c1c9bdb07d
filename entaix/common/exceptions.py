from django.utils.functional import Promise


class ApplicationError(Exception):
    """A business rule refused the operation; `message` is safe to show to the user (a lazy
    translation is shown in the reader's language)."""

    def __init__(
        self, message: str | Promise, *, code: str = "error", extra: dict | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.extra = extra or {}
