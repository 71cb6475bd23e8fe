"""The spreadsheet trap: a login a spreadsheet program turned into a number, a date or a boolean.

Opened with its defaults, LibreOffice or Excel reads the login ``00123`` as the
number 123, ``12345678901234567`` as ``1.23456789012346E+16`` (15 digits kept),
``1/3`` as a date and ``vrai`` as a boolean, and saves them so. Re-imported,
such a line names no member: a sync would add ``123`` and deactivate
``00123``. ``Twins`` finds, for a login no member holds, the member whose
login the spreadsheet probably turned into it, and why — the import makes
that line an error naming the cause, never an addition.

Pure: the members' logins in, a position and a cause out. The members' map is
built on the first question, and only of the logins that look like numbers.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator

NUMBER = "number"  # leading zeros (or a leading +) dropped
EXPONENT = "exponent"  # written in exponent notation, or rounded to 15 digits
DATE = "date"
BOOLEAN = "boolean"

DIGITS_KEPT = 15  # what LibreOffice and Excel keep of a number
_NUMERIC = re.compile(r"\+?\d+")
_EXPONENT = re.compile(r"\+?(\d)(?:[.,](\d*))?[eE]\+?(\d{1,3})")
_DAY_MONTH = re.compile(r"(\d{1,2})([/.-])(\d{1,2})(?:\2(\d{2}|\d{4}))?")
_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]00:00(?::00)?)?")
_TRUTH = {"true": ("true", "vrai"), "vrai": ("true", "vrai")}
_TRUTH |= {"false": ("false", "faux"), "faux": ("false", "faux")}
# What a converted login starts with: a digit, a sign, or a boolean's first letter.
_CONVERTIBLE_STARTS = frozenset("0123456789+tTfFvV")
_SERIAL_ORIGIN = dt.date(1899, 12, 30)  # day 0 of the spreadsheets' date serial numbers


def _significant(login: str) -> str | None:
    """Return the digits of a number-like login without its sign and leading zeros."""
    if not _NUMERIC.fullmatch(login):
        return None
    return login.lstrip("+").lstrip("0") or "0"


def _rounded(digits: str, kept: int) -> tuple[int, str]:
    """Return (exponent, mantissa digits without trailing zeros) of ``digits`` kept to ``kept``."""
    if len(digits) <= kept:
        return len(digits) - 1, digits.rstrip("0") or "0"
    head = int(digits[:kept]) + (digits[kept] >= "5")  # rounded half away from zero, as they do
    text = str(head)
    return len(digits) - 1 + len(text) - kept, text.rstrip("0") or "0"


class Twins:
    """Answer "which member's login did the spreadsheet turn into this one, and how?"."""

    def __init__(self, logins: list[str], member_of: Callable[[str], int | None]) -> None:
        self._logins = logins
        self._member_of = member_of  # lower-cased login -> position
        self._numbers: dict[str, int] | None = None  # significant digits -> position
        self._by_precision: dict[int, dict[tuple[int, str], int]] = {}

    def of(self, login: str) -> tuple[int, str] | None:
        """Return (member position, cause) for a login no member holds, or None."""
        if login[:1] not in _CONVERTIBLE_STARTS:  # "jean.dupont": no conversion starts so
            return None
        digits = _significant(login)
        if digits is not None:
            return self._number_twin(digits)
        exponent = _EXPONENT.fullmatch(login)
        if exponent is not None:
            lead, rest, power = exponent.groups()
            written = lead + (rest or "")
            key = (int(power), written.rstrip("0") or "0")
            for kept in sorted({len(written), DIGITS_KEPT}):
                twin = self._rounded_twin(*key, kept)
                if twin is not None:
                    return twin
            return None
        dates = list(_dates(login))
        if dates:
            return self._date_twin(dates)
        for word in _TRUTH.get(login.lower(), ()):
            found = self._member_of(word)
            if found is not None:
                return found, BOOLEAN
        return None

    def _number_twin(self, digits: str) -> tuple[int, str] | None:
        """Find the member of a login written as a number (its significant ``digits``)."""
        if len(digits) > DIGITS_KEPT:
            return self._rounded_twin(*_rounded(digits, DIGITS_KEPT), DIGITS_KEPT)
        found = self._number_map().get(digits)
        if found is not None:
            return found, NUMBER
        if len(digits) == 5:  # a date as its serial number (1927 to 2173)
            serial = _SERIAL_ORIGIN + dt.timedelta(days=int(digits))
            return self._date_twin([(serial.year, serial.month, serial.day)])
        return None

    def _number_map(self) -> dict[str, int]:
        """Map the significant digits of the number-like logins that a number would lose."""
        if self._numbers is None:
            self._numbers = {}
            for i, login in enumerate(self._logins):
                digits = _significant(login)
                if digits is not None and (digits != login or len(digits) > DIGITS_KEPT):
                    self._numbers.setdefault(digits, i)
        return self._numbers

    def _rounded_twin(self, power: int, mantissa: str, kept: int) -> tuple[int, str] | None:
        index = self._by_precision.get(kept)
        if index is None:
            index = self._by_precision[kept] = {}
            for i, login in enumerate(self._logins):
                digits = _significant(login)
                if digits is not None and len(digits) > kept:
                    index.setdefault(_rounded(digits, kept), i)
        found = index.get((power, mantissa))
        return None if found is None else (found, EXPONENT)

    def _date_twin(self, dates: list[tuple[int, int, int]]) -> tuple[int, str] | None:
        for year, month, day in dates:
            for spelling in _spellings(year, month, day):
                found = self._member_of(spelling)
                if found is not None:
                    return found, DATE
        return None


def _dates(text: str) -> Iterator[tuple[int, int, int]]:
    """Yield the dates (year, month, day) a spreadsheet may have written as ``text``."""
    iso = _ISO_DATE.fullmatch(text)
    if iso is not None:
        year, month, day = map(int, iso.groups())
        if _valid(year, month, day):
            yield year, month, day
        return
    found = _DAY_MONTH.fullmatch(text)
    if found is None:
        return
    first, _sep, second, year_text = found.groups()
    year = int(year_text) if year_text else dt.date.today().year
    if year_text and len(year_text) == 2:
        year += 2000 if year < 70 else 1900
    a, b = int(first), int(second)
    for day, month in ((a, b), (b, a)):  # day first (French) or month first (US)
        if _valid(year, month, day):
            yield year, month, day


def _valid(year: int, month: int, day: int) -> bool:
    try:
        dt.date(year, month, day)
    except ValueError:
        return False
    return True


def _spellings(year: int, month: int, day: int) -> Iterator[str]:
    """Yield the logins (lower-case) a spreadsheet reads as this date."""
    short = f"{year % 100:02d}"
    for first, second in ((day, month), (month, day)):
        for a in {str(first), f"{first:02d}"}:
            for b in {str(second), f"{second:02d}"}:
                for sep in "/-.":
                    yield f"{a}{sep}{b}"
                    yield f"{a}{sep}{b}{sep}{year}"
                    yield f"{a}{sep}{b}{sep}{short}"
    for sep in "-/.":
        yield f"{year}{sep}{month:02d}{sep}{day:02d}"
        yield f"{year}{sep}{month}{sep}{day}"
