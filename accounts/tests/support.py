"""Helpers shared by the accounts tests that read what was made: PDFs, codes, audit events.
The data they start from comes from entaix/tests/factories.py."""

import io
import re

from auditlog.models import LogEntry
from pypdf import PdfReader


def pdf_pages(content: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(content)).pages]


def codes_in(text: str) -> list[str]:
    return re.findall(r"\b[A-HJKMNP-Z2-9]{5}-[A-HJKMNP-Z2-9]{5}\b", text)


def audit_events(event: str) -> list[int]:
    return sorted(
        LogEntry.objects.filter(additional_data__event=event).values_list("object_id", flat=True)
    )
