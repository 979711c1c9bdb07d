"""Explicit audit events on connected services (django-auditlog `LogEntry` rows, through
`accounts.audit.audit_objects`); field changes of a client are logged by auditlog itself."""

from enum import StrEnum


class Event(StrEnum):
    CLIENT_REGISTERED = "oidc-client-registered"
    CLIENT_SECRET_RENEWED = "oidc-client-secret-renewed"  # noqa: S105 - an event name
    CLIENT_DEACTIVATED = "oidc-client-deactivated"
