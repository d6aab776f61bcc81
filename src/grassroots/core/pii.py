"""Personal data at rest: encryption, blind indexes and masking (PIPL by design).

ID numbers and phone numbers are never stored in clear. Each value is kept as
AES-256-GCM ciphertext (to show it when someone with the right and a purpose asks)
plus a keyed HMAC of its normalised form (to find it without decrypting anything).
Both keys are derived from GRASSROOTS_DATA_KEY with HKDF, so one secret is backed up.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import unicodedata
from collections.abc import Callable
from datetime import date
from functools import cache, lru_cache

import phonenumbers
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from stdnum.cn import ric

#: v1 values name no key (they were sealed before key rings); v2 values name theirs: "v2:<key id>:...".
LEGACY_VERSION = "v1"
CIPHER_VERSION = "v2"
PHONE_TAIL_LENGTH = 4


class KeyNotAvailable(ValueError):
    """A value sealed with a key that is not in the key ring (neither the data key nor a retired one)."""


def _master(key: str) -> bytes:
    return base64.urlsafe_b64decode(key.encode() + b"==")


def _derive_from(key: str, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(_master(key))


def _derive(purpose: bytes) -> bytes:
    return _derive_from(settings.GRASSROOTS_DATA_KEY, purpose)


def key_fingerprint(key: str) -> str:
    """A value that tells keys apart and reveals nothing of them (stored with the data it sealed)."""
    return _derive_from(key, b"grassroots data key fingerprint").hex()[:32]


def key_id(key: str) -> str:
    """The short name of a key written into each value it seals."""
    return key_fingerprint(key)[:8]


def retired_keys() -> list[str]:
    """Earlier data keys that still open what they sealed, while `grassroots keys rotate` re-seals it."""
    return [key for key in getattr(settings, "GRASSROOTS_RETIRED_DATA_KEYS", []) if key]


@cache
def _ring() -> dict[str, AESGCM]:
    """The data key first, then the retired ones, by key id."""
    keys = [settings.GRASSROOTS_DATA_KEY, *retired_keys()]
    return {key_id(key): AESGCM(_derive_from(key, b"grassroots pii encryption")) for key in keys}


def current_key_id() -> str:
    return next(iter(_ring()))


@cache
def _hash_key() -> bytes:
    return _derive(b"grassroots pii blind index")


@receiver(setting_changed)
def forget_keys(*, setting: str = "GRASSROOTS_DATA_KEY", **kwargs) -> None:
    """Drop the derived keys when a setting that holds a key changes (tests, rotation)."""
    if setting in ("GRASSROOTS_DATA_KEY", "GRASSROOTS_RETIRED_DATA_KEYS"):
        _ring.cache_clear()
        _hash_key.cache_clear()
        _tail_hash.cache_clear()


def encrypt(plain: str) -> str:
    """Encrypt a value for storage; empty stays empty so blank fields need no special case."""
    return sealer()(plain)


def sealer() -> Callable[[str], str]:
    """`encrypt` for many values in a row (a bulk import): the key looked up once, not per value.

    Each value still gets a fresh random nonce, and the result is what `encrypt` gives.
    """
    cipher = _ring()[current_key_id()].encrypt
    prefix = current_prefix()
    urandom, b64 = os.urandom, base64.urlsafe_b64encode

    def seal(plain: str) -> str:
        if not plain:
            return ""
        nonce = urandom(12)
        return prefix + b64(nonce + cipher(nonce, plain.encode(), None)).decode()

    return seal


def current_prefix() -> str:
    """How every value sealed with the data key begins ("v2:<key id>:")."""
    return f"{CIPHER_VERSION}:{current_key_id()}:"


def is_sealed(value: str) -> bool:
    """Whether a stored value is a sealed one (of any key), not text written in clear."""
    return value.startswith((f"{CIPHER_VERSION}:", f"{LEGACY_VERSION}:"))


def decrypt(token: str) -> str:
    """Open a stored value with the key that sealed it (each key of the ring in turn for a v1 value).

    A value that was altered raises InvalidTag; one sealed with a key that is not configured
    raises KeyNotAvailable.
    """
    if not token:
        return ""
    version, _, rest = token.partition(":")
    if version == CIPHER_VERSION:
        kid, _, payload = rest.partition(":")
        if kid not in _ring():
            raise KeyNotAvailable("this value was sealed with a data key that is not configured")
        raw = base64.urlsafe_b64decode(payload.encode())
        return _ring()[kid].decrypt(raw[:12], raw[12:], None).decode()
    if version != LEGACY_VERSION:
        raise ValueError("unknown cipher version")
    raw = base64.urlsafe_b64decode(rest.encode())
    for cipher in _ring().values():
        try:
            return cipher.decrypt(raw[:12], raw[12:], None).decode()
        except InvalidTag:
            continue
    raise InvalidTag


def blind_index(kind: str, normalised: str) -> str:
    """Keyed hash used to look a value up; the kind keeps phone and ID hashes apart."""
    if not normalised:
        return ""
    return hmac.digest(_hash_key(), f"{kind}:{normalised}".encode(), hashlib.sha256).hex()


# --- phone numbers -----------------------------------------------------------------


def normalise_phone(raw: str) -> str:
    """Digits only, without a +86/0086 country prefix: the form hashes are taken of."""
    if raw and raw.isascii() and raw.isdigit():
        digits = raw  # the usual cell: nothing to fold or strip
    else:
        digits = re.sub(r"[^0-9]", "", unicodedata.normalize("NFKC", raw or ""))
    for prefix in ("0086", "86"):
        if digits.startswith(prefix) and len(digits) - len(prefix) == 11:
            digits = digits[len(prefix) :]
    return digits


def phone_is_plausible(digits: str) -> bool:
    """A mainland mobile or a landline with its area code, as Google's numbering plan knows them.

    `phonenumbers` knows which prefixes are in use (no 12x mobiles, real area codes and their
    lengths), which a pattern of digits cannot; the pattern stays as the first, cheap filter.
    """
    if re.fullmatch(r"1[3-9]\d{9}", digits):
        # A mobile's validity is its first seven digits (the operator's block): one parse per block.
        return _numbering_plan_accepts(digits[:7] + "0000")
    return bool(re.fullmatch(r"0\d{9,11}", digits)) and _numbering_plan_accepts(digits)


@lru_cache(maxsize=100_000)
def _numbering_plan_accepts(digits: str) -> bool:
    try:
        parsed = phonenumbers.parse(digits, "CN")
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.is_valid_number(parsed)


def phone_is_mobile(digits: str) -> bool:
    """A mainland mobile number (11 digits, 1[3-9]...): the only kind of phone an SMS reaches.

    Takes the normalised digits (without +86), so a landline with its area code (0...) or
    anything else is not a mobile, and a message for it must travel another way.
    """
    return bool(re.fullmatch(r"1[3-9]\d{9}", digits or ""))


def phone_hash(digits: str) -> str:
    return blind_index("phone", digits)


def phone_tail_hash(digits: str) -> str:
    """Hash of the last four digits: what a caller gives when asked for 尾号."""
    return _tail_hash(digits[-PHONE_TAIL_LENGTH:]) if len(digits) >= 4 else ""


@cache
def _tail_hash(tail: str) -> str:
    """There are only 10,000 tails: each hashed once (forgotten with the key, `forget_keys`)."""
    return blind_index("phone-tail", tail)


def mask_phone(digits: str) -> str:
    """138****5678: enough for the caller to recognise, not enough to dial."""
    if len(digits) < 7:
        return "*" * len(digits)
    return f"{digits[:3]}{'*' * (len(digits) - 7)}{digits[-4:]}"


# --- numbers typed into free text -------------------------------------------------------

#: Anything in free text that may be a phone or ID number: an 18- or 15-character ID number (digits,
#: an X, perhaps in groups: 120101 19500101 1234), a mobile with or without +86 and in groups
#: (139 0000 1111, 139-0000-1111), a landline with its area code ((022)2345-6789, 022 23456789), or
#: any run of 7 digits or more. A run joined to others by a hyphen is left alone: that is a case
#: number (HSY-20261202-0001), not a phone.
NUMBER_LIKE = re.compile(
    r"(?<![0-9A-Za-z-])(?:"  # not inside a longer token (a link's hex secret, a code)
    r"\d{6}[ -]?\d{8}[ -]?\d{3}[\dXx]"  # ID number, 18 characters, maybe in three groups
    r"|(?:\+?86[ -]?)?1\d{2}[ -]?\d{4}[ -]?\d{4}"  # mobile
    r"|[(（]?0\d{2,3}[)）]?[ -]?\d{3,4}[ -]?\d{4}"  # landline with its area code
    r"|\d{7,}"  # anything else that long: a 15-digit ID, a local number, a bank card
    r")(?![0-9A-Za-z-])"
)


def redact_numbers(text: str, replacement: str = "[号码已隐去]") -> str:
    """Public text without the phone and ID numbers residents type into it (NUMBER_LIKE)."""
    return NUMBER_LIKE.sub(replacement, text or "")


def mask_numbers(text: str) -> str:
    """Text with each phone or ID number in it masked as a masked field shows it (138****5678).

    For readers who may not reveal numbers: enough to tell the numbers apart, not to dial one.
    """

    def mask(match: re.Match) -> str:
        characters = re.sub(r"[^0-9Xx]", "", match.group())
        return mask_id_number(characters) if len(characters) in (15, 18) else mask_phone(characters)

    return NUMBER_LIKE.sub(mask, text or "")


# --- ID numbers (GB 11643-1999) ------------------------------------------------------


def normalise_id_number(raw: str) -> str:
    if raw and raw.isascii() and raw.isalnum():
        return raw.upper()  # the usual cell: nothing to fold or strip
    return re.sub(r"\s", "", unicodedata.normalize("NFKC", raw or "")).upper()


def id_check_char(first17: str) -> str:
    """The 18th character that GB 11643 computes from the first 17 digits (ISO 7064 MOD 11-2).

    python-stdnum's `cn.ric` computes it; its `validate` is not used whole because it also rejects
    region codes it does not know, and old ID numbers keep codes of districts merged since.
    """
    return ric.calc_check_digit(first17 + "0")  # it reads the first 17 of a whole number


class IdNumberError(ValueError):
    """Why an ID number is not valid; the message is shown to the person typing it."""


def id_birth_date(number: str) -> date:
    """The birth date encoded in digits 7-14."""
    try:
        return date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError as exc:
        raise IdNumberError("birth-date") from exc


_ID_FORMAT = re.compile(r"[0-9]{17}[0-9X]")


def validate_id_number(number: str) -> None:
    """Raise IdNumberError with a code: "format", "birth-date" or "check-digit"."""
    if not _ID_FORMAT.fullmatch(number):
        raise IdNumberError("format")
    id_birth_date(number)
    if id_check_char(number[:17]) != number[17]:
        raise IdNumberError("check-digit")


def id_sex(number: str) -> str:
    """ "M" or "F" from the 17th digit (odd for men), as GB 11643 defines it."""
    return "M" if int(number[16]) % 2 else "F"


def id_hash(number: str) -> str:
    return blind_index("id", number)


def mask_id_number(number: str) -> str:
    """120***********123X: region and the last four, nothing of the birth date."""
    if len(number) < 8:
        return "*" * len(number)
    return f"{number[:3]}{'*' * (len(number) - 7)}{number[-4:]}"
