"""People's names, personal ID numbers and phone numbers: checks, canonical forms, sorting;
the ward's desk checks an applicant with them, the citizens' portal at the hub too.

docs/domain.md, "People". Every check raises :class:`sync.ValidationError` with a
Vietnamese sentence that says what is wrong and what to type, and the form field it concerns.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from typing import Literal

import phonenumbers

from sync import ValidationError, nfc

__all__ = [
    "CCCD_PROVINCES",
    "display_phone",
    "id_number_birth_year",
    "id_number_sex",
    "normalize_name",
    "normalize_phone",
    "sort_key",
    "validate_id_number",
]

NAME_FIELD = "applicant.full_name"
ID_FIELD = "applicant.id_number"
PHONE_FIELD = "applicant.phone"
SEX_FIELD = "applicant.sex"

# What a form may send for the sex the CCCD encodes (its century digit: even male, odd female).
SEXES = {"nam": "nam", "nữ": "nữ", "nu": "nữ", "male": "nam", "female": "nữ"}

# Birth-registration province codes of the 12-digit personal ID (Circular 07/2016/TT-BCA).
# They are the 63 provinces before the 2025 merger: an ID number never changes, so the old
# codes stay valid after it.
CCCD_PROVINCES: dict[str, str] = {
    "001": "Hà Nội", "002": "Hà Giang", "004": "Cao Bằng", "006": "Bắc Kạn",
    "008": "Tuyên Quang", "010": "Lào Cai", "011": "Điện Biên", "012": "Lai Châu",
    "014": "Sơn La", "015": "Yên Bái", "017": "Hòa Bình", "019": "Thái Nguyên",
    "020": "Lạng Sơn", "022": "Quảng Ninh", "024": "Bắc Giang", "025": "Phú Thọ",
    "026": "Vĩnh Phúc", "027": "Bắc Ninh", "030": "Hải Dương", "031": "Hải Phòng",
    "033": "Hưng Yên", "034": "Thái Bình", "035": "Hà Nam", "036": "Nam Định",
    "037": "Ninh Bình", "038": "Thanh Hóa", "040": "Nghệ An", "042": "Hà Tĩnh",
    "044": "Quảng Bình", "045": "Quảng Trị", "046": "Thừa Thiên Huế", "048": "Đà Nẵng",
    "049": "Quảng Nam", "051": "Quảng Ngãi", "052": "Bình Định", "054": "Phú Yên",
    "056": "Khánh Hòa", "058": "Ninh Thuận", "060": "Bình Thuận", "062": "Kon Tum",
    "064": "Gia Lai", "066": "Đắk Lắk", "067": "Đắk Nông", "068": "Lâm Đồng",
    "070": "Bình Phước", "072": "Tây Ninh", "074": "Bình Dương", "075": "Đồng Nai",
    "077": "Bà Rịa - Vũng Tàu", "079": "TP Hồ Chí Minh", "080": "Long An", "082": "Tiền Giang",
    "083": "Bến Tre", "084": "Trà Vinh", "086": "Vĩnh Long", "087": "Đồng Tháp",
    "089": "An Giang", "091": "Kiên Giang", "092": "Cần Thơ", "093": "Hậu Giang",
    "094": "Sóc Trăng", "095": "Bạc Liêu", "096": "Cà Mau",
}  # fmt: skip

_SPACES = re.compile(r"\s+")


# --- Names ------------------------------------------------------------------------------------


def normalize_name(s: str) -> str:
    """A full name stripped, with single spaces, in NFC.

    A name typed all in lower or all in upper case is title-cased word by word ("NGUYỄN VĂN AN"
    → "Nguyễn Văn An"); mixed case is kept as typed. Raises ValidationError when the name is
    empty or contains a digit.
    """
    name = _SPACES.sub(" ", nfc(s or "")).strip()
    if not name:
        raise ValidationError("Chưa nhập họ và tên. Hãy nhập họ và tên đầy đủ.", field=NAME_FIELD)
    if any(ch.isdigit() for ch in name):
        raise ValidationError(
            f"Họ và tên không được chứa chữ số: “{name}”. Hãy nhập lại họ và tên bằng chữ.",
            field=NAME_FIELD,
        )
    if name.islower() or name.isupper():
        # Capitalise per word, not str.title(): title() would also capitalise after an
        # apostrophe or a stray combining mark.
        name = " ".join(word[:1].upper() + word[1:].lower() for word in name.split(" "))
    return name


# Vietnamese alphabet order; f, j, w, z (foreign names) take their Latin places.
_ALPHABET = "aăâbcdđeêfghijklmnoôơpqrstuưvwxyz"
_LETTER_RANK = {letter: rank for rank, letter in enumerate(_ALPHABET)}
# Letters made by a mark on a base letter: breve, circumflex, horn.
_MODIFIED = {
    ("a", "\u0306"): "ă", ("a", "\u0302"): "â", ("e", "\u0302"): "ê",
    ("o", "\u0302"): "ô", ("o", "\u031b"): "ơ", ("u", "\u031b"): "ư",
}  # fmt: skip
# Tone order: ngang (none), huyền, hỏi, ngã, sắc, nặng.
_TONE_RANK = {"\u0300": 1, "\u0309": 2, "\u0303": 3, "\u0301": 4, "\u0323": 5}

WordKey = tuple[tuple[int, ...], int]


def _word_key(word: str) -> WordKey:
    """(letters in Vietnamese alphabet order, tone of the syllable)."""
    clusters: list[list[str]] = []
    for ch in unicodedata.normalize("NFD", word.lower()):
        if unicodedata.combining(ch) and clusters:
            clusters[-1].append(ch)
        else:
            clusters.append([ch])
    letters: list[int] = []
    tone = 0
    for base, *marks in clusters:
        letter = base
        for mark in marks:
            letter = _MODIFIED.get((base, mark), letter)
            tone = max(tone, _TONE_RANK.get(mark, 0))
        letters.append(_LETTER_RANK.get(letter, 100 + ord(letter)))
    return tuple(letters), tone


def sort_key(full_name: str) -> tuple[WordKey, tuple[WordKey, ...], WordKey, str]:
    """A key that sorts names the Vietnamese way: given name (last word), then middle words,
    then family name (first word).

    Words compare letter by letter in the Vietnamese alphabet (a ă â b c d đ e ê g h i k l m n
    o ô ơ p q r s t u ư v x y), so đ follows d and ơ follows ô; words that differ only by tone
    then follow the tone order ngang, huyền, hỏi, ngã, sắc, nặng. The whole NFC name breaks
    the last tie, so the order is stable; "Thủy" and "Thuỷ", "Hòa" and "Hoà" (and NFD input)
    tie on every earlier part of the key.
    """
    name = _SPACES.sub(" ", nfc(full_name or "")).strip()
    words = name.split(" ") if name else [""]
    given = _word_key(words[-1])
    middle = tuple(_word_key(word) for word in words[1:-1])
    family = _word_key(words[0]) if len(words) > 1 else _word_key("")
    return given, middle, family, name


# --- Personal ID numbers ----------------------------------------------------------------------


def validate_id_number(
    number: str | None, birth_year: int | None = None, sex: str | None = None
) -> str | None:
    """A personal ID number with its spaces removed, or None when none was typed.

    Accepts an old 9-digit ID (CMND) as it is, and a 12-digit personal ID (CCCD) whose province
    code is known, whose century digit gives a birth year from 1900 to this year, and, when
    ``birth_year`` is given, whose birth year matches it, and when ``sex`` ("nam" or "nữ") is
    given, whose century digit encodes that sex (docs/domain.md, "People"). Raises
    ValidationError otherwise (a ``sex`` other than "nam" or "nữ" included).
    """
    if number is None:
        return None
    digits = "".join(number.split())
    if not digits:
        return None
    if not digits.isdigit():
        raise ValidationError(
            f"Số CCCD/CMND chỉ gồm chữ số, không có chữ hay dấu: “{number.strip()}”. "
            "Hãy nhập đúng dãy số in trên thẻ.",
            field=ID_FIELD,
        )
    if len(digits) == 9:
        return digits
    if len(digits) != 12:
        raise ValidationError(
            f"Số CCCD phải có 12 chữ số (CMND cũ: 9 chữ số); số đã nhập có {len(digits)} "
            "chữ số. Hãy nhập đủ dãy số in trên thẻ.",
            field=ID_FIELD,
        )
    if digits[:3] not in CCCD_PROVINCES:
        raise ValidationError(
            f"Ba chữ số đầu của số CCCD ({digits[:3]}) không phải mã tỉnh nơi đăng ký khai sinh "
            "(Thừa Thiên Huế là 046). Hãy kiểm tra lại ba chữ số đầu trên thẻ.",
            field=ID_FIELD,
        )
    year = id_number_birth_year(digits)
    if year is None or year > date.today().year:
        raise ValidationError(
            f"Chữ số thứ tư ({digits[3]}) và thứ năm, sáu ({digits[4:6]}) của số CCCD không "
            "ứng với một năm sinh có thể có. Hãy kiểm tra lại số in trên thẻ.",
            field=ID_FIELD,
        )
    if birth_year is not None and birth_year != year:
        raise ValidationError(
            f"Số CCCD ứng với năm sinh {year} nhưng năm sinh đã khai là {birth_year}. "
            "Hãy kiểm tra lại số CCCD hoặc ngày sinh.",
            field=ID_FIELD,
        )
    if sex is not None:
        declared = SEXES.get(nfc(sex).strip().lower())
        if declared is None:
            raise ValidationError("Hãy chọn giới tính: Nam hoặc Nữ.", field=SEX_FIELD)
        encoded = id_number_sex(digits)
        if declared != encoded:
            raise ValidationError(
                f"Chữ số thứ tư của số CCCD ({digits[3]}) ứng với giới tính "
                f"{encoded} nhưng giới tính đã khai là {declared}. "
                "Hãy kiểm tra lại số CCCD hoặc giới tính.",
                field=ID_FIELD,
            )
    return digits


def id_number_birth_year(number: str | None) -> int | None:
    """The birth year in a 12-digit personal ID (century digit 0–3 and two-digit year), else
    None. An old 9-digit ID does not carry it."""
    digits = "".join((number or "").split())
    if len(digits) != 12 or not digits.isdigit() or digits[3] not in "0123":
        return None
    # 0/1: 1900s, 2/3: 2000s; later centuries (4–9) are not possible yet.
    return 1900 + 100 * (int(digits[3]) // 2) + int(digits[4:6])


def id_number_sex(number: str | None) -> Literal["nam", "nữ"] | None:
    """ "nam" or "nữ" from a 12-digit personal ID's century digit (even: male, odd: female);
    None for anything else, such as an old 9-digit ID."""
    if id_number_birth_year(number) is None:
        return None
    digits = "".join((number or "").split())
    return "nam" if int(digits[3]) % 2 == 0 else "nữ"


# --- Phone numbers ----------------------------------------------------------------------------

_MOBILE = re.compile(r"0[35789]\d{8}")
_MOBILE_TYPES = {
    phonenumbers.PhoneNumberType.MOBILE,
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
}


def normalize_phone(raw: str | None) -> tuple[str | None, str | None]:
    """A Vietnamese phone number in E.164 ("+84905123456") and a warning, or (None, None) when
    none was typed.

    Accepts "0905123456", "+84905123456", "84 905 123 456", "0905.123.456". A 10-digit mobile
    number (0[35789]…) on a prefix no carrier is known to use is kept with a warning for the
    clerk (docs/domain.md, "Phone numbers": warn, do not reject); a landline must be valid. Raises
    ValidationError for anything else, including foreign numbers.
    """
    if raw is None or not raw.strip():
        return None, None
    typed = raw.strip()
    refusal = ValidationError(
        f"Số điện thoại “{typed}” không đúng. Hãy nhập số di động 10 chữ số bắt đầu bằng 0 "
        "(ví dụ 0905 123 456) hoặc số cố định kèm mã vùng (ví dụ 0234 3822 123).",
        field=PHONE_FIELD,
    )
    try:
        parsed = phonenumbers.parse(typed, "VN")
    except phonenumbers.NumberParseException:
        raise refusal from None
    if parsed.country_code != 84 or parsed.extension:
        raise refusal
    national = "0" + str(parsed.national_number)
    if phonenumbers.is_valid_number(parsed):
        return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164), None
    if _MOBILE.fullmatch(national):
        warning = (
            f"Đầu số {national[:3]} của số {display_phone('+84' + national[1:])} chưa có trong "
            "danh sách nhà mạng. Số vẫn được lưu; hãy hỏi lại người dân cho chắc chắn."
        )
        return "+84" + national[1:], warning
    raise refusal


def display_phone(e164: str | None) -> str:
    """A stored E.164 number as a clerk reads it: "+84905123456" → "0905 123 456". Mobiles are
    grouped 4-3-3, landlines as phonenumbers formats them ("0234 3822 123"); "" for None."""
    if not e164:
        return ""
    try:
        parsed = phonenumbers.parse(e164, "VN")
    except phonenumbers.NumberParseException:
        return e164
    national = "0" + str(parsed.national_number)
    if parsed.country_code == 84 and (
        _MOBILE.fullmatch(national) or phonenumbers.number_type(parsed) in _MOBILE_TYPES
    ):
        if len(national) == 10:
            return f"{national[:4]} {national[4:7]} {national[7:]}"
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
