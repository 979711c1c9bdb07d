"""The SCIM 2.0 endpoints (RFC 7644), read-only, under /scim/v2/.

Users and Groups need a client's bearer token (`Authorization: Bearer …`); the discovery
endpoints (ServiceProviderConfig, ResourceTypes, Schemas) carry no personal data and answer
anyone. Writes are not supported: 501 on resources (RFC 7644 §3.12), 405 on discovery
endpoints. Every error is a SCIM Error document.
"""

import logging
import uuid

import orjson
from django.core import signing
from django.db.models import Q
from django.http import HttpResponse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt
from scim2_models import (
    Context,
    Error,
    ExpiredCursorException,
    InvalidCursorException,
    InvalidFilterException,
    InvalidValueException,
    ListResponse,
    NotFoundException,
    NotImplementedException,
    ResponseParameters,
    SCIMException,
    UnauthorizedException,
    User,
)

from . import resources, selectors
from .filters import group_filter, user_filter_q
from .resources import CURSOR_TIMEOUT, DEFAULT_COUNT, MAX_COUNT, ScimGroup
from .services import scim_read_record

logger = logging.getLogger(__name__)

CONTENT_TYPE = "application/scim+json"
WRITE_METHODS = ("post", "put", "patch", "delete")


def _json(payload: dict, status: int = 200, headers: dict | None = None) -> HttpResponse:
    response = HttpResponse(orjson.dumps(payload), status=status, content_type=CONTENT_TYPE)
    # Personal data: no shared or stored copy on the way (ETags still allow conditional GETs).
    response["Cache-Control"] = "no-store, private"
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def error_response(exc: SCIMException) -> HttpResponse:
    error = exc.to_error()
    headers = {"WWW-Authenticate": 'Bearer realm="scim"'} if error.status == 401 else None
    return _json(error.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE), error.status, headers)


def _base_url(request) -> str:
    return request.build_absolute_uri("/scim/v2").rstrip("/")


def _int(request, name: str, default: int) -> int:
    raw = request.GET.get(name)
    if raw in (None, ""):
        return default
    try:
        return int(raw)
    except ValueError:
        raise InvalidValueException(detail=f"{name} must be an integer") from None


def _response_parameters(request, model) -> ResponseParameters | None:
    attributes = request.GET.get("attributes") or None
    excluded = request.GET.get("excludedAttributes") or None
    if not attributes and not excluded:
        return None
    try:
        return ResponseParameters[model](attributes=attributes, excluded_attributes=excluded)
    except Exception:
        raise InvalidValueException(detail="Invalid attributes or excludedAttributes") from None


def _etag_matches(request, etag: str) -> bool:
    """If-None-Match, compared weakly (RFC 9110 §13.1.2)."""
    header = request.headers.get("If-None-Match", "")
    if not header:
        return False
    if header.strip() == "*":
        return True
    wanted = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == wanted for tag in header.split(","))


@method_decorator(csrf_exempt, name="dispatch")
class ScimView(View):
    """Answers SCIM errors as SCIM documents; writes are refused."""

    authenticated = True
    write_status = 501
    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]

    def dispatch(self, request, *args, **kwargs):
        try:
            if request.method.lower() in WRITE_METHODS:
                return self.refuse_write(request)
            if self.authenticated:
                self.client = self.authenticate(request)
            return super().dispatch(request, *args, **kwargs)
        except SCIMException as exc:
            return error_response(exc)

    def refuse_write(self, request) -> HttpResponse:
        if self.write_status == 405:
            error = Error(status=405, detail="Method not allowed: this endpoint is read-only.")
            response = _json(error.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE), 405)
            response["Allow"] = "GET, HEAD"
            return response
        return error_response(NotImplementedException(detail="This SCIM service is read-only."))

    def authenticate(self, request):
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        client = (
            selectors.scim_client_for_token(token.strip()) if scheme.lower() == "bearer" else None
        )
        if client is None:
            raise UnauthorizedException(detail="A valid bearer token is required.")
        return client


# RFC 9865 cursors: the last id of the page, signed and dated (only unreserved characters).
_CURSORS = signing.TimestampSigner(salt="scim-cursor", sep=".")


def _cursor_after(cursor: str) -> int:
    """The account id a cursor points after (0: the first page, an empty cursor)."""
    if cursor == "":
        return 0
    try:
        return int(_CURSORS.unsign(cursor, max_age=CURSOR_TIMEOUT))
    except signing.SignatureExpired:
        raise ExpiredCursorException() from None
    except (signing.BadSignature, ValueError):
        raise InvalidCursorException() from None


class UserListView(ScimView):
    def get(self, request):
        params = _response_parameters(request, User)
        start = max(_int(request, "startIndex", 1), 1)
        count = min(max(_int(request, "count", DEFAULT_COUNT), 0), MAX_COUNT)
        school_ids = selectors.served_school_ids(self.client)
        text = request.GET.get("filter", "").strip()
        where = user_filter_q(text) if text else None
        if "cursor" in request.GET:
            if "startIndex" in request.GET:
                raise InvalidValueException(detail="cursor and startIndex are exclusive")
            return self.cursor_page(request, params, school_ids=school_ids, where=where,
                                    count=count, query=text)  # fmt: skip
        accounts, removals = selectors.scim_user_counts(
            self.client, school_ids=school_ids, where=where
        )
        total = accounts + removals
        rows = (
            selectors.scim_user_page(
                self.client,
                school_ids=school_ids,
                where=where,
                offset=start - 1,
                limit=count,
                accounts=accounts,
            )
            if count
            else []
        )
        payloads = _user_payloads(request, rows, school_ids=school_ids, params=params)
        _record(self.client, rows, query="filter" if text else "list")
        body = ListResponse[User](
            total_results=total, start_index=start, items_per_page=len(rows)
        ).model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE)
        body["Resources"] = payloads
        return _json(body)

    def cursor_page(self, request, params, *, school_ids, where, count: int, query: str):
        """A page after the cursor, by id: no OFFSET and no COUNT, so every page of a full
        listing costs the same (totalResults is optional here, RFC 9865 §2)."""
        after = _cursor_after(request.GET["cursor"])
        rows = selectors.scim_user_page(self.client, school_ids=school_ids, where=where,
                                        after=after, limit=count + 1)  # fmt: skip
        more, rows = len(rows) > count, rows[:count]
        payloads = _user_payloads(request, rows, school_ids=school_ids, params=params)
        _record(self.client, rows, query="filter" if query else "list")
        body = {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
            "itemsPerPage": len(rows),
        }
        if more and rows:
            body["nextCursor"] = _CURSORS.sign(str(rows[-1]["key"]))
        body["Resources"] = payloads
        return _json(body)


def _record(client, rows, *, query: str) -> None:
    """The read's audit entry and the deliveries (accounts only: a removal has none left)."""
    scim_read_record(client=client, resource_type="User",
                     account_ids=[r["key"] for r in rows if not r["removed"]], count=len(rows),
                     query=query)  # fmt: skip


def _user_payloads(request, rows, *, school_ids, params) -> list[dict]:
    if not rows:
        return []
    by_account = selectors.user_groups(rows, school_ids=school_ids)
    base = _base_url(request)
    if params is None:  # the whole resources: the fast path (resources.user_payload)
        return [
            resources.user_payload(row, groups=by_account.get(row["key"], []), base_url=base)
            for row in rows
        ]
    return [
        resources.dump(
            resources.user_resource(row, groups=by_account.get(row["key"], []), base_url=base),
            params,
        )
        for row in rows
    ]


class UserDetailView(ScimView):
    def get(self, request, resource_id: str):
        params = _response_parameters(request, User)
        try:
            public_id = uuid.UUID(resource_id)
        except ValueError:
            raise NotFoundException(detail="No such user.") from None
        school_ids = selectors.served_school_ids(self.client)
        # By key (after=0): the page of one needs no count of the whole directory.
        rows = selectors.scim_user_page(self.client, school_ids=school_ids,
                                        where=Q(public_id=public_id), after=0, limit=1)  # fmt: skip
        if not rows:
            raise NotFoundException(detail="No such user.")
        row = rows[0]
        full = _user_payloads(request, [row], school_ids=school_ids, params=None)[0]
        etag = full["meta"]["version"]
        _record(self.client, [row], query="get")
        if _etag_matches(request, etag):
            return HttpResponse(status=304, headers={"ETag": etag})
        payload = (
            full
            if params is None
            else _user_payloads(request, [row], school_ids=school_ids, params=params)[0]
        )
        return _json(payload, headers={"ETag": etag, "Location": full["meta"]["location"]})


def _groups(client, request, *, only_id: str | None = None) -> list:
    """(GroupRef, scim2 Group without members) of the client's groups, in order."""
    school_ids = selectors.served_school_ids(client)
    groups = selectors.scim_groups_for_client(school_ids=school_ids)
    if only_id is not None:
        groups = [g for g in groups if g.id == only_id]
    states = selectors.group_states(groups)
    base = _base_url(request)
    built = []
    for g in groups:
        created, modified = states.get((g.school_id, g.class_id), (None, None))
        built.append(
            (g, resources.group_resource(g, created=created, modified=modified, base_url=base))
        )
    return built


def _fill_members(request, built) -> None:
    members = selectors.group_members([g for g, _ in built])
    base = _base_url(request)
    for g, resource in built:
        resource.members = [
            resources.GroupMember(value=m, ref=f"{base}/Users/{m}", type="User")
            for m in members.get((g.school_id, g.class_id), [])
        ] or None


def _wants_members(params) -> bool:
    if params is None:
        return True
    if params.attributes:
        return any(str(a).lower().endswith("members") or "members." in str(a).lower()
                   for a in params.attributes)  # fmt: skip
    return not any(str(a).lower().endswith("members") for a in params.excluded_attributes or [])


class GroupListView(ScimView):
    def get(self, request):
        params = _response_parameters(request, ScimGroup)
        start = max(_int(request, "startIndex", 1), 1)
        count = min(max(_int(request, "count", DEFAULT_COUNT), 0), MAX_COUNT)
        built = _groups(self.client, request)
        text = request.GET.get("filter", "").strip()
        if text:
            scim_filter = group_filter(text)
            if "members" in text.lower():
                raise InvalidFilterException(detail="Filters on members are not supported")
            built = [(g, r) for g, r in built if scim_filter.match(r)]
        total = len(built)
        page = built[start - 1 : start - 1 + count]
        if page and _wants_members(params):
            _fill_members(request, page)
        payloads = [resources.dump(r, params) for _, r in page]
        scim_read_record(client=self.client, resource_type="Group", account_ids=[],
                         count=len(page), query="filter" if text else "list")  # fmt: skip
        body = ListResponse[ScimGroup](
            total_results=total, start_index=start, items_per_page=len(page)
        ).model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE)
        body["Resources"] = payloads
        return _json(body)


class GroupDetailView(ScimView):
    def get(self, request, resource_id: str):
        params = _response_parameters(request, ScimGroup)
        built = _groups(self.client, request, only_id=resource_id.lower())
        if not built:
            raise NotFoundException(detail="No such group.")
        _fill_members(request, built)
        resource = built[0][1]
        full = resources.dump(resource)
        etag = full["meta"]["version"]
        scim_read_record(client=self.client, resource_type="Group", account_ids=[], count=1,
                         query="get")  # fmt: skip
        if _etag_matches(request, etag):
            return HttpResponse(status=304, headers={"ETag": etag})
        payload = full if params is None else resources.dump(resource, params)
        return _json(payload, headers={"ETag": etag, "Location": full["meta"]["location"]})


class DiscoveryView(ScimView):
    authenticated = False
    write_status = 405


class ServiceProviderConfigView(DiscoveryView):
    def get(self, request):
        config = resources.service_provider_config(_base_url(request))
        return _json(config.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE))


def _listing(items: list) -> dict:
    body = ListResponse[type(items[0])](
        total_results=len(items), start_index=1, items_per_page=len(items)
    ).model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE)
    body["Resources"] = [i.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE) for i in items]
    return body


class ResourceTypeListView(DiscoveryView):
    def get(self, request, resource_id: str | None = None):
        items = resources.resource_types(_base_url(request))
        if resource_id is None:
            return _json(_listing(items))
        found = [i for i in items if i.id == resource_id]
        if not found:
            raise NotFoundException(detail="No such resource type.")
        return _json(found[0].model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE))


class SchemaListView(DiscoveryView):
    def get(self, request, resource_id: str | None = None):
        items = resources.schemas(_base_url(request))
        if resource_id is None:
            return _json(_listing(items))
        found = [i for i in items if i.id == resource_id]
        if not found:
            raise NotFoundException(detail="No such schema.")
        return _json(found[0].model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE))


class NotFoundView(DiscoveryView):
    """Any other path under /scim/v2/: a SCIM 404 (a search across types is not offered)."""

    write_status = 501

    def get(self, request, rest: str = ""):
        raise NotFoundException(detail="No such endpoint.")

    def refuse_write(self, request) -> HttpResponse:
        if request.path.rstrip("/").endswith(".search"):
            return error_response(NotImplementedException(detail="Searching is not supported."))
        return error_response(NotFoundException(detail="No such endpoint."))
