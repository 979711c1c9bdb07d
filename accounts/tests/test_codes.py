import datetime
import io
import zoneinfo

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command

from accounts import codes, selectors, services
from accounts.models import ActivationCode

PARIS = zoneinfo.ZoneInfo("Europe/Paris")


def test_codes_have_ten_characters_from_an_alphabet_without_look_alikes():
    assert len(codes.ALPHABET) == 31
    assert not set("IL O01") & set(codes.ALPHABET)
    drawn = [codes.code_generate() for _ in range(500)]
    assert {len(code) for code in drawn} == {10}
    assert set("".join(drawn)) <= set(codes.ALPHABET)
    assert len(set(drawn)) == 500


def test_codes_come_from_the_secrets_module(monkeypatch):
    calls = []

    def choice(alphabet):
        calls.append(alphabet)
        return "K"

    monkeypatch.setattr(codes.secrets, "choice", choice)
    assert codes.code_generate() == "KKKKKKKKKK"
    assert calls == [codes.ALPHABET] * 10


def test_typed_codes_are_normalised():
    assert codes.code_display("ABCDEFGH23") == "ABCDE-FGH23"
    assert codes.code_normalise(" abcde-fgh23 ") == "ABCDEFGH23"


def test_digest_checks_the_code_for_its_account_only():
    digest = codes.code_digest(account_id=7, code="ABCDEFGH23")
    assert len(digest) == 64
    assert "ABCDEFGH23" not in digest
    assert codes.code_matches(account_id=7, code="abcde-fgh23", digest=digest)
    assert not codes.code_matches(account_id=7, code="ABCDEFGH24", digest=digest)
    assert not codes.code_matches(account_id=8, code="ABCDEFGH23", digest=digest)


def test_digest_survives_a_secret_key_rotation(settings):
    old = settings.SECRET_KEY
    digest = codes.code_digest(account_id=7, code="ABCDEFGH23")
    settings.SECRET_KEY = "a-new-secret-key-" + "x" * 40
    assert not codes.code_matches(account_id=7, code="ABCDEFGH23", digest=digest)
    settings.SECRET_KEY_FALLBACKS = [old]
    assert codes.code_matches(account_id=7, code="ABCDEFGH23", digest=digest)


def test_encryption_rotates_keys(settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.ACTIVATION_CODE_KEYS = [old]
    token = codes.code_encrypt("ABCDEFGH23")
    assert "ABCDEFGH23" not in token
    settings.ACTIVATION_CODE_KEYS = [new, old]  # new key first: still decrypts the old token
    assert codes.code_decrypt(token) == "ABCDEFGH23"
    rotated = codes.code_reencrypt(token)
    settings.ACTIVATION_CODE_KEYS = [new]  # the old key dropped after re-encryption
    assert codes.code_decrypt(rotated) == "ABCDEFGH23"
    with pytest.raises(ImproperlyConfigured, match="ACTIVATION_CODE_KEYS"):
        codes.code_decrypt(token)


def test_missing_or_bad_keys_name_the_variable(settings):
    settings.ACTIVATION_CODE_KEYS = []
    with pytest.raises(ImproperlyConfigured, match="ACTIVATION_CODE_KEYS"):
        codes.code_encrypt("ABCDEFGH23")
    settings.ACTIVATION_CODE_KEYS = ["not-a-fernet-key"]
    with pytest.raises(ImproperlyConfigured, match="ACTIVATION_CODE_KEYS must list Fernet"):
        codes.code_encrypt("ABCDEFGH23")


@pytest.mark.parametrize(
    ("issued", "last_day"),
    [
        (datetime.datetime(2026, 9, 15, 10, 0), datetime.date(2027, 8, 31)),
        (datetime.datetime(2027, 5, 1, 10, 0), datetime.date(2027, 8, 31)),
        # Printed over the summer for the coming year: valid for that whole year.
        (datetime.datetime(2027, 7, 10, 10, 0), datetime.date(2028, 8, 31)),
        (datetime.datetime(2027, 8, 31, 23, 0), datetime.date(2028, 8, 31)),
    ],
)
def test_codes_expire_at_the_end_of_the_school_year(issued, last_day):
    expires = codes.code_expiry(now=issued.replace(tzinfo=PARIS))
    assert expires == datetime.datetime.combine(
        last_day + datetime.timedelta(days=1), datetime.time.min, tzinfo=PARIS
    )


def test_expiry_date_is_configurable(settings):
    settings.ACTIVATION_CODE_EXPIRES_ON = "07-07"
    expires = codes.code_expiry(now=datetime.datetime(2026, 9, 15, tzinfo=PARIS))
    assert expires == datetime.datetime(2027, 7, 8, tzinfo=PARIS)
    settings.ACTIVATION_CODE_EXPIRES_ON = "13-01"
    with pytest.raises(ImproperlyConfigured, match="ACTIVATION_CODE_EXPIRES_ON"):
        codes.code_expiry()


@pytest.mark.django_db
def test_rekey_command_moves_stored_codes_to_the_new_key(settings, two_schools):
    services.account_sync()
    pupil = two_schools["a"]["pupils"][0]
    pupil.refresh_from_db()
    user = pupil.account
    code = services.activation_code_regenerate(account=user)
    old, new = settings.ACTIVATION_CODE_KEYS[0], Fernet.generate_key().decode()
    settings.ACTIVATION_CODE_KEYS = [new, old]
    out = io.StringIO()
    call_command("activation_codes_rekey", stdout=out)
    assert out.getvalue() == "Codes d'activation rechiffrés : 1.\n"
    settings.ACTIVATION_CODE_KEYS = [new]
    record = ActivationCode.objects.get(account=user)
    assert codes.code_decrypt(record.ciphertext) == code
    assert selectors.account_for_activation(login=user.login, code=code) == user
