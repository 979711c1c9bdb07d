"""django-auditlog on every model holding personal data (called from `AccountsConfig.ready`).

Field changes of single saves are logged by auditlog; bulk writes (the import's bulk_create and
bulk_update, account_sync) send no signal: the ImportRun row and the explicit events of
`accounts.audit` are their trail. Secrets never reach the trail: password hashes, code digests,
export link nonces are excluded.
"""

from auditlog.registry import auditlog

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
    # Counts only, besides who ran it; an explicit `gdpr-purge` event is written.
    "privacy.purgereceipt": "counts only; the purge run is audited by an explicit event",
}

EXCLUDED_FIELDS = {
    "accounts.user": ["password", "last_login"],
    "accounts.activationcode": ["digest", "ciphertext"],
    "privacy.accessexport": ["token_nonce"],
}


def audit_register() -> None:
    """Register the personal-data models not registered yet (idempotent)."""
    from privacy.inventory import personal_models

    for model in personal_models():
        label = model._meta.label_lower
        if label in NOT_REGISTERED or auditlog.contains(model):
            continue
        auditlog.register(model, exclude_fields=EXCLUDED_FIELDS.get(label, []))
