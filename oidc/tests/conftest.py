import base64
import hashlib
import secrets
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.core.cache import cache
from django.utils import timezone

from accounts.models import User
from accounts.services import account_sync
from entaix.tests import factories
from oidc import services
from schools.models import StaffAssignment

PASSWORD = "Tulipe-Rouge-Sextius-42"


def rsa_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


@pytest.fixture(autouse=True)
def _clean_cache():
    cache.clear()


@pytest.fixture(scope="session")
def _session_keys() -> tuple[str, str]:
    return rsa_pem(), rsa_pem()


@pytest.fixture
def oidc_keys(settings, _session_keys):
    """Two signing keys made for this test run (nothing secret is committed): the first signs,
    the second is published as during a rotation."""
    active, inactive = _session_keys
    settings.OAUTH2_PROVIDER = {
        **settings.OAUTH2_PROVIDER,
        "OIDC_RSA_PRIVATE_KEY": active,
        "OIDC_RSA_PRIVATE_KEYS_INACTIVE": [inactive],
    }
    return SimpleNamespace(active=active, inactive=inactive)


@pytest.fixture
def world(db):
    """An open school (Sextius: CE1 A, CM2 B) and a closed one (Puyricard).

    Aïssatou N'Diaye, guardian with authority of Léa (CE1 A) and Tom (CM2 B), and of Inès in
    the closed school; activated, with a confirmed e-mail. Léa's father has authority too. A
    director, a teacher of CE1 A, city staff.
    """
    school = factories.SchoolFactory(name="École Sextius", uai="0130001A")
    closed = factories.SchoolFactory(
        name="École Puyricard", uai="0130004D", ent_open=False, ent_opened_on=None
    )
    ce1 = factories.SchoolClassFactory(school=school, name="CE1 A", code="CE1A")
    cm2 = factories.SchoolClassFactory(school=school, name="CM2 B", code="CM2B")
    lea = factories.PupilFactory(school=school, first_name="Léa", last_name="N'Diaye",
                                 join_key="ELV-LEA")  # fmt: skip
    tom = factories.PupilFactory(school=school, first_name="Tom", last_name="N'Diaye",
                                 join_key="ELV-TOM")  # fmt: skip
    ines = factories.PupilFactory(school=closed, first_name="Inès", last_name="N'Diaye",
                                  join_key="ELV-INES")  # fmt: skip
    factories.enrol(lea, ce1)
    factories.enrol(tom, cm2)
    mother = factories.GuardianFactory(first_name="Aïssatou", last_name="N'Diaye",
                                       join_key="RESP-AISSATOU")  # fmt: skip
    father = factories.GuardianFactory(first_name="Moussa", last_name="Diallo",
                                       join_key="RESP-MOUSSA")  # fmt: skip
    for child in (lea, tom, ines):
        factories.link(child, mother, legal=1)
    factories.link(lea, father, legal=2, relation="father")
    director = factories.make_director(school, account__login="dir.sextius", join_key="PERS-DIR",
                                       first_name="Claire", last_name="Roux")  # fmt: skip
    StaffAssignment.objects.filter(staff=director).update(
        functions=[{"code": "DIR", "label": "DIRECTION", "post_code": "", "post_label": ""}]
    )
    teacher = factories.make_teacher(ce1, account__login="ens.sextius", join_key="PERS-ENS",
                                     first_name="Paul", last_name="Martel")  # fmt: skip
    account_sync()
    for person in (lea, tom, ines, mother, father):
        person.refresh_from_db()
    guardian = mother.account
    guardian.set_password(PASSWORD)
    guardian.email = "aissatou@example.fr"
    guardian.email_confirmed_at = timezone.now()
    guardian.activated_at = timezone.now()
    guardian.save()
    city = factories.UserFactory(login="agent.ville", kind=User.Kind.CITY,
                                 city_role=User.CityRole.SCHOOL_SERVICE)  # fmt: skip
    it_admin = factories.UserFactory(login="it.ville", kind=User.Kind.CITY,
                                     city_role=User.CityRole.IT_ADMIN)  # fmt: skip
    return SimpleNamespace(
        school=school, closed=closed, ce1=ce1, cm2=cm2, lea=lea, tom=tom, ines=ines,
        mother=mother, father=father, guardian=guardian, director=director, teacher=teacher,
        city=city, it_admin=it_admin,
    )  # fmt: skip


REDIRECT = "http://127.0.0.1:9/callback"


@pytest.fixture
def make_client(world):
    def make(**fields):
        values = {
            "name": "Cantine et périscolaire",
            "redirect_uris": REDIRECT,
            "post_logout_redirect_uris": "http://127.0.0.1:9/bye",
            "client_type": "confidential",
            "allowed_scopes": "openid profile email ent",
            "skip_authorization": True,
            "aaf_convention": False,
            "is_active": True,
            **fields,
        }
        client, secret = services.client_create(actor=world.it_admin, **values)
        client.secret = secret
        return client

    return make


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def authorize_params(oidc_client, *, scope="openid profile email ent", challenge=None, **extra):
    params = {
        "response_type": "code",
        "client_id": oidc_client.client_id,
        "redirect_uri": REDIRECT,
        "scope": scope,
        "state": "etat-42",
        "nonce": "nonce-42",
    }
    if challenge is not None:
        params.update(code_challenge=challenge, code_challenge_method="S256")
    params.update(extra)
    return params


def query_of(location: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
