"""The claims a client receives, scope by scope, in the ID token and at userinfo.

- `openid`: `sub`, the account's `public_id` (random, stable; never the login nor the AAF key);
- `profile`: `name`, `given_name`, `family_name`, and `ent_profile` (pupil, guardian, teacher,
  director or staff);
- `email`: `email` and `email_verified`, only for an address its owner confirmed;
- `ent`: `ent_schools` (UAI and name) and, by profile, `ent_classes` (a pupil's or a teacher's),
  `ent_children` (a guardian's children over whom they hold authority: their `sub`, UAI and
  classes) or the staff member's functions in each school;
- `aaf`: `aaf_join_key`, the feed's identifier, only for a client under the AAF convention.

Everything is limited to present persons, open schools and present classes; a child whose
account is not active (an opposition upheld, for instance) is left out.
"""

from accounts.models import User
from oidc import selectors
from oidc.scopes import CONVENTION_ONLY

CLAIMS_SUPPORTED = [
    "sub", "name", "given_name", "family_name", "ent_profile", "email", "email_verified",
    "ent_schools", "ent_classes", "ent_children", "aaf_join_key",
]  # fmt: skip


def _school(school) -> dict:
    return {"uai": school.uai, "name": school.name}


def _class(school_class, *, uai: str | None = None) -> dict:
    data = {"code": school_class.code, "name": school_class.name, "kind": school_class.kind}
    return {"uai": uai, **data} if uai else data


def _functions(assignment) -> list[dict]:
    return [
        {"code": f.get("code", ""), "label": f.get("label", "")}
        for f in assignment.functions or []
        if isinstance(f, dict)
    ]


def _person_claims(account: User) -> tuple[str, dict, str | None]:
    """(profile, `ent` claims, AAF join key) of the person behind the account."""
    if account.kind == User.Kind.PUPIL:
        pupil = selectors.pupil_for_account(account=account)
        if pupil is None:
            return "pupil", {"ent_schools": [], "ent_classes": []}, None
        uai = pupil.school.uai
        classes = [_class(link.school_class, uai=uai) for link in pupil.present_classes]
        ent = {"ent_schools": [_school(pupil.school)], "ent_classes": classes}
        return "pupil", ent, pupil.join_key
    if account.kind == User.Kind.GUARDIAN:
        guardian, links = selectors.guardian_children_links(account=account)
        children, schools = [], {}
        for link in links:
            child = link.pupil
            if child.account is None or not child.account.is_active:
                continue
            schools.setdefault(child.school.uai, _school(child.school))
            children.append(
                {
                    "sub": str(child.account.public_id),
                    "uai": child.school.uai,
                    "classes": [_class(c.school_class) for c in child.present_classes],
                }
            )
        ent = {"ent_schools": list(schools.values()), "ent_children": children}
        return "guardian", ent, guardian.join_key if guardian else None
    staff, assignments, classes = selectors.staff_for_account(account=account)
    if any(a.is_director for a in assignments):
        profile = "director"
    elif classes or (staff is not None and staff.is_teacher):
        profile = "teacher"
    else:
        profile = "staff"
    ent = {
        "ent_schools": [
            {**_school(a.school), "director": a.is_director, "functions": _functions(a)}
            for a in assignments
        ],
        "ent_classes": [
            _class(link.school_class, uai=link.school_class.school.uai) for link in classes
        ],
    }
    return profile, ent, staff.join_key if staff else None


def claims_for(*, account: User, scopes, client) -> dict:
    """Exactly the claims of the granted scopes (those the client may have) for this account."""
    scopes = set(scopes)
    if not client.aaf_convention:
        scopes -= CONVENTION_ONLY
    claims: dict = {"sub": str(account.public_id)}
    needs_person = scopes & {"profile", "ent", "aaf"}
    profile, ent, join_key = _person_claims(account) if needs_person else (None, {}, None)
    if "profile" in scopes:
        claims.update(
            name=account.get_full_name(),
            given_name=account.first_name,
            family_name=account.last_name,
            ent_profile=profile,
        )
    if "email" in scopes and account.has_confirmed_email:
        claims.update(email=account.email, email_verified=True)
    if "ent" in scopes:
        claims.update(ent)
    if "aaf" in scopes and join_key:
        claims["aaf_join_key"] = join_key
    return claims
