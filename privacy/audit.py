"""django-auditlog on every model holding personal data (called from `AccountsConfig.ready`).

Field changes of single saves are logged by auditlog; bulk writes (the import's bulk_create and
bulk_update, account_sync) send no signal: the ImportRun row and the explicit events of
`accounts.audit` are their trail. Secrets never reach the trail: password hashes, code digests,
export link nonces are excluded.
"""

from auditlog.registry import auditlog
from auditlog.signals import post_log

from privacy.inventory import INVENTORY, Source, personal_models

# Models the inventory marks personal but that are not registered, and why.
NOT_REGISTERED = {
    # Written by the import only, in bulk (no signal); the ImportRun is their audit.
    "schools.schoolclass": "feed-written in bulk; audited by ImportRun",
    # Memberships the import deletes and re-creates for each changed person: a signal per row
    # would slow every import and fill the trail with noise. The ImportRun is their audit.
    "schools.pupilclass": "rewritten by the import; audited by ImportRun",
    "schools.staffclass": "rewritten by the import; audited by ImportRun",
    "schools.staffassignment": "rewritten by the import; audited by ImportRun",
    "imports.importrun": "the run is itself the audit of the import",
    "imports.importfile": "feed-written; audited by ImportRun and FetchAttempt",
    "imports.importproblem": "feed-written in bulk; audited by ImportRun",
    "imports.importplanitem": "feed-written in bulk; audited by ImportRun",
    "imports.fetchattempt": "the attempt is itself an audit record",
    # Its rows are names the school service typed; explicit city-import-* events are its trail.
    "imports.citypersonimport": "explicit events; its cells must not reach the trail",
    # Login records and sessions are themselves traces, written on every request: the export
    # shows them and the purge deletes them (Rule.LOGIN_RECORDS, Rule.SESSION).
    "axes.accessattempt": "a login trace itself",
    "axes.accesslog": "a login trace itself",
    "axes.accessfailurelog": "a login trace itself",
    "sessions.session": "a session; expires and is purged",
    # Counts only, besides who ran it; an explicit `gdpr-purge` event is written.
    "privacy.purgereceipt": "counts only; the purge run is audited by an explicit event",
    # A sign-in to a connected service is itself a trace; tokens are credentials, written on
    # every sign-in and refresh, expiring and purged (Rule.TOKEN).
    "oidc.signin": "a sign-in trace itself",
    "oauth2_provider.grant": "a short-lived credential; expires and is purged",
    "oauth2_provider.accesstoken": "a credential; expires and is purged",
    "oauth2_provider.refreshtoken": "a credential; expires and is purged",
    "oauth2_provider.idtoken": "a credential's record; expires and is purged",
    "oauth2_provider.devicegrant": "never written: the device flow is off",
    # Written at each SCIM read, in bulk: a trace itself (each read is a `scim-read` event).
    "scim.scimdelivery": "a delivery trace itself; each read is a scim-read event",
    # Written in bulk by the purge that deletes the account; its receipt counts them.
    "scim.scimremoval": "written in bulk by the purge; counted in its receipt",
}

EXCLUDED_FIELDS = {
    "accounts.user": ["password", "last_login"],
    "accounts.activationcode": ["digest", "ciphertext"],
    "privacy.accessexport": ["token_nonce"],
    "oidc.client": ["client_secret"],
    "scim.scimclient": ["token_digest"],
}


REDACTED = "[redacted]"


def _redacted_fields(label: str) -> set[str]:
    """Personal fields whose values come from the feed or the person: the audit entry says
    that they changed, never what they held (only the latest values are kept, annex 1)."""
    return {
        name
        for name, classified in INVENTORY.get(label, {}).items()
        if classified.personal and classified.source in (Source.AAF, Source.PERSON)
    }


def audit_values_redact(sender, *, log_entry=None, changes=None, **kwargs) -> None:
    """auditlog's post_log: the entry keeps the field names, its values are redacted.

    A signal, against our habit (CONVENTIONS §2): auditlog writes its entries from its own
    model signals, and this is the one place that sees each of them as it is written.
    """
    if log_entry is None:
        return
    redacted = _redacted_fields(sender._meta.label_lower)
    if not redacted:
        return
    kept = {
        name: ([REDACTED, REDACTED] if name in redacted else values)
        for name, values in (changes or {}).items()
    }
    # The object's name (a person's name) is a value too: ids only.
    type(log_entry).objects.filter(pk=log_entry.pk).update(
        changes=kept,
        changes_text="",
        object_repr=f"{sender._meta.model_name} {log_entry.object_pk}",
    )


def audit_register() -> None:
    """Register the personal-data models not registered yet (idempotent)."""
    for model in personal_models():
        label = model._meta.label_lower
        if label in NOT_REGISTERED or auditlog.contains(model):
            continue
        auditlog.register(model, exclude_fields=EXCLUDED_FIELDS.get(label, []))
    post_log.connect(audit_values_redact, dispatch_uid="privacy-audit-values-redact")
