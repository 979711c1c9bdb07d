"""The SCIM resources entaix serves, as scim2-models objects: what goes out, and nothing more.

Users (RFC 7643 core schema): `id` is the account's `public_id` (random; never the AAF key
or the login), `userName` the ENT login, `name`, `displayName`, `userType` (pupil, guardian,
teacher, staff), `active`, `emails` only once confirmed by their owner, `groups` (the schools
and classes the person belongs to among those the client serves), `meta`. An account that is
inactive (left, locked) or no longer in a school the client serves is shown with its `id`,
`userName`, `userType` and `active: false` only.

Groups: each served school and each of its present classes or groups, with its members' ids
(no names) and an extension naming the UAI, the kind and, for a class, its school's group.
Group ids are UUID 5 of a fixed namespace and the natural key (UAI; UAI, kind and code): stable
across imports, restores and rebuilt rows, and readable by nobody but what they name, which is
no personal datum (schools and class codes are public).
"""

import datetime
import hashlib
from typing import Annotated, Any

import orjson
from scim2_models import (
    URN,
    AuthenticationScheme,
    Bulk,
    ChangePassword,
    Context,
    Email,
    ETag,
    Extension,
    Filter,
    Group,
    GroupMember,
    GroupMembership,
    Meta,
    Mutability,
    Name,
    Pagination,
    Patch,
    ResourceType,
    ServiceProviderConfig,
    Sort,
    User,
)

from .groups import GroupRef, class_group_id, school_group_id  # noqa: F401 (re-exported)

MAX_COUNT = 1000
DEFAULT_COUNT = 100
CURSOR_TIMEOUT = 3600  # seconds a Users cursor (RFC 9865) stays valid


class EntGroup(Extension):
    """What the ENT needs to place a group: the school's UAI, whether it is the school itself
    or one of its classes or groups, and the school's group id."""

    __schema__ = URN("urn:fr:aixenprovence:ent:scim:schemas:extension:2.0:Group")

    uai: Annotated[str | None, Mutability.read_only] = None
    """The school's UAI (national school identifier)."""

    kind: Annotated[str | None, Mutability.read_only] = None
    """`school`, `class` or `group`."""

    school: Annotated[str | None, Mutability.read_only] = None
    """For a class or a group: the id of its school's group."""


ScimGroup = Group[EntGroup]


def version(payload: dict) -> str:
    """A weak ETag of what the client receives (so it changes with the served content)."""
    body = {k: v for k, v in payload.items() if k != "meta"}
    digest = hashlib.blake2b(orjson.dumps(body, option=orjson.OPT_SORT_KEYS), digest_size=12)
    return f'W/"{digest.hexdigest()}"'


def _meta(resource_type: str, location: str, created, modified) -> Meta:
    return Meta(
        resource_type=resource_type, created=created, last_modified=modified, location=location
    )


def user_resource(row: dict, *, groups: list[GroupRef], base_url: str) -> User:
    """`row`: the selector's values for one account (`selectors.USER_FIELDS`)."""
    public_id = str(row["public_id"])
    user_type = row["kind"]
    if user_type == "staff" and row["teacher"]:
        user_type = "teacher"
    meta = _meta("User", f"{base_url}/Users/{public_id}", row["date_joined"], row["modified"])
    if row["removed"]:
        # A deleted account the client received: its id only (also as the required userName:
        # the login went with the rest of the person's data).
        return User(id=public_id, user_name=public_id, active=False, meta=meta)
    active = bool(row["is_active"] and row["in_scope"])
    if not active:
        return User(id=public_id, user_name=row["login"], user_type=user_type, active=False,
                    meta=meta)  # fmt: skip
    full_name = f"{row['first_name']} {row['last_name']}".strip()
    emails = (
        [Email(value=row["email"], primary=True)]
        if row["email"] and row["email_confirmed_at"]
        else None
    )
    return User(
        id=public_id,
        user_name=row["login"],
        name=Name(
            given_name=row["first_name"] or None,
            family_name=row["last_name"] or None,
            formatted=full_name or None,
        ),
        display_name=full_name or None,
        user_type=user_type,
        active=True,
        emails=emails,
        groups=[
            GroupMembership(value=g.id, ref=f"{base_url}/Groups/{g.id}", display=g.name)
            for g in groups
        ]
        or None,
        meta=meta,
    )


# The fast path of listings: the same JSON as `dump(user_resource(…))` (scim2-models, which
# remains the reference: tests/test_payloads.py compares both on every kind of row and
# validates the result with scim2-models), built as plain dicts for data entaix made itself,
# so that no pydantic model is validated and serialised per user (a page of 1000 users).
_USER_SCHEMAS = [str(User.__schema__)]


def _when(moment: datetime.datetime) -> str:
    """As pydantic writes an aware datetime: ISO 8601, `Z` for UTC."""
    text = moment.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def user_payload(row: dict, *, groups: list[GroupRef], base_url: str) -> dict:
    """The resource of `user_resource` as RESOURCE_QUERY_RESPONSE JSON, with its version."""
    public_id = str(row["public_id"])
    location = f"{base_url}/Users/{public_id}"
    meta: dict[str, Any] = {"resourceType": "User"}
    if row["date_joined"] is not None:
        meta["created"] = _when(row["date_joined"])
    if row["modified"] is not None:
        meta["lastModified"] = _when(row["modified"])
    meta["location"] = location
    payload: dict[str, Any] = {"schemas": _USER_SCHEMAS, "id": public_id, "meta": meta}
    if row["removed"]:
        payload["userName"] = public_id
        payload["active"] = False
    else:
        user_type = row["kind"]
        if user_type == "staff" and row["teacher"]:
            user_type = "teacher"
        payload["userName"] = row["login"]
        if not (row["is_active"] and row["in_scope"]):
            payload["userType"] = user_type
            payload["active"] = False
        else:
            first, last = row["first_name"], row["last_name"]
            full_name = f"{first} {last}".strip()
            name = {}
            if full_name:
                name["formatted"] = full_name
            if last:
                name["familyName"] = last
            if first:
                name["givenName"] = first
            if name:
                payload["name"] = name
            if full_name:
                payload["displayName"] = full_name
            payload["userType"] = user_type
            payload["active"] = True
            if row["email"] and row["email_confirmed_at"]:
                payload["emails"] = [{"value": row["email"], "primary": True}]
            if groups:
                payload["groups"] = [
                    {"value": g.id, "$ref": f"{base_url}/Groups/{g.id}", "display": g.name}
                    for g in groups
                ]
    meta["version"] = version(payload)
    return payload


def group_resource(group: GroupRef, *, created, modified, base_url: str, members=None) -> Any:
    """`members`: public ids of the members, or None for a group shown without them."""
    resource = ScimGroup(
        id=group.id,
        display_name=group.name,
        meta=_meta("Group", f"{base_url}/Groups/{group.id}", created, modified),
    )
    resource[EntGroup] = EntGroup(uai=group.uai, kind=group.kind, school=group.school_group)
    if members is not None:
        resource.members = [
            GroupMember(value=m, ref=f"{base_url}/Users/{m}", type="User") for m in members
        ] or None
    return resource


def dump(resource, response_parameters=None) -> dict:
    """The resource as JSON, with its version (the ETag of the whole representation)."""
    full = resource.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE)
    resource.meta.version = version(full)
    full["meta"]["version"] = resource.meta.version
    if response_parameters is None:
        return full
    return resource.model_dump(
        scim_ctx=Context.RESOURCE_QUERY_RESPONSE, response_parameters=response_parameters
    )


def service_provider_config(base_url: str) -> ServiceProviderConfig:
    return ServiceProviderConfig(
        documentation_uri=None,
        patch=Patch(supported=False),
        bulk=Bulk(supported=False, max_operations=0, max_payload_size=0),
        filter=Filter(supported=True, max_results=MAX_COUNT),
        change_password=ChangePassword(supported=False),
        sort=Sort(supported=False),
        etag=ETag(supported=True),
        authentication_schemes=[
            AuthenticationScheme(
                type=AuthenticationScheme.Type.oauthbearertoken,
                name="Bearer token",
                description="A token per client, issued by the city's IT administrators.",
                primary=True,
            )
        ],
        pagination=Pagination(
            cursor=True,
            index=True,
            default_pagination_method="index",
            default_page_size=DEFAULT_COUNT,
            max_page_size=MAX_COUNT,
            cursor_timeout=CURSOR_TIMEOUT,
        ),
        meta=Meta(
            resource_type="ServiceProviderConfig", location=f"{base_url}/ServiceProviderConfig"
        ),
    )


def resource_types(base_url: str) -> list[ResourceType]:
    types = [ResourceType.from_resource(User), ResourceType.from_resource(ScimGroup)]
    for rt in types:
        rt.meta = Meta(resource_type="ResourceType", location=f"{base_url}/ResourceTypes/{rt.id}")
    return types


def schemas(base_url: str) -> list:
    result = [User.to_schema(), Group.to_schema(), EntGroup.to_schema()]
    for schema in result:
        schema.meta = Meta(resource_type="Schema", location=f"{base_url}/Schemas/{schema.id}")
    return result
