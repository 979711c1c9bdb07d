"""SCIM filters on Users, parsed by scim2-models and turned into a Django `Q`.

Supported, for what provisioning clients send: `userName`, `id`, `userType`, `displayName`,
`name.givenName`, `name.familyName` with `eq`, `ne`, `sw`, `co`, `ew`; `active eq`;
`meta.lastModified` and `meta.created` with `eq`, `gt`, `ge`, `lt`, `le`; `pr` on those;
`and`, `or`, `not` and parentheses. Anything else is a 400 `invalidFilter`, never ignored (a
filter silently dropped would hand a client everyone). Groups are few per client: their filters
are evaluated by scim2-models itself on the groups (`ScimFilter.match`).
"""

import datetime
import uuid

from django.db.models import Q
from scim2_models import InvalidFilterException, ScimFilter, User
from scim2_models.path.expressions import (
    CompareOperator,
    Comparison,
    LogicalExpr,
    LogicalOperator,
    Not,
    Present,
)
from scim2_models.path.visitor import FilterVisitor

_TEXT = {
    ("username", None): "login",
    ("displayname", None): "_display",
    ("usertype", None): "kind",
    ("name", "givenname"): "first_name",
    ("name", "familyname"): "last_name",
}
_DATES = {("meta", "lastmodified"): "modified", ("meta", "created"): "date_joined"}
_TEXT_OPS = {
    CompareOperator.eq: "iexact",
    CompareOperator.sw: "istartswith",
    CompareOperator.co: "icontains",
    CompareOperator.ew: "iendswith",
}
_DATE_OPS = {
    CompareOperator.eq: "exact",
    CompareOperator.gt: "gt",
    CompareOperator.ge: "gte",
    CompareOperator.lt: "lt",
    CompareOperator.le: "lte",
}


def _key(node) -> tuple[str, str | None]:
    path = node.attr_path
    if path.uri and path.uri.lower() != str(User.__schema__).lower():
        raise InvalidFilterException(detail=f"Unsupported attribute: {path}")
    return path.attr.lower(), (path.sub_attr.lower() if path.sub_attr else None)


def _date(value) -> datetime.datetime:
    if isinstance(value, datetime.datetime):
        parsed = value
    else:
        try:
            parsed = datetime.datetime.fromisoformat(str(value))
        except ValueError:
            raise InvalidFilterException(detail=f"Not a date-time: {value!r}") from None
    if parsed.tzinfo is None:
        raise InvalidFilterException(detail=f"A date-time needs its time zone: {value!r}")
    return parsed


class _UserQ(FilterVisitor[Q]):
    def visit_logical_expr(self, node: LogicalExpr) -> Q:
        terms = [self.visit(term) for term in node.terms]
        result = terms[0]
        for term in terms[1:]:
            result = result & term if node.op == LogicalOperator.and_ else result | term
        return result

    def visit_not(self, node: Not) -> Q:
        return ~self.visit(node.expr)

    def visit_present(self, node: Present) -> Q:
        key = _key(node)
        if key in _DATES:
            return Q(**{f"{_DATES[key]}__isnull": False})
        if key in _TEXT or key in {("id", None), ("active", None)}:
            return Q()  # always present on what we serve
        raise InvalidFilterException(detail=f"Unsupported attribute: {node.attr_path}")

    def visit_comparison(self, node: Comparison) -> Q:
        key = _key(node)
        op, value = node.op, node.value
        if key == ("id", None) and op == CompareOperator.eq:
            try:
                return Q(public_id=uuid.UUID(str(value)))
            except ValueError:
                return Q(pk__in=[])
        if key == ("active", None) and op == CompareOperator.eq and isinstance(value, bool):
            return Q(is_active=value, in_scope=True) if value else ~Q(is_active=True, in_scope=True)
        if key in _DATES and op in _DATE_OPS:
            return Q(**{f"{_DATES[key]}__{_DATE_OPS[op]}": _date(value)})
        if key == ("usertype", None) and op in (CompareOperator.eq, CompareOperator.ne):
            # `teacher` is a staff member the feed marks as teaching (resources.user_resource).
            kinds = {
                "teacher": Q(kind="staff", teacher=True),
                "staff": Q(kind="staff", teacher=False),
                "pupil": Q(kind="pupil"),
                "guardian": Q(kind="guardian"),
            }
            chosen = kinds.get(str(value).lower(), Q(pk__in=[]))
            return chosen if op == CompareOperator.eq else ~chosen
        if key in _TEXT and isinstance(value, str):
            field = _TEXT[key]
            if field == "_display":
                field = "display"
            if op == CompareOperator.ne:
                return ~Q(**{f"{field}__iexact": value})
            if op in _TEXT_OPS:
                return Q(**{f"{field}__{_TEXT_OPS[op]}": value})
        raise InvalidFilterException(detail=f"Unsupported filter: {node}")

    def visit_value_path(self, node) -> Q:
        raise InvalidFilterException(detail="Value filters (attr[…]) are not supported")


def user_filter_q(text: str) -> Q:
    """The filter as a Q over `selectors.scim_users_for_client`; InvalidFilterException (400
    invalidFilter) when it cannot be read or asks for something not supported."""
    try:
        ast = ScimFilter[User](text).ast
    except InvalidFilterException:
        raise
    except Exception as exc:  # the parser's own syntax errors
        raise InvalidFilterException(detail=f"Invalid filter: {exc}") from None
    return _UserQ().visit(ast)


def group_filter(text: str):
    from .resources import ScimGroup

    try:
        return ScimFilter[ScimGroup](text)
    except InvalidFilterException:
        raise
    except Exception as exc:
        raise InvalidFilterException(detail=f"Invalid filter: {exc}") from None
