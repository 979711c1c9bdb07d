"""Activation codes: drawn from `secrets`, checked by keyed digest, kept encrypted for reprints.

- alphabet without look-alikes (no I, L, O, 0, 1), 10 characters: 31**10 ≈ 8·10**14 codes;
- `digest`: HMAC-SHA256 keyed with SECRET_KEY (SECRET_KEY_FALLBACKS still check, so the key
  rotates like Django's own tokens) over the account id and the code, compared in constant time;
- `ciphertext`: MultiFernet over `ACTIVATION_CODE_KEYS` (the first key encrypts, every key
  decrypts) so that a letter can be printed again with the same code until activation;
- expiry: the end of the school year (`ACTIVATION_CODE_EXPIRES_ON`, `MM-DD`, default `08-31`);
  a code issued less than SUMMER_DAYS before that date (letters printed over the summer for the
  coming year) runs to the following year's date.
"""

import datetime
import secrets

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
LENGTH = 10
SUMMER_DAYS = 62
_SALT = "entaix.accounts.activation-code"
_SEPARATORS = str.maketrans("", "", " -.\t")


def code_generate() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def code_display(code: str) -> str:
    """`ABCDE-FGHJK`: two groups read more easily from paper."""
    half = len(code) // 2
    return f"{code[:half]}-{code[half:]}"


def code_normalise(typed: str) -> str:
    """What a person typed, as stored: upper case, spaces and dashes dropped."""
    return (typed or "").translate(_SEPARATORS).upper()


def code_digest(*, account_id: int, code: str, secret: str | None = None) -> str:
    message = f"{account_id}:{code}"
    return salted_hmac(_SALT, message, secret=secret, algorithm="sha256").hexdigest()


def code_matches(*, account_id: int, code: str, digest: str) -> bool:
    code = code_normalise(code)
    ok = False
    for secret in [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]:
        # Every key is tried, whatever the outcome: the time taken does not depend on it.
        ok |= constant_time_compare(
            code_digest(account_id=account_id, code=code, secret=secret), digest
        )
    return ok


def _fernet() -> MultiFernet:
    keys = [k for k in settings.ACTIVATION_CODE_KEYS if k]
    if not keys:
        raise ImproperlyConfigured("The environment variable ACTIVATION_CODE_KEYS is required.")
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured(
            "The environment variable ACTIVATION_CODE_KEYS must list Fernet keys."
        ) from exc


def code_encrypt(code: str) -> str:
    return _fernet().encrypt(code.encode()).decode()


def code_decrypt(ciphertext: str) -> str:
    """The code of a stored ciphertext; ImproperlyConfigured if no configured key opens it."""
    try:
        return _fernet().decrypt(ciphertext.encode()).decode()
    except InvalidToken as exc:
        raise ImproperlyConfigured(
            "No key of ACTIVATION_CODE_KEYS decrypts a stored activation code."
        ) from exc


def code_reencrypt(ciphertext: str) -> str:
    """The same code encrypted with the first (newest) key, for key rotation."""
    return _fernet().rotate(ciphertext.encode()).decode()


def _cut_off() -> tuple[int, int]:
    raw = settings.ACTIVATION_CODE_EXPIRES_ON
    try:
        month, day = (int(part) for part in raw.split("-"))
        datetime.date(2027, month, day)  # a non-leap year: 02-29 is refused
    except ValueError as exc:
        raise ImproperlyConfigured(
            "The environment variable ACTIVATION_CODE_EXPIRES_ON must be MM-DD (e.g. 08-31)."
        ) from exc
    return month, day


def code_expiry(*, now: datetime.datetime | None = None) -> datetime.datetime:
    """The end (local midnight) of the last valid day for a code issued `now`."""
    today = timezone.localdate(now or timezone.now())
    month, day = _cut_off()
    last_day = datetime.date(today.year, month, day)
    while last_day < today + datetime.timedelta(days=SUMMER_DAYS):
        last_day = last_day.replace(year=last_day.year + 1)
    end = datetime.datetime.combine(last_day + datetime.timedelta(days=1), datetime.time.min)
    return timezone.make_aware(end)
