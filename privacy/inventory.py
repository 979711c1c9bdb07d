"""The inventory of personal data: every field of every model of the project, classified.

For each field: whether it is personal data, where it comes from (the AAF feed, the person,
staff, or entaix itself) and the retention rule that removes it. The access export labels each
field it shows from here, the purge and the termination rely on it, and a test fails as soon
as a model gains a field that is not classified here (privacy/tests/test_inventory.py).

"Personal" is read broadly, as the GDPR does: any value about an identifiable person, also
pseudonymous identifiers (the AAF join keys, INE) and dates about them. Technical ids are not.
"""

from dataclasses import dataclass

from django.apps import apps
from django.conf import settings
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

# Third-party tables holding personal data are classified too (login records, sessions).
APPS = (
    "schools",
    "accounts",
    "imports",
    "privacy",
    "scim",
    "oidc",
    "oauth2_provider",
    "axes",
    "sessions",
)


class Source(models.TextChoices):
    AAF = "aaf", _("AAF feed (ONDE, Ministry of Education)")
    PERSON = "person", _("entered by the person")
    STAFF = "staff", _("entered by city or school staff")
    SYSTEM = "system", _("produced by entaix")


class Rule(models.TextChoices):
    """Retention rules. `retention_text` gives the sentence shown to people."""

    PUPIL = "pupil-left", _("pupil")
    GUARDIAN = "guardian-children-gone", _("guardian")
    STAFF = "staff-departure", _("staff")
    ACCOUNT = "account-with-person", _("ENT account")
    CITY_ACCOUNT = "city-account", _("city staff account")
    REQUEST = "request-closed", _("data request")
    ATTACHMENT = "request-attachment", _("request attachment")
    EXPORT = "export-link", _("access export")
    LETTER_FILE = "letter-file", _("activation letters PDF")
    AUDIT = "audit-scrubbed", _("audit trail")
    RAW_FEED = "raw-feed", _("raw feed file")
    IMPORT_TRACE = "import-trace", _("import plan and problems")
    CONVENTION = "convention", _("for the convention's duration")
    LOGIN_RECORDS = "login-records", _("login records")
    SESSION = "session-expiry", _("session")
    TOKEN = "token-expiry", _("connected-service token")
    NONE = "none", _("no personal data")


# Attributes the AAF feed carries that entaix does not keep (minimisation, GDPR art. 5(1)(c)):
# dropped where parsed records become directory rows (imports/state.py), no column holds them.
NOT_KEPT = {
    "ENTEleveRestaurantScolaire": _("pupil: school canteen"),
    "ENTEleveTransport": _("pupil: school transport"),
    "ENTEleveGarderieMatin": _("pupil: morning childcare"),
    "ENTEleveGarderieSoir": _("pupil: evening childcare"),
    "ENTEleveEtudesSurveillees": _("pupil: supervised study"),
    "PersEducNat ENTPersonDateNaissance": _("staff: birth date"),
}


# Kept personal fields whose need is not obvious: the feature that needs each, and who sees it.
NEEDED_FOR = {
    "schools.guardian": {
        **dict.fromkeys(
            ("address", "postal_code", "city", "country", "home_phone", "mobile_phone",
             "work_phone"),
            _("reaching the family about its ENT accounts (letters, resets); shown to the "
              "school director and city staff only, never to teachers"),
        ),
        "email": _("verifying a data request's author; password recovery once confirmed"),
    },
    "schools.pupil": {
        "birth_date": _("telling homonyms apart (matching, twins); shown to the school staff"),
    },
}  # fmt: skip


def retention_text(rule: str) -> str:
    """The rule in one sentence, with the configured durations."""
    texts = {
        Rule.PUPIL: gettext(
            "Until the end of the calendar year in which the pupil stopped attending the "
            "city's schools (convention, article 8)."
        ),
        Rule.GUARDIAN: gettext(
            "Until none of the guardian's children is kept: the end of the calendar year in "
            "which the last of them stopped attending the city's schools."
        ),
        Rule.STAFF: gettext("Not beyond the agent's departure (convention, article 8)."),
        Rule.ACCOUNT: gettext("Deleted with the person it belongs to (rules above)."),
        Rule.CITY_ACCOUNT: gettext("While the agent works for the city's school service."),
        Rule.REQUEST: gettext(
            "%(years)s years after the request is closed, then anonymised (proof that the "
            "request was answered)."
        )
        % {"years": settings.GDPR_REQUEST_RETENTION_YEARS},
        Rule.ATTACHMENT: gettext("%(days)s days after the request is closed.")
        % {"days": settings.GDPR_ATTACHMENT_RETENTION_DAYS},
        Rule.EXPORT: gettext("Until the download link expires (%(days)s days).")
        % {"days": settings.GDPR_EXPORT_LINK_DAYS},
        Rule.LETTER_FILE: gettext(
            "%(hours)s hours after the letters are built, with their download link."
        )
        % {"hours": settings.LETTER_BATCH_KEEP_HOURS},
        Rule.AUDIT: gettext(
            "The entry is kept; the personal data in it are removed when its person is purged."
        ),
        Rule.RAW_FEED: gettext(
            "%(days)s days after download, and at once when a person in the file is purged."
        )
        % {"days": settings.AAF_INBOX_RETENTION_DAYS},
        Rule.IMPORT_TRACE: gettext(
            "Values removed once the run is applied or discarded (keys, field names and problem "
            "codes kept); the rest when their person is purged."
        ),
        Rule.CONVENTION: gettext("For the convention's duration; destroyed when it ends."),
        Rule.LOGIN_RECORDS: gettext(
            "%(days)s days after the login or the attempt, then deleted by the daily purge."
        )
        % {"days": settings.LOGIN_RECORD_RETENTION_DAYS},
        Rule.SESSION: gettext("Until the session expires; expired sessions are deleted daily."),
        Rule.TOKEN: gettext(
            "Until the token expires (%(days)s days after its last use at most) or is revoked; "
            "deleted at once when the account is deactivated, and nightly once expired."
        )
        % {"days": settings.OAUTH2_PROVIDER["REFRESH_TOKEN_EXPIRE_SECONDS"] // 86400},
        Rule.NONE: gettext("No personal data."),
    }
    return texts[Rule(rule)]


@dataclass(frozen=True)
class FieldClass:
    personal: bool
    source: Source
    rule: Rule


def _p(source: Source, rule: Rule) -> FieldClass:
    return FieldClass(True, source, rule)


def _n(source: Source = Source.SYSTEM, rule: Rule = Rule.NONE) -> FieldClass:
    return FieldClass(False, source, rule)


TECH = _n()
TIMESTAMPS = {"id": TECH, "created_at": TECH, "updated_at": TECH}


def _feed_person(rule: Rule) -> dict[str, FieldClass]:
    aaf = _p(Source.AAF, rule)
    system = _p(Source.SYSTEM, rule)
    return {
        "id": TECH,
        "created_at": system,
        "updated_at": system,
        "join_key": aaf,  # the AAF identifier: pseudonymous, still personal
        "first_seen_at": system,
        "last_seen_at": system,
        "last_changed_run": system,
        "left_at": system,
        "feed_digest": system,  # a hash of the feed's record: derived from personal data
        "birth_name": aaf,
        "last_name": aaf,
        "first_name": aaf,
        "other_first_names": aaf,
        "civility": aaf,
        "account": system,
        "search_key": system,  # the names folded for the search, computed from them
    }


_PUPIL = _p(Source.AAF, Rule.PUPIL)
_GUARDIAN = _p(Source.AAF, Rule.GUARDIAN)
_STAFF = _p(Source.AAF, Rule.STAFF)
_SCHOOL = _n(Source.AAF, Rule.CONVENTION)
_ACCOUNT_SYS = _p(Source.SYSTEM, Rule.ACCOUNT)
_ACCOUNT_PERSON = _p(Source.PERSON, Rule.ACCOUNT)
_REQUEST_PERSON = _p(Source.PERSON, Rule.REQUEST)
_REQUEST_STAFF = _p(Source.STAFF, Rule.REQUEST)
_REQUEST_SYS = _p(Source.SYSTEM, Rule.REQUEST)
_TRACE = _p(Source.AAF, Rule.IMPORT_TRACE)
_CITY_PERSON = _p(Source.STAFF, Rule.STAFF)

INVENTORY: dict[str, dict[str, FieldClass]] = {
    # --- schools: the directory the feed owns --------------------------------------------
    "schools.school": {
        **TIMESTAMPS,
        **dict.fromkeys(
            (
                "join_key",
                "first_seen_at",
                "last_seen_at",
                "last_changed_run",
                "left_at",
                "feed_digest",
                "uai",
                "siren",
                "name",
                "structure_type",
                "ministry",
                "sector",
                "circonscription",
                "commune",
                "rpi",
                "academie",
                "address",
                "po_box",
                "postal_code",
                "city",
                "phone",
                "fax",
                "email",
            ),
            _SCHOOL,
        ),
        "ent_open": _n(Source.STAFF),
        "ent_opened_on": _n(Source.STAFF),
    },
    "schools.schoolclass": {
        **TIMESTAMPS,
        "school": _SCHOOL,
        "kind": _SCHOOL,
        "code": _SCHOOL,
        # A class is often named after its teacher ("CE1 Mme Durand").
        "name": _p(Source.AAF, Rule.CONVENTION),
        "first_seen_at": _SCHOOL,
        "last_seen_at": _SCHOOL,
        "left_at": _SCHOOL,
        "feed_digest": _SCHOOL,
    },
    "schools.pupil": {
        **_feed_person(Rule.PUPIL),
        **dict.fromkeys(
            (
                "school",
                "birth_date",
                "ine",
                "level",
                "cycle",
                "class_type",
                "classes",
                "guardians",
            ),
            _PUPIL,
        ),
    },
    "schools.pupilclass": {"id": TECH, "pupil": _PUPIL, "school_class": _PUPIL},
    "schools.guardian": {
        **_feed_person(Rule.GUARDIAN),
        **dict.fromkeys(
            (
                "address",
                "postal_code",
                "city",
                "country",
                "home_phone",
                "mobile_phone",
                "work_phone",
                "email",
            ),
            _GUARDIAN,
        ),
    },
    "schools.guardianlink": {
        "id": TECH,
        **dict.fromkeys(
            ("pupil", "guardian", "relation", "legal", "financial", "contact"), _GUARDIAN
        ),
        "left_at": _p(Source.SYSTEM, Rule.GUARDIAN),
        "feed_digest": _p(Source.SYSTEM, Rule.GUARDIAN),
    },
    "schools.staff": {
        **_feed_person(Rule.STAFF),
        **dict.fromkeys(("email", "is_teacher", "specialities", "schools", "classes"), _STAFF),
        # People outside the feed (source = city): entered by the school service (ROW_SOURCES).
        **dict.fromkeys(("source", "role", "start_date", "end_date"), _CITY_PERSON),
    },
    "schools.staffassignment": {
        "id": TECH,
        **dict.fromkeys(("staff", "school", "is_director", "functions"), _STAFF),
    },
    "schools.staffclass": {"id": TECH, "staff": _STAFF, "school_class": _STAFF},
    # --- accounts ----------------------------------------------------------------------------
    "accounts.user": {
        "id": TECH,
        "password": _ACCOUNT_PERSON,  # a hash, never shown
        "last_login": _ACCOUNT_SYS,
        "is_superuser": _n(Source.STAFF),
        "login": _ACCOUNT_SYS,
        "email": _ACCOUNT_PERSON,
        "first_name": _p(Source.AAF, Rule.ACCOUNT),
        "last_name": _p(Source.AAF, Rule.ACCOUNT),
        "kind": _ACCOUNT_SYS,
        "is_active": _ACCOUNT_SYS,
        "is_staff": _n(Source.STAFF),
        "city_role": _n(Source.STAFF),  # set by the school service (issue 20)
        "date_joined": _ACCOUNT_SYS,
        "activated_at": _ACCOUNT_SYS,
        "email_confirmed_at": _ACCOUNT_SYS,
        "terms_version": _ACCOUNT_PERSON,
        "terms_accepted_at": _ACCOUNT_PERSON,
        # Set by an upheld opposition or erasure (privacy) or by hand; lifted by the DPO.
        "locked_at": _p(Source.STAFF, Rule.ACCOUNT),
        "lock_reason": _p(Source.STAFF, Rule.ACCOUNT),
        # The pseudonymous identifier given to the ENT's services (OIDC `sub`, SCIM `id`).
        "public_id": _ACCOUNT_SYS,
        "groups": _n(Source.STAFF),
        "user_permissions": _n(Source.STAFF),
        # A hash of what SCIM clients receive, and when that last changed (accounts/directory.py).
        "directory_digest": _ACCOUNT_SYS,
        "directory_modified_at": _ACCOUNT_SYS,
        "directory_schools": _ACCOUNT_SYS,
        "directory_classes": _ACCOUNT_SYS,
    },
    "accounts.activationcode": {
        **dict.fromkeys(("id", "created_at", "updated_at", "account"), _ACCOUNT_SYS),
        "digest": _ACCOUNT_SYS,
        "ciphertext": _ACCOUNT_SYS,
        "expires_at": _ACCOUNT_SYS,
        "issued_by": _p(Source.STAFF, Rule.ACCOUNT),
        "printed_at": _ACCOUNT_SYS,
        "printed_by": _p(Source.STAFF, Rule.ACCOUNT),
    },
    "accounts.renewalrequest": {
        **TIMESTAMPS,
        "account": _ACCOUNT_PERSON,
        "status": _ACCOUNT_SYS,
        "handled_by": _p(Source.STAFF, Rule.ACCOUNT),
        "handled_at": _ACCOUNT_SYS,
    },
    "accounts.letterbatch": {
        **TIMESTAMPS,
        "kind": _n(Source.STAFF),
        "status": TECH,
        "requested_by": _p(Source.STAFF, Rule.CITY_ACCOUNT),
        "school_class": _n(Source.STAFF),
        "count": TECH,
        "printed_at": TECH,
        **dict.fromkeys(("origin", "school", "profile", "filter", "layout"), _n(Source.STAFF)),
        **dict.fromkeys(
            ("progress", "pages", "started_at", "finished_at", "expires_at", "error", "attempts"),
            TECH,
        ),
        # The PDF names the holders and carries their codes: deleted by the hourly purge.
        "file": _p(Source.SYSTEM, Rule.LETTER_FILE),
    },
    # --- privacy --------------------------------------------------------------------
    # django-axes: every login and failed attempt (typed login, address, browser).
    **{
        label: {
            **dict.fromkeys(fields, _p(Source.SYSTEM, Rule.LOGIN_RECORDS)),
            "id": TECH,
            "http_accept": _n(),
            "path_info": _n(),
        }
        for label, fields in (
            (
                "axes.accessattempt",
                (
                    "user_agent",
                    "ip_address",
                    "username",
                    "attempt_time",
                    "get_data",
                    "post_data",
                    "failures_since_start",
                ),
            ),
            (
                "axes.accesslog",
                (
                    "user_agent",
                    "ip_address",
                    "username",
                    "attempt_time",
                    "logout_time",
                    "session_hash",
                ),
            ),
            (
                "axes.accessfailurelog",
                ("user_agent", "ip_address", "username", "attempt_time", "locked_out"),
            ),
        )
    },
    "axes.accessattemptexpiration": {
        "access_attempt": _n(Source.SYSTEM, Rule.LOGIN_RECORDS),
        "expires_at": _n(Source.SYSTEM, Rule.LOGIN_RECORDS),
    },
    "sessions.session": {
        "session_key": _p(Source.SYSTEM, Rule.SESSION),
        "session_data": _p(Source.SYSTEM, Rule.SESSION),
        "expire_date": _n(Source.SYSTEM, Rule.SESSION),
    },
    "privacy.datarequest": {
        **TIMESTAMPS,
        "reference": _n(),
        "kind": _REQUEST_PERSON,
        "status": _REQUEST_STAFF,
        "requester_name": _REQUEST_PERSON,
        "requester_email": _REQUEST_PERSON,
        "requester_phone": _REQUEST_PERSON,
        "relation": _REQUEST_PERSON,
        "child_first_name": _REQUEST_PERSON,
        "child_last_name": _REQUEST_PERSON,
        "child_birth_date": _REQUEST_PERSON,
        "school": _REQUEST_PERSON,
        "message": _REQUEST_PERSON,
        "attachment": _p(Source.PERSON, Rule.ATTACHMENT),
        "attachment_type": _p(Source.PERSON, Rule.ATTACHMENT),
        "attachment_size": _p(Source.PERSON, Rule.ATTACHMENT),
        "attachment_deleted_at": _n(),
        "submitted_by": _REQUEST_SYS,
        "received_at": _REQUEST_SYS,
        "acknowledged_at": _REQUEST_SYS,
        "due_on": _REQUEST_SYS,
        "assignee": _REQUEST_STAFF,
        "identity_check_reason": _REQUEST_STAFF,
        "extended_at": _REQUEST_STAFF,
        "extension_reason": _REQUEST_STAFF,
        "extension_notified_at": _REQUEST_SYS,
        "flag": _REQUEST_STAFF,
        "decision": _REQUEST_STAFF,
        "legal_ground": _REQUEST_STAFF,
        "decided_at": _REQUEST_STAFF,
        "answer": _REQUEST_STAFF,
        "closed_at": _REQUEST_STAFF,
        "last_reminded_on": TECH,
        "anonymised_at": TECH,
    },
    "privacy.datarequestsubject": {
        **TIMESTAMPS,
        **dict.fromkeys(
            ("request", "role", "person_kind", "pupil", "guardian", "staff"), _REQUEST_STAFF
        ),
        "confirmed_by": _REQUEST_STAFF,
        **dict.fromkeys(
            ("verification_method", "verification_note", "verified_at", "verified_by"),
            _REQUEST_STAFF,
        ),
    },
    "privacy.datarequestnote": {
        **TIMESTAMPS,
        "request": _REQUEST_STAFF,
        "author": _REQUEST_STAFF,
        "text": _REQUEST_STAFF,
    },
    "privacy.accessexport": {
        **TIMESTAMPS,
        "request": _REQUEST_SYS,
        "file": _p(Source.SYSTEM, Rule.EXPORT),
        "size": TECH,
        "sha256": TECH,
        "token_nonce": TECH,
        "created_by": _REQUEST_STAFF,
        "expires_at": _REQUEST_SYS,
        "sent_at": _REQUEST_SYS,
        "revoked_at": _REQUEST_SYS,
        "first_downloaded_at": _REQUEST_SYS,
        "download_count": _REQUEST_SYS,
        "file_deleted_at": TECH,
    },
    "privacy.rectificationtask": {
        **TIMESTAMPS,
        "person_kind": _REQUEST_STAFF,
        "pupil": _REQUEST_STAFF,
        "guardian": _REQUEST_STAFF,
        "staff": _REQUEST_STAFF,
        "request": _REQUEST_STAFF,
        "school": _REQUEST_STAFF,
        "field": _REQUEST_STAFF,
        # Cleared when the task closes.
        "current_value": _REQUEST_STAFF,
        "requested_value": _REQUEST_PERSON,
        "status": _REQUEST_SYS,
        "created_by": _REQUEST_STAFF,
        "direct": _REQUEST_STAFF,
        "closed_at": _REQUEST_SYS,
        "closed_by_run": _REQUEST_SYS,
        "requester_notified_at": _REQUEST_SYS,
    },
    "privacy.legalhold": {
        **TIMESTAMPS,
        **{
            name: _p(Source.STAFF, Rule.REQUEST)
            for name in (
                "person_kind",
                "pupil",
                "guardian",
                "staff",
                "reason",
                "placed_by",
                "lifted_at",
                "lifted_by",
            )
        },
    },
    "privacy.purgerun": {
        **TIMESTAMPS,
        **dict.fromkeys(
            ("kind", "status", "trigger", "as_of", "finished_at", "counts", "kept", "failure"), TECH
        ),
        "performed_by": _p(Source.SYSTEM, Rule.CITY_ACCOUNT),
        "performed_by_label": _p(Source.SYSTEM, Rule.CITY_ACCOUNT),
    },
    "privacy.purgereceipt": {
        **TIMESTAMPS,
        "run": TECH,
        "rule": TECH,
        "persons": TECH,
        "counts": TECH,
    },
    # --- imports -----------------------------------------------------------------------------
    "imports.importrun": {
        **TIMESTAMPS,
        **dict.fromkeys(
            (
                "status",
                "trigger",
                "feed_date",
                "mode",
                "base_run",
                "split_from",
                "plan_hash",
                "held_reasons",
                "counts",
                "school_counts",
                "account_counts",
                "record_counts",
                "skipped_counts",
                "timings",
                "error_count",
                "warning_count",
                "failure",
                "retryable",
                "progress",
                "decided_at",
                "applied_at",
            ),
            TECH,
        ),
        "requested_by": _p(Source.SYSTEM, Rule.CITY_ACCOUNT),
        "decided_by": _p(Source.SYSTEM, Rule.CITY_ACCOUNT),
    },
    # A CSV of people outside the feed: its cells until applied or discarded (a day at most).
    "imports.citypersonimport": {
        **TIMESTAMPS,
        **dict.fromkeys(
            (
                "status",
                "encoding",
                "delimiter",
                "findings",
                "row_count",
                "error_count",
                "warning_count",
                "warnings_approved",
                "decided_at",
                "report",
            ),
            TECH,
        ),
        "filename": _p(Source.STAFF, Rule.IMPORT_TRACE),
        "rows": _p(Source.STAFF, Rule.IMPORT_TRACE),
        "requested_by": _p(Source.SYSTEM, Rule.CITY_ACCOUNT),
        "decided_by": _p(Source.SYSTEM, Rule.CITY_ACCOUNT),
    },
    "imports.importfile": {
        **TIMESTAMPS,
        **dict.fromkeys(
            (
                "run",
                "fetch",
                "name",
                "kind",
                "mode",
                "feed_date",
                "part",
                "size",
                "sha256",
                "fetched_at",
                "purged_at",
            ),
            TECH,
        ),
        # The raw file on disk holds the whole feed: every person of it.
        "path": _p(Source.AAF, Rule.RAW_FEED),
    },
    "imports.importproblem": {
        "id": TECH,
        "run": TECH,
        "level": TECH,
        "code": TECH,
        "file": TECH,
        "line": TECH,
        "identifier": _TRACE,  # a person's join key
        "school_key": TECH,
        "message": _TRACE,
    },
    "imports.importplanitem": {
        "id": TECH,
        "run": TECH,
        "seq": TECH,
        "kind": TECH,
        "action": TECH,
        "key": _TRACE,  # join keys of the person (or of a pupil and a guardian)
        "school_key": TECH,
        "data": _TRACE,  # the feed's values: names, addresses, phones…
        "digest": _TRACE,  # a hash of those values
    },
    "imports.fetchattempt": {
        **TIMESTAMPS,
        **dict.fromkeys(
            ("status", "trigger", "finished_at", "code", "message", "listing", "run_ids"), TECH
        ),
        "requested_by": _p(Source.SYSTEM, Rule.CITY_ACCOUNT),
    },
    "imports.deliveryalert": {
        **TIMESTAMPS,
        **dict.fromkeys(("date", "code", "message", "emailed_at", "resolved_at"), TECH),
    },
    # --- scim: the services reading the directory (issue 18) ---------------------------------
    "scim.scimclient": {
        **TIMESTAMPS,
        "name": _n(Source.STAFF),
        "token_digest": TECH,  # a hash of the service's token, not about a person
        "schools": _n(Source.STAFF),
        "is_active": _n(Source.STAFF),
        "created_by": _p(Source.SYSTEM, Rule.CITY_ACCOUNT),
        "token_issued_at": TECH,
        "last_used_at": TECH,
    },
    # Which service received a person's data, first and last time: listed in the access export.
    "scim.scimdelivery": {
        "id": TECH,
        **dict.fromkeys(("client", "account", "first_sent_at", "last_sent_at"), _ACCOUNT_SYS),
    },
    # A deleted account a service had received (scim/models.py ScimRemoval): the service keeps
    # reading it as inactive, by its id, to deactivate its copy. Nothing else of the person.
    "scim.scimremoval": {
        "id": TECH,
        "client": TECH,
        "account_key": TECH,  # the deleted account's row id: points to nothing any more
        "public_id": _p(Source.SYSTEM, Rule.CONVENTION),  # pseudonymous: the service knows it
        "removed_at": _p(Source.SYSTEM, Rule.CONVENTION),
    },
    "scim.scimgroupstate": dict.fromkeys(
        ("id", "school", "school_class", "digest", "created_at", "modified_at"), TECH
    ),
    # --- third-party tables holding personal data -------------------------------------
    # Second factor (django-otp, accounts/mfa.py): the secret of the person's app and their
    # recovery codes; deleted with the account, or when city staff reset the second factor.
    "otp_totp.totpdevice": {
        **dict.fromkeys(
            ("id", "name", "confirmed", "step", "t0", "digits", "tolerance", "drift"), TECH
        ),
        "user": _ACCOUNT_SYS,
        "key": _ACCOUNT_SYS,
        "last_t": _ACCOUNT_SYS,
        "created_at": _ACCOUNT_SYS,
        "last_used_at": _ACCOUNT_SYS,
        "throttling_failure_timestamp": _ACCOUNT_SYS,
        "throttling_failure_count": _ACCOUNT_SYS,
    },
    "otp_static.staticdevice": {
        **dict.fromkeys(("id", "name", "confirmed"), TECH),
        "user": _ACCOUNT_SYS,
        "created_at": _ACCOUNT_SYS,
        "last_used_at": _ACCOUNT_SYS,
        "throttling_failure_timestamp": _ACCOUNT_SYS,
        "throttling_failure_count": _ACCOUNT_SYS,
    },
    "otp_static.statictoken": {"id": TECH, "device": _ACCOUNT_SYS, "token": _ACCOUNT_SYS},
    # --- connected services (oidc, django-oauth-toolkit) -------------------------------------
    "oidc.client": {
        **dict.fromkeys(
            (
                "id",
                "client_id",
                "user",
                "redirect_uris",
                "post_logout_redirect_uris",
                "client_type",
                "authorization_grant_type",
                "client_secret",
                "hash_client_secret",
                "name",
                "skip_authorization",
                "created",
                "updated",
                "algorithm",
                "allowed_origins",
                "registration_source",
                "cimd_expires_at",
                "allowed_scopes",
                "aaf_convention",
                "is_active",
            ),
            _n(Source.STAFF),
        ),
        "created_by": _p(Source.SYSTEM, Rule.CITY_ACCOUNT),
    },
    # Who signed in to which service, when, with which scopes: the recipients of their data.
    "oidc.signin": {
        "id": TECH,
        **dict.fromkeys(
            ("account", "client", "at", "scopes"), _p(Source.SYSTEM, Rule.LOGIN_RECORDS)
        ),
    },
    **{
        label: {"id": TECH, **dict.fromkeys(fields, _p(Source.SYSTEM, Rule.TOKEN))}
        for label, fields in (
            (
                "oauth2_provider.grant",
                (
                    "user",
                    "code",
                    "application",
                    "expires",
                    "redirect_uri",
                    "scope",
                    "created",
                    "updated",
                    "code_challenge",
                    "code_challenge_method",
                    "nonce",
                    "claims",
                    "resource",
                ),
            ),
            (
                "oauth2_provider.accesstoken",
                (
                    "user",
                    "source_refresh_token",
                    "token",
                    "token_checksum",
                    "id_token",
                    "application",
                    "expires",
                    "scope",
                    "resource",
                    "created",
                    "updated",
                ),
            ),
            (
                "oauth2_provider.refreshtoken",
                (
                    "user",
                    "token",
                    "token_checksum",
                    "application",
                    "access_token",
                    "token_family",
                    "resource",
                    "created",
                    "updated",
                    "revoked",
                ),
            ),
            (
                "oauth2_provider.idtoken",
                ("user", "jti", "application", "expires", "scope", "created", "updated"),
            ),
            (
                "oauth2_provider.devicegrant",
                (
                    "user",
                    "device_code",
                    "user_code",
                    "scope",
                    "interval",
                    "expires",
                    "status",
                    "client_id",
                    "last_checked",
                ),
            ),
        )
    },
    "auditlog.logentry": {
        "id": TECH,
        "content_type": TECH,
        "object_pk": _p(Source.SYSTEM, Rule.AUDIT),
        "object_id": _p(Source.SYSTEM, Rule.AUDIT),
        "object_repr": _p(Source.SYSTEM, Rule.AUDIT),
        "serialized_data": _p(Source.SYSTEM, Rule.AUDIT),
        "action": TECH,
        "changes_text": _p(Source.SYSTEM, Rule.AUDIT),
        "changes": _p(Source.SYSTEM, Rule.AUDIT),
        "actor": _p(Source.SYSTEM, Rule.AUDIT),
        "cid": TECH,
        "remote_addr": _p(Source.SYSTEM, Rule.AUDIT),
        "remote_port": _p(Source.SYSTEM, Rule.AUDIT),
        "timestamp": TECH,
        "additional_data": _p(Source.SYSTEM, Rule.AUDIT),
        "actor_email": _p(Source.SYSTEM, Rule.AUDIT),
    },
}


class Recipient(models.TextChoices):
    """Who receives a field outside the city's own staff and the school's (art. 13(1)(e))."""

    SCIM = (
        "scim-clients",
        _(
            "connected services (SCIM): the ENT and the city's school services registered by "
            "its IT administrators, for the open schools each serves"
        ),
    )


# Every field sent out, by recipient, with what it becomes there. SCIM: `scim/resources.py`
# (privacy/tests/test_inventory_recipients.py checks each exported attribute has its line).
RECIPIENTS: dict[str, dict[str, dict[Recipient, str]]] = {
    "accounts.user": {
        "public_id": {Recipient.SCIM: "id"},
        "login": {Recipient.SCIM: "userName"},
        "first_name": {Recipient.SCIM: "name.givenName, name.formatted, displayName"},
        "last_name": {Recipient.SCIM: "name.familyName, name.formatted, displayName"},
        "kind": {Recipient.SCIM: "userType"},
        "is_active": {Recipient.SCIM: "active"},
        "email": {Recipient.SCIM: "emails (once confirmed)"},
        "date_joined": {Recipient.SCIM: "meta.created"},
        "directory_modified_at": {Recipient.SCIM: "meta.lastModified"},
    },
    # After the purge: the id alone, as inactive, to the services that had received it.
    "scim.scimremoval": {
        "public_id": {Recipient.SCIM: "id, userName (once the account is deleted)"},
        "removed_at": {Recipient.SCIM: "meta.lastModified (once the account is deleted)"},
    },
    "schools.staff": {"is_teacher": {Recipient.SCIM: "userType (teacher)"}},
    "schools.pupil": {"school": {Recipient.SCIM: "groups (the school)"}},
    "schools.pupilclass": {"school_class": {Recipient.SCIM: "groups (the classes)"}},
    "schools.guardianlink": {
        "pupil": {Recipient.SCIM: "groups (the children's schools and classes, with authority)"},
        "legal": {Recipient.SCIM: "groups (only links with parental authority)"},
    },
    "schools.staffassignment": {"school": {Recipient.SCIM: "groups (the schools)"}},
    "schools.staffclass": {"school_class": {Recipient.SCIM: "groups (the classes)"}},
}


def recipients(label: str, field: str) -> dict[Recipient, str]:
    return RECIPIENTS.get(label, {}).get(field, {})


# The access export (privacy/selectors/export.py) gives, for a guardian, the rows of every
# personal table above that are about them, every personal field of each row. A table whose
# rows are never about a guardian says why here; a personal table neither exported nor listed
# here fails the export's test (privacy/tests/services/test_export_every_table.py).
NOT_ABOUT_GUARDIAN = {
    "schools.schoolclass": _("a class of a school (its name may name its teacher)"),
    "schools.pupil": _("the child's own record: exported as the child, when named in the request"),
    "schools.pupilclass": _("a child's class: exported as the child, when named in the request"),
    "schools.staff": _("school staff"),
    "schools.staffassignment": _("school staff"),
    "schools.staffclass": _("school staff"),
    "accounts.letterbatch": _(
        "a staff member's print job; the letters printed for the guardian are in the audit "
        "trail, the PDF is deleted with its link"
    ),
    "privacy.purgerun": _("a purge run, with the city staff member who ran it"),
    "imports.importrun": _("an import run, with the city staff member who asked for it"),
    "imports.importfile": _(
        "a raw feed file as a whole; its values about the guardian are the directory's, exported"
    ),
    "imports.fetchattempt": _("a download from the Académie, with who asked for it"),
    "imports.citypersonimport": _("a list of the city's staff in the schools, never guardians"),
    "oidc.client": _("a connected service, with the city staff member who registered it"),
    "oauth2_provider.devicegrant": _(
        "the device authorisation flow, which entaix does not offer: the table stays empty"
    ),
    "scim.scimclient": _("a connected service, with the IT administrator who registered it"),
    "scim.scimremoval": _(
        "the id of a deleted account, kept for the services that had received it: its person's "
        "data are gone"
    ),
}


# Tables whose rows come from more than one source: the column that tells, and each value's
# source. The inventory page counts the rows of each.
ROW_SOURCES = {
    "schools.staff": (
        "source",
        {
            "aaf": (Source.AAF, _("the Académie's staff: teachers, directors")),
            "city": (
                Source.STAFF,
                _("people outside the feed, entered by the school service: ATSEM, after-school "
                  "and canteen staff, librarians, intervenors; names, e-mail, role, schools and "
                  "dates are the city's; not kept after their departure, the day after their "
                  "end date"),
            ),
        },
    ),
}  # fmt: skip


def row_sources() -> list[dict]:
    """Each value of each ROW_SOURCES column: its source, its meaning, its present rows."""
    result = []
    for label, (column, values) in ROW_SOURCES.items():
        model = apps.get_model(label)
        counts = dict(
            model.objects.filter(left_at__isnull=True)
            .values_list(column)
            .annotate(n=models.Count("pk"))
            .values_list(column, "n")
        )
        for value, (source, meaning) in values.items():
            result.append({"label": label, "column": column, "value": value,
                           "source": source.label, "meaning": meaning,
                           "present": counts.get(value, 0)})  # fmt: skip
    return result


# Personal fields the export never shows, only names (secrets, or values about third parties
# that the export's own lists give masked).
_SECRET = _("secret: never shown")
_AUDIT_DETAIL = _("shown in the list of events above, other people masked")
WITHHELD = {
    "accounts.user": {"password": _("a one-way hash: nobody can read it")},
    "accounts.activationcode": {"digest": _SECRET, "ciphertext": _SECRET},
    "otp_totp.totpdevice": {"key": _SECRET},
    "otp_static.statictoken": {"token": _SECRET},
    "sessions.session": {"session_key": _SECRET, "session_data": _SECRET},
    "axes.accesslog": {"session_hash": _SECRET},
    # Tokens are stored hashed (RFC 9700): the columns hold a checksum, never a usable token.
    "oauth2_provider.grant": {"code": _SECRET, "code_challenge": _SECRET, "nonce": _SECRET},
    "oauth2_provider.accesstoken": {"token": _SECRET, "token_checksum": _SECRET},
    "oauth2_provider.refreshtoken": {"token": _SECRET, "token_checksum": _SECRET},
    "auditlog.logentry": dict.fromkeys(
        (
            "object_repr",
            "serialized_data",
            "changes_text",
            "changes",
            "remote_addr",
            "remote_port",
            "additional_data",
            "actor_email",
        ),
        _AUDIT_DETAIL,
    ),
}


def personal_labels() -> list[str]:
    """Every table of the inventory with at least one personal field."""
    return [
        label for label, fields in INVENTORY.items() if any(c.personal for c in fields.values())
    ]


def guardian_tables() -> list[str]:
    """The personal tables the access export searches for rows about a guardian."""
    return [label for label in personal_labels() if label not in NOT_ABOUT_GUARDIAN]


def exported_fields(label: str) -> list[str]:
    """The personal columns of a table, in the model's order: each row's fields in the export."""
    classified = INVENTORY[label]
    return [
        f.name for f in apps.get_model(label)._meta.concrete_fields if classified[f.name].personal
    ]


def withheld(label: str, field: str) -> bool:
    return field in WITHHELD.get(label, {})


def model_fields(model) -> list[str]:
    """The fields the inventory must classify: columns and declared many-to-many fields."""
    return [
        f.name
        for f in model._meta.get_fields()
        if f.concrete or (f.many_to_many and not f.auto_created)
    ]


def project_models() -> list:
    return [model for app in APPS for model in apps.get_app_config(app).get_models()]


def unclassified() -> list[str]:
    """`app.model.field` of every field missing from the inventory (a test keeps it empty)."""
    missing = []
    for model in project_models():
        classified = INVENTORY.get(model._meta.label_lower, {})
        missing += [
            f"{model._meta.label_lower}.{name}"
            for name in model_fields(model)
            if name not in classified
        ]
    return missing


def stale() -> list[str]:
    """Classified fields that no longer exist."""
    result = []
    for label, fields in INVENTORY.items():
        model = apps.get_model(label)
        present = set(model_fields(model))
        result += [f"{label}.{name}" for name in fields if name not in present]
    return result


def classify(model_label: str, field: str) -> FieldClass:
    return INVENTORY[model_label][field]


def personal_models() -> list:
    """Models with at least one personal field: each is registered with django-auditlog."""
    return [
        model
        for model in project_models()
        if any(c.personal for c in INVENTORY.get(model._meta.label_lower, {}).values())
    ]


def personal_text_columns() -> list[tuple[str, str]]:
    """(table, column) of every personal text or JSON column, for the termination check."""
    result = []
    for model in project_models():
        classified = INVENTORY[model._meta.label_lower]
        for field in model._meta.concrete_fields:
            if classified[field.name].personal and isinstance(
                field, models.CharField | models.TextField | models.JSONField
            ):
                result.append((model._meta.db_table, field.column))
    return result
