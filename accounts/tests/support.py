"""Helpers shared by the accounts tests."""

import io
import re

from auditlog.models import LogEntry
from pypdf import PdfReader

from accounts.models import User
from schools.tests import factories

PASSWORD = "Tulipe-Rouge-Sextius-42"


def guardian_of(pupil):
    return pupil.guardian_links.get().guardian


def account(person) -> User:
    person.refresh_from_db()
    return User.objects.get(pk=person.account_id)


def pdf_pages(content: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(content)).pages]


def codes_in(text: str) -> list[str]:
    return re.findall(r"\b[A-HJKMNP-Z2-9]{5}-[A-HJKMNP-Z2-9]{5}\b", text)


def audit_events(event: str) -> list[int]:
    return sorted(
        LogEntry.objects.filter(additional_data__event=event).values_list("object_id", flat=True)
    )


def add_guardian(pupil, *, legal=1, contact=True, **kwargs):
    guardian = factories.GuardianFactory(**kwargs)
    factories.link(pupil, guardian, legal=legal, contact=contact)
    return guardian
