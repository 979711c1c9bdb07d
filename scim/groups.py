"""Group ids and the served groups' plain description, without scim2-models (whose import,
pydantic building its schemas, would otherwise run in every process at start-up)."""

import uuid
from dataclasses import dataclass

GROUP_NAMESPACE = uuid.UUID("6f0c1a52-5b7e-4d7c-9a43-1f3a2b8e7c10")


def school_group_id(uai: str) -> str:
    return str(uuid.uuid5(GROUP_NAMESPACE, f"school:{uai}"))


def class_group_id(uai: str, kind: str, code: str) -> str:
    return str(uuid.uuid5(GROUP_NAMESPACE, f"class:{uai}:{kind}:{code}"))


@dataclass(frozen=True, slots=True)
class GroupRef:
    """A served group: a school (class_id None) or one of its classes."""

    id: str
    school_id: int
    class_id: int | None
    uai: str
    kind: str
    name: str
    school_group: str | None
