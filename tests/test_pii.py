"""Personal data by design: ID numbers (GB 11643), phone numbers, encryption and blind indexes.

All numbers are synthetic: built by tests.factories.make_id_number for region
120116 (Binhai New Area), or the worked example printed in GB 11643 itself.
"""

from __future__ import annotations

import base64
import re
from datetime import date

import pytest
from cryptography.exceptions import InvalidTag
from hypothesis import example, given
from hypothesis import strategies as st

from grassroots.core import pii
from tests.factories import make_id_number

VALID_NUMBERS = [
    "11010519491231002X",  # the worked example of GB 11643-1999 (check character X)
    make_id_number(date(1944, 3, 8), sex="F", serial=17),
    make_id_number(date(1956, 10, 1), sex="M", serial=3),
    make_id_number(date(2000, 2, 29), sex="F", serial=250),
    make_id_number(date(2019, 12, 31), sex="M", serial=499),
]

birth_dates = st.dates(min_value=date(1900, 1, 1), max_value=date(2025, 12, 31))
regions = st.from_regex(r"[1-6][0-9]{5}", fullmatch=True)
serials = st.integers(min_value=0, max_value=999)


@st.composite
def id_numbers(draw) -> str:
    """Valid synthetic ID numbers: region, birth date, serial and the computed check character."""
    first17 = f"{draw(regions)}{draw(birth_dates):%Y%m%d}{draw(serials):03d}"
    return first17 + pii.id_check_char(first17)


def _error_code(number: str) -> str | None:
    try:
        pii.validate_id_number(number)
    except pii.IdNumberError as exc:
        return str(exc)
    return None


# --- ID numbers: the check character --------------------------------------------------


def test_check_character_by_hand():
    """ISO 7064 MOD 11-2 on the standard's example: sum of digit × weight, mod 11, mapped."""
    first17 = "11010519491231002"
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    total = sum(int(d) * w for d, w in zip(first17, weights, strict=True))
    assert total % 11 == 2
    assert pii.id_check_char(first17) == "X"


@pytest.mark.parametrize("number", VALID_NUMBERS)
def test_known_valid_numbers_pass(number: str):
    assert _error_code(number) is None


@given(id_numbers())
def test_every_generated_number_is_valid(number: str):
    assert re.fullmatch(r"\d{17}[\dX]", number)
    assert _error_code(number) is None


@pytest.mark.parametrize("number", VALID_NUMBERS)
def test_every_single_digit_corruption_of_a_known_number_is_caught(number: str):
    for position in range(18):
        for replacement in "0123456789X" if position == 17 else "0123456789":
            if replacement == number[position]:
                continue
            corrupted = number[:position] + replacement + number[position + 1 :]
            assert _error_code(corrupted) in {"check-digit", "birth-date"}, corrupted


@given(id_numbers(), st.integers(min_value=0, max_value=17), st.integers(min_value=1, max_value=10))
def test_any_single_character_corruption_is_caught(number: str, position: int, shift: int):
    """MOD 11-2 catches every single substitution: 11 is prime and no weight is 0 mod 11."""
    alphabet = "0123456789X" if position == 17 else "0123456789"
    current = alphabet.index(number[position])
    replacement = alphabet[(current + shift) % len(alphabet)]
    if replacement == number[position]:
        return
    corrupted = number[:position] + replacement + number[position + 1 :]
    code = _error_code(corrupted)
    if position in range(6, 14):
        assert code in {"check-digit", "birth-date"}
    else:
        assert code == "check-digit"


@given(id_numbers(), st.integers(min_value=0, max_value=15))
def test_swapping_two_neighbouring_digits_is_caught(number: str, position: int):
    """The other common typing error: adjacent weights differ mod 11, so transpositions show."""
    a, b = number[position], number[position + 1]
    if a == b:
        return
    swapped = number[:position] + b + a + number[position + 2 :]
    assert _error_code(swapped) in {"check-digit", "birth-date"}


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("", "format"),
        ("11010519491231002", "format"),  # 17 characters
        ("11010519491231002XX", "format"),
        ("1101051949123100X2", "format"),  # X only at the end
        ("11010519491231002x", "format"),  # not normalised: callers upper-case first
        ("110105194912310A2X", "format"),
        ("110105194902300023", "birth-date"),  # 30 February
        ("110105194913010023", "birth-date"),  # month 13
    ],
)
def test_malformed_numbers_say_why(raw: str, code: str):
    assert _error_code(raw) == code


def test_normalise_id_number_strips_spaces_and_upper_cases():
    assert pii.normalise_id_number(" 110105 19491231 002x ") == "11010519491231002X"
    assert pii.normalise_id_number(None) == ""


def test_full_width_digits_from_a_chinese_input_method_mean_the_same_number():
    """Typed in full width, a number must hash like its ASCII form, or duplicates slip through."""
    typed = "１１０１０５１９４９１２３１００２ｘ"
    assert pii.normalise_id_number(typed) == "11010519491231002X"
    assert pii.normalise_phone("１３８－１２３４－５６７８") == "13812345678"


@pytest.mark.parametrize(
    "number",
    [
        "\u0661\u0661\u0660\u0661\u0660\u0665\u0661\u0669\u0664\u0669\u0661\u0662\u0663\u0661\u0660\u0660\u0662X",
        "11010519491231\u0e50\u0e50\u0e52X",
    ],
    ids=["arabic-indic", "thai"],
)
def test_digits_of_other_scripts_are_not_an_id_number(number: str):
    """int() reads them as digits, but they would hash apart from the same number in ASCII."""
    assert _error_code(pii.normalise_id_number(number)) == "format"


# --- ID numbers: what they encode -------------------------------------------------------


@given(birth_dates, st.sampled_from(["M", "F"]), serials)
def test_birth_date_and_sex_come_back_out(birth: date, sex: str, serial: int):
    number = make_id_number(birth, sex=sex, serial=serial)
    assert pii.id_birth_date(number) == birth
    assert pii.id_sex(number) == sex


def test_sex_is_the_parity_of_the_17th_digit():
    assert pii.id_sex("11010519491231002X") == "F"  # 2 is even
    assert pii.id_sex("120116194403080351") == "M"


def test_a_number_without_a_real_date_has_no_birth_date():
    with pytest.raises(pii.IdNumberError, match="birth-date"):
        pii.id_birth_date("120116194402300023")


# --- masking ----------------------------------------------------------------------------


def test_an_id_number_is_masked_to_region_and_last_four():
    masked = pii.mask_id_number("12011619440308123X")
    assert masked == "120***********123X"
    assert re.fullmatch(r"\d{3}\*{11}\d{3}[\dX]", masked)


@given(id_numbers())
def test_a_masked_id_number_hides_the_birth_date(number: str):
    masked = pii.mask_id_number(number)
    assert len(masked) == 18
    assert masked[:3] == number[:3] and masked[-4:] == number[-4:]
    assert masked[3:14] == "*" * 11


def test_a_mobile_number_is_masked_to_prefix_and_last_four():
    assert pii.mask_phone("13812345678") == "138****5678"


def test_short_numbers_are_masked_completely():
    assert pii.mask_phone("123456") == "******"
    assert pii.mask_id_number("1234567") == "*******"


# --- phone numbers ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "digits"),
    [
        ("13812345678", "13812345678"),
        ("+86 138 1234 5678", "13812345678"),
        ("+86-138-1234-5678", "13812345678"),
        ("0086 13812345678", "13812345678"),
        ("8613812345678", "13812345678"),
        ("138-1234-5678", "13812345678"),
        (" 138 1234 5678 ", "13812345678"),
        ("(022) 2536-1234", "02225361234"),  # a Tianjin landline keeps its area code
        ("8612345678", "8612345678"),  # not +86 and a mobile: left alone
        ("", ""),
        (None, ""),
    ],
)
def test_normalise_phone(raw, digits: str):
    assert pii.normalise_phone(raw) == digits


@pytest.mark.parametrize(
    ("digits", "plausible"),
    [
        ("13812345678", True),
        ("19912345678", True),
        ("12812345678", False),  # no mobile prefix 12
        ("1381234567", False),
        ("02225361234", True),
        ("2225361234", False),
        ("", False),
    ],
)
def test_phone_plausibility(digits: str, plausible: bool):
    assert pii.phone_is_plausible(digits) is plausible


def test_phone_hash_and_tail_hash():
    assert pii.phone_hash("13812345678") == pii.phone_hash(pii.normalise_phone("+86 138-1234-5678"))
    assert pii.phone_tail_hash("13812345678") == pii.phone_tail_hash("13999995678")
    assert pii.phone_tail_hash("13812345678") != pii.phone_tail_hash("13812345679")
    assert pii.phone_tail_hash("123") == ""


# --- encryption -----------------------------------------------------------------------------


@given(st.text(min_size=1, max_size=200))
def test_encryption_round_trip(plain: str):
    assert pii.decrypt(pii.encrypt(plain)) == plain


@given(st.one_of(id_numbers(), st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True)))
@example("13812345678")
def test_ciphertext_never_contains_the_plain_value(plain: str):
    token = pii.encrypt(plain)
    prefix = f"v2:{pii.current_key_id()}:"
    assert token.startswith(prefix)
    assert plain not in token
    raw = base64.urlsafe_b64decode(token.removeprefix(prefix))
    assert plain.encode() not in raw


def test_the_same_value_encrypts_differently_each_time():
    assert pii.encrypt("13812345678") != pii.encrypt("13812345678")


def test_empty_stays_empty():
    assert pii.encrypt("") == ""
    assert pii.decrypt("") == ""
    assert pii.blind_index("phone", "") == ""


def test_tampered_ciphertext_is_refused():
    prefix = f"v2:{pii.current_key_id()}:"
    raw = bytearray(base64.urlsafe_b64decode(pii.encrypt("13812345678").removeprefix(prefix)))
    raw[-1] ^= 1
    with pytest.raises(InvalidTag):
        pii.decrypt(prefix + base64.urlsafe_b64encode(bytes(raw)).decode())


def test_an_unknown_cipher_version_is_refused():
    with pytest.raises(ValueError, match="cipher version"):
        pii.decrypt("v0:" + pii.encrypt("x").removeprefix("v2:"))


# --- blind indexes and the key ------------------------------------------------------------


@pytest.fixture
def data_key(settings):
    """Switch GRASSROOTS_DATA_KEY for one test; the derived keys are cached, so clear them both ways."""

    def use(key: bytes) -> None:
        settings.GRASSROOTS_DATA_KEY = base64.urlsafe_b64encode(key).decode()

    yield use


def test_blind_index_is_stable():
    assert pii.id_hash("11010519491231002X") == pii.id_hash("11010519491231002X")
    assert re.fullmatch(r"[0-9a-f]{64}", pii.id_hash("11010519491231002X"))


def test_blind_index_keeps_kinds_apart():
    assert pii.blind_index("phone", "13812345678") != pii.blind_index("id", "13812345678")


def test_blind_index_is_keyed(data_key):
    data_key(b"k" * 32)
    first = pii.phone_hash("13812345678")
    data_key(b"k" * 32)
    assert pii.phone_hash("13812345678") == first
    data_key(b"j" * 32)
    assert pii.phone_hash("13812345678") != first


def test_another_key_cannot_decrypt(data_key):
    data_key(b"k" * 32)
    token = pii.encrypt("13812345678")
    data_key(b"j" * 32)
    with pytest.raises(pii.KeyNotAvailable):
        pii.decrypt(token)


def test_numbers_in_free_text_are_masked_as_masked_fields_show_them():
    text = "儿子 139 0000 1234，座机 (022)2345-6789，身份证 120101194403081234，诉求 HSY-20261202-0001"
    masked = pii.mask_numbers(text)
    assert "139****1234" in masked and "022****6789" in masked and "120***********1234" in masked
    assert "HSY-20261202-0001" in masked  # a case number is not a phone
    assert "0000" not in masked and "2345" not in masked and "19440308" not in masked


def test_a_links_hex_secret_is_not_taken_for_a_number():
    link = "详见 http://127.0.0.1:8000/portal/follow/77661267039b82339f0d4d5f/ 或致电 13912345678"
    masked = pii.mask_numbers(link)
    assert "/follow/77661267039b82339f0d4d5f/" in masked and "139****5678" in masked
