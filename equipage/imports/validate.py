"""Checking every cell of a roster table and turning rows into plain ``Row`` records.

Pure: no database. Every problem names its line (header = 1), its column as
written in the file and says what to fix, in the active language.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from itertools import repeat
from operator import itemgetter
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from equipage.core.text import plain_spaces, text_problem
from equipage.imports import columns as C
from equipage.imports.export import unneutralise
from equipage.imports.problems import cells_who, msg
from equipage.imports.reader import (
    TYPED_CELLS,
    WORKBOOK_SUFFIXES,
    XLSX_MAGIC,
    Problem,
    Table,
    csv_chunks,
    xlsx_chunks,
)

# The member fields' own limits (accounts.models.Member; a test holds them equal).
MAX_LENGTH = {
    C.LOGIN: 150,
    C.LAST_NAME: 150,
    C.FIRST_NAME: 150,
    C.EMAIL: 254,
    C.PASSWORD: 1024,
    C.PHONE: 40,
    C.JOB_TITLE: 150,
}
# Cells of these columns hold lists and may span lines; the others must be one clean line.
LIST_COLUMNS = frozenset({C.GROUPS, C.ROLES, C.LABELS})
# Cells of these columns name a member: a workbook cell holding a number, a date or a
# boolean there is a spreadsheet's conversion (``typed_problem``), not what was typed.
# A login keeps its cell's kind for the diff, which knows the members (``twins``).
IDENTIFIER_COLUMNS = frozenset({C.LOGIN, C.EMAIL})
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_LINE_BREAKS = re.compile(r"[\t\r\n\u2028\u2029\x85]")
_WHITESPACE = re.compile(r"\s")  # the same characters as str.isspace()
# A plain ASCII address that Django's EmailValidator accepts for sure (a strict subset of its
# rules): checked first, and only what it does not match goes through the full validator.
_PLAIN_EMAIL = re.compile(
    r"[-!#$%&'*+/=?^_`{}|~0-9a-z]+(?:\.[-!#$%&'*+/=?^_`{}|~0-9a-z]+)*"
    r"@[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*"
    r"\.[a-z]{2,63}",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class CustomFieldSpec:
    """What the validator needs to know of a custom field (no model, no database)."""

    key: str
    name: str
    kind: str = "text"
    choices: tuple[str, ...] = ()


# The optional fields of the rows, one object for each combination met (bounded).
_SHARED_MORE: dict[tuple[Any, ...], tuple[Any, ...]] = {}


class Row:
    """One valid line of the file. ``None`` in an optional field means "column absent".

    The five optional fields share one slot (``None`` when all are): a million
    rows are 32 MB lighter than with a slot each. Rows with the same optional
    values share that slot's tuple: a re-imported export's rows (all with
    "membre" and no group) are 80 MB lighter again. ``contact`` holds the
    contact columns present (``phone``, ``job_title``: text; ``contact_roles``:
    a list), ``active`` is ``C.PENDING`` for a never-invited or invited word.
    """

    __slots__ = ("_more", "active", "email", "first_name", "last_name", "line", "login", "password")

    line: int
    login: str
    last_name: str
    first_name: str
    email: str
    # None: keep the current password (empty cell or placeholder) / first-password policy if new.
    password: str | None
    active: bool | str
    _more: tuple[Any, ...] | None

    def __init__(
        self,
        line: int,
        login: str,
        last_name: str,
        first_name: str,
        email: str,
        password: str | None,
        active: bool | str,
        groups: tuple[str, ...] | None = None,
        roles: tuple[str, ...] | None = None,
        labels: tuple[str, ...] | None = None,
        custom: dict[str, str] | None = None,
        contact: dict[str, Any] | None = None,
    ) -> None:
        self.line, self.login, self.last_name, self.first_name = line, login, last_name, first_name
        self.email, self.password, self.active = email, password, active
        if groups is None and roles is None and labels is None and custom is None:
            self._more = None if contact is None else (None, None, None, None, contact)
        elif custom is None and contact is None:  # lines repeat the same few lists (an export)
            more = (groups, roles, labels, None, None)
            shared = _SHARED_MORE.get(more)
            if shared is None and len(_SHARED_MORE) < 10_000:
                shared = _SHARED_MORE[more] = more
            self._more = shared or more
        else:
            self._more = (groups, roles, labels, custom, contact)

    @property
    def optional(self) -> tuple[Any, ...] | None:
        """Return (groups, roles, labels, custom, contact), or None when all five are None."""
        return self._more

    @property
    def groups(self) -> tuple[str, ...] | None:
        return None if self._more is None else self._more[0]

    @property
    def roles(self) -> tuple[str, ...] | None:
        return None if self._more is None else self._more[1]

    @property
    def labels(self) -> tuple[str, ...] | None:
        return None if self._more is None else self._more[2]

    @property
    def custom(self) -> dict[str, str] | None:
        return None if self._more is None else self._more[3]

    @property
    def contact(self) -> dict[str, Any] | None:
        return None if self._more is None else self._more[4]

    def share_texts(self, login: str, email: str, first_name: str, last_name: str) -> None:
        """Hold these objects instead of the row's own equal texts (one copy, not two)."""
        if self.login == login:
            self.login = login
        if self.email == email:
            self.email = email
        if self.first_name == first_name:
            self.first_name = first_name
        if self.last_name == last_name:
            self.last_name = last_name

    def _fields(self) -> tuple[Any, ...]:
        return (
            self.line, self.login, self.last_name, self.first_name, self.email, self.password,
            self.active, self.groups, self.roles, self.labels, self.custom, self.contact,
        )  # fmt: skip

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Row):
            return NotImplemented
        return self._fields() == other._fields()

    __hash__ = None  # type: ignore[assignment]  # mutable, compared by value

    def __repr__(self) -> str:
        names = "line login last_name first_name email password active groups roles labels"
        names += " custom contact"
        pairs = ", ".join(f"{n}={v!r}" for n, v in zip(names.split(), self._fields(), strict=True))
        return f"Row({pairs})"


@dataclass
class Validated:
    rows: list[Row]
    problems: list[Problem]
    warnings: list[Problem] = field(default_factory=list)
    columns: dict[str, str] = field(default_factory=dict)  # key -> header as written
    total_lines: int = 0

    @property
    def has(self) -> set[str]:
        return set(self.columns)


def validate_table(table: Table, custom_fields: Sequence[CustomFieldSpec] = ()) -> Validated:
    """Check the headers and every cell; return the clean rows and every problem found."""
    return _validate(table, iter([table.rows]), custom_fields)


def validate_file(
    data: bytes | Path,
    filename: str = "",
    custom_fields: Sequence[CustomFieldSpec] = (),
    chunk_size: int = 20_000,
) -> Validated:
    """Read and check a roster file: ``validate_table(read_table(...))``, in bounded memory.

    A CSV file is checked a chunk of lines at a time, each chunk's raw cells
    let go once its rows are made; the result is the same.
    """
    return _whole(*stream_file(data, filename, custom_fields, chunk_size))


def stream_file(
    data: bytes | Path,
    filename: str = "",
    custom_fields: Sequence[CustomFieldSpec] = (),
    chunk_size: int = 20_000,
) -> tuple[Validated, Iterator[Row]]:
    """Check a roster file as its rows are read: ``validate_file`` for a caller that keeps few.

    The ``Validated`` has its columns and warnings at once; its ``rows`` stay
    empty; its problems and line count are complete once the iterator is
    exhausted. A CSV file given by its path is read from the disk as the rows
    are asked for; an XLSX workbook's cells become Python text a chunk at a
    time. An import that drops the unchanged rows as it compares them never
    holds the whole file (a million-line sync: about 280 MB less).
    """
    if isinstance(data, Path):
        with data.open("rb") as head:
            xlsx = head.read(len(XLSX_MAGIC)) == XLSX_MAGIC
    else:
        xlsx = data.startswith(XLSX_MAGIC)
    if xlsx or filename.lower().endswith(WORKBOOK_SUFFIXES):
        table, chunks = xlsx_chunks(data, chunk_size)
    else:
        table, chunks = csv_chunks(data, chunk_size)
    return _stream(table, chunks, custom_fields)


def _validate(
    table: Table,
    chunks: Iterator[list[tuple[int, list[str]]]],
    custom_fields: Sequence[CustomFieldSpec],
) -> Validated:
    return _whole(*_stream(table, chunks, custom_fields))


def _whole(validated: Validated, rows: Iterator[Row]) -> Validated:
    """Read the rows to their end into ``validated`` (its problems are then complete)."""
    validated.rows = list(rows)
    return validated


def _stream(
    table: Table,
    chunks: Iterator[list[tuple[int, list[str]]]],
    custom_fields: Sequence[CustomFieldSpec],
) -> tuple[Validated, Iterator[Row]]:
    """Check the header now; return the result so far and the rows, checked a chunk at a time.

    Problems end up in ``validate_table``'s order: the reading problems come
    first (they are complete once the chunks are), then the header's, then
    the cells'.
    """
    problems: list[Problem] = []
    warnings: list[Problem] = []
    custom_by_header = {C.header_key(f.name): f for f in custom_fields}
    custom_by_header.update({C.header_key(f.key): f for f in custom_fields})
    positions: dict[str, int] = {}
    custom_positions: dict[str, int] = {}
    written: dict[str, str] = {}
    hline = table.header_line
    if not table.headers:
        problems = list(table.problems)
        if not problems:
            problems.append(Problem(1, "", msg("file_empty")))
        return Validated([], problems, warnings, {}, 0), iter(())
    for index, header in enumerate(table.headers):
        if not header:
            continue
        name = unneutralise(header)  # the export neutralises its headers like its cells
        key = C.standard_column(name)
        spec = custom_by_header.get(C.header_key(name))
        if key and spec and key in written:
            # A custom field named like a standard column before that column existed (an
            # older « Téléphone »): the export writes the standard column first, then it.
            key = None
        elif key:
            spec = None
        slot = key or (f"custom:{spec.key}" if spec else None)
        if slot is None:
            warnings.append(Problem(hline, header, msg("column_unknown", {"h": header})))
            continue
        if slot in written:
            problems.append(
                Problem(
                    hline,
                    header,
                    msg("column_twice", {"h": header, "o": written[slot]}),
                )
            )
            continue
        written[slot] = header
        if key:
            positions[key] = index
        else:
            custom_positions[spec.key] = index  # type: ignore[union-attr]
    for key in C.REQUIRED:
        if key not in positions:
            col = C.COLUMN_BY_KEY[key]
            problems.append(
                Problem(
                    hline,
                    col.fr,
                    msg("column_missing", {"fr": col.fr, "en": col.en}),
                )
            )
    specs = {f.key: f for f in custom_fields}
    validated = Validated([], problems, warnings, written, 0)
    if any(k not in positions for k in C.REQUIRED):
        return validated, _count_only(validated, table, chunks)
    return validated, _checked_rows(validated, table, chunks, positions, custom_positions, specs)


def _count_only(
    validated: Validated, table: Table, chunks: Iterator[list[tuple[int, list[str]]]]
) -> Iterator[Row]:
    """Read a file whose header refuses it: count its lines, check none."""
    validated.total_lines = sum(len(chunk) for chunk in chunks)
    validated.problems = [*table.problems, *validated.problems]
    yield from ()


def _checked_rows(
    validated: Validated,
    table: Table,
    chunks: Iterator[list[tuple[int, list[str]]]],
    positions: dict[str, int],
    custom_positions: dict[str, int],
    specs: dict[str, CustomFieldSpec],
) -> Iterator[Row]:
    width = len(table.headers)
    written = validated.columns
    found: list[Problem] = []
    names: dict[str, str] = {}  # first and last names repeat: one string object each (memory)
    for chunk in chunks:
        validated.total_lines += len(chunk)
        before = len(found)
        rows = _rows_by_column(
            chunk, width, positions, custom_positions, specs, written, found, names
        )
        if len(found) > before:  # name the person of each line in error, from its cells
            _name_lines(found, before, chunk, positions)
        del chunk
        yield from rows
        del rows
        if len(names) > 100_000:  # a file of mostly distinct names: the map would hold them all
            names.clear()
    validated.problems = [*table.problems, *validated.problems, *found]


def _name_lines(
    found: list[Problem], start: int, chunk: list[tuple[int, list[str]]], positions: dict[str, int]
) -> None:
    """Give ``found[start:]`` the name of the person on their line (read from the chunk)."""
    lines = {p.line for p in found[start:]}
    names = {line: cells_who(cells, positions) for line, cells in chunk if line in lines}
    for i in range(start, len(found)):
        name = names.get(found[i].line, "")
        if name:
            found[i] = replace(found[i], who=name)


def _rows_by_column(
    table_rows: list[tuple[int, list[str]]],
    width: int,
    positions: dict[str, int],
    custom_positions: dict[str, int],
    specs: dict[str, CustomFieldSpec],
    written: dict[str, str],
    problems: list[Problem],
    names: dict[str, str],
) -> list[Row]:
    """Check the cells a column at a time; only lines with a doubtful cell go row by row.

    A whole column is checked with a few C-speed string operations (printable,
    short enough, no formula guard, nothing to strip, already NFC). A line any
    of whose cells needs more than that is handed to ``_validate_row``, the
    reference rules, which finds its problems exactly as before, in line order.
    """
    n = len(table_rows)
    if not n:
        return []
    lines = [line for line, _cells in table_rows]
    all_cells = [cells for _line, cells in table_rows]
    slow: set[int] = set()
    lengths = list(map(len, all_cells))
    if max(lengths) > width:
        slow.update(
            i
            for i, cells in enumerate(all_cells)
            if len(cells) > width and any(c.strip() for c in cells[width:])
        )
    short = min(lengths) < width

    def column(key: str) -> list[str]:
        index = positions[key]
        if short:
            raw = [c[index] if index < len(c) else "" for c in all_cells]
        else:
            raw = list(map(itemgetter(index), all_cells))
        values, doubtful = _clean_column(raw, MAX_LENGTH.get(key, 5000))
        slow.update(doubtful)
        if key in IDENTIFIER_COLUMNS and set(map(type, raw)) - {str}:
            slow.update(i for i, cell in enumerate(raw) if isinstance(cell, TYPED_CELLS))
        return values

    last_names = column(C.LAST_NAME)
    last_names = list(map(names.setdefault, last_names, last_names))
    first_names = column(C.FIRST_NAME)
    first_names = list(map(names.setdefault, first_names, first_names))
    state_texts = column(C.STATE)
    states = {text: (C.parse_state(text) if text else None) for text in set(state_texts)}
    active = list(map(states.__getitem__, state_texts))
    del state_texts
    if None in states.values():
        slow.update(i for i, a in enumerate(active) if a is None)
    logins: Iterable[str] = repeat("")
    if C.LOGIN in positions:
        login_values = column(C.LOGIN)
        # Cleaned cells are printable: the only white space they can hold is U+0020.
        if " " in "".join(login_values):
            slow.update(i for i, v in enumerate(login_values) if " " in v)
        logins = login_values
    emails: Iterable[str] = repeat("")
    if C.EMAIL in positions:
        email_values = column(C.EMAIL)
        slow.update(_doubtful_emails(email_values))
        emails = email_values
    passwords: Iterable[str | None] = repeat(None)
    if C.PASSWORD in positions:
        placeholder = C.is_password_placeholder
        passwords = [None if (not raw or placeholder(raw)) else raw for raw in column(C.PASSWORD)]
    groups: Iterable[tuple[str, ...] | None] = repeat(None)
    if C.GROUPS in positions:
        groups = _split_column(column(C.GROUPS))
    labels: Iterable[tuple[str, ...] | None] = repeat(None)
    if C.LABELS in positions:
        labels = _split_column(column(C.LABELS))
    roles: Iterable[tuple[str, ...] | None] = repeat(None)
    if C.ROLES in positions:
        parsed: dict[str, tuple[str, ...] | None] = {}
        role_values = column(C.ROLES)
        for text in set(role_values):
            parsed[text] = _parse_roles(text)
        role_list = list(map(parsed.__getitem__, role_values))
        if None in parsed.values():
            slow.update(i for i, r in enumerate(role_list) if r is None)
        roles = role_list
    contacts: Iterable[dict[str, Any] | None] = repeat(None)
    present = [key for key in C.CONTACT_COLUMNS if key in positions]
    if present:
        contacts = list(map(_contact, repeat(present), *(column(key) for key in present)))
    customs: Iterable[dict[str, str] | None] = repeat(None)
    if custom_positions:
        custom_list: list[dict[str, str] | None] = []
        for i, cells in enumerate(all_cells):
            found: list[Problem] = []
            custom_list.append(_custom_values(0, cells, custom_positions, specs, written, found))
            if found:
                slow.add(i)
        customs = custom_list
    made = map(
        Row, lines, logins, last_names, first_names, emails, passwords, active, groups, roles,
        labels, customs, contacts,
    )  # fmt: skip
    if not slow:
        return list(made)
    rows: list[Row] = []
    for i, row in enumerate(made):
        if i in slow:
            checked = _validate_row(
                lines[i], all_cells[i], width, positions, custom_positions, specs, written, problems
            )
            if checked is not None:
                rows.append(checked)
        else:
            rows.append(row)
    return rows


def _clean_column(raw: list[str], limit: int) -> tuple[list[str], list[int]]:
    """Return a column's cells stripped and NFC, and the indexes needing the reference path.

    Same outcome as ``_validate_row``'s per-cell fast path. A concatenation is
    printable exactly when every cell is; once it is, ``\n`` only separates
    cells, and NFC never composes across it.
    """
    flat = "".join(raw)
    if flat.isprintable() and max(map(len, raw)) <= limit:
        joined = "\n".join(raw)
        if joined[:1] != "'" and "\n'" not in joined:
            values = raw
            if joined[:1] == " " or joined[-1:] == " " or " \n" in joined or "\n " in joined:
                values = [text.strip() for text in raw]
                joined = "\n".join(values)
            if not flat.isascii() and not unicodedata.is_normalized("NFC", joined):
                values = [v if v.isascii() else unicodedata.normalize("NFC", v) for v in values]
            return values, []
    values = []
    doubtful = []
    for i, text in enumerate(raw):
        if text.isprintable() and len(text) <= limit and text[:1] != "'":
            text = text.strip()
            values.append(text if text.isascii() else unicodedata.normalize("NFC", text))
        else:
            values.append("")
            doubtful.append(i)
    return values, doubtful


def _contact(present: list[str], *values: str) -> dict[str, Any]:
    """Return a line's contact cells by column key (contact roles split as the profile does)."""
    contact: dict[str, Any] = dict(zip(present, values, strict=True))
    if C.CONTACT_ROLES in contact:
        contact[C.CONTACT_ROLES] = C.split_contact_roles(contact[C.CONTACT_ROLES])
    return contact


def _doubtful_emails(values: list[str]) -> list[int]:
    """Return the indexes of the e-mails the plain-address shortcut does not vouch for."""
    plain = _PLAIN_EMAIL.fullmatch
    joined = "".join(values)
    if joined.isascii() and max(map(len, values)) <= 320:
        return [i for i, e in enumerate(values) if e and not plain(e)]
    return [
        i for i, e in enumerate(values) if e and not (len(e) <= 320 and e.isascii() and plain(e))
    ]


def _split_column(values: list[str]) -> list[tuple[str, ...]]:
    """Split every list cell of a column (the same cell text is split once)."""
    memo: dict[str, tuple[str, ...]] = {}
    out = []
    for text in values:
        found = memo.get(text)
        if found is None:
            found = memo[text] = C.split_pieces(text)
        out.append(found)
    return out


def _parse_roles(text: str) -> tuple[str, ...] | None:
    """Return a roles cell's roles, or None when a word is no role (the reference path says so)."""
    parsed: list[str] = []
    for word in C.split_list(text):
        role = C.parse_role(word)
        if role is None:
            return None
        if role not in parsed:
            parsed.append(role)
    return tuple(parsed)


def _validate_row(
    line: int,
    cells: list[str],
    width: int,
    positions: dict[str, int],
    custom_positions: dict[str, int],
    specs: dict[str, CustomFieldSpec],
    written: dict[str, str],
    problems: list[Problem],
) -> Row | None:
    before = len(problems)
    if len(cells) > width and any(c.strip() for c in cells[width:]):
        problems.append(
            Problem(
                line,
                _("(column %(n)d)") % {"n": width + 1},
                msg("line_too_wide"),
            )
        )

    def cell(key: str) -> str:
        index = positions.get(key)
        if index is None or index >= len(cells):
            return ""
        text = cells[index]
        # Fast path, same outcome: printable means no control character and no line break.
        if text.isprintable() and len(text) <= MAX_LENGTH.get(key, 5000) and text[:1] != "'":
            text = text.strip()
            return text if text.isascii() else unicodedata.normalize("NFC", text)
        text = plain_spaces(unneutralise(text))
        header = written[key]
        if len(text) > 5000:
            problems.append(Problem(line, header, msg("cell_far_too_long")))
            return ""
        if _CONTROL.search(text):
            problems.append(Problem(line, header, msg("cell_control_chars")))
            return ""
        text = text.strip()
        if key not in LIST_COLUMNS and _LINE_BREAKS.search(text):
            problems.append(Problem(line, header, msg("cell_line_break")))
            return ""
        if key != C.PASSWORD:  # names, logins, lists: the one rule of every entry point
            problem = text_problem(_LINE_BREAKS.sub(" ", text) if key in LIST_COLUMNS else text)
            if problem:
                problems.append(Problem(line, header, problem))
                return ""
        limit = MAX_LENGTH.get(key)
        if limit and len(text) > limit:
            problems.append(
                Problem(
                    line,
                    header,
                    msg("cell_too_long", {"n": limit, "m": len(text)}),
                )
            )
            return ""
        return unicodedata.normalize("NFC", text)

    # An empty name is the diff's to judge: refused for a new member, and for a member whose
    # stored name is not empty (export → import of a member without one changes nothing).
    # A line refused here for another cell never reaches the diff: its empty names are
    # reported with the rest, so that one pass names every cell to fix.
    last_name, first_name = cell(C.LAST_NAME), cell(C.FIRST_NAME)
    state_text = cell(C.STATE)
    active = C.parse_state(state_text) if state_text else None
    if active is None and not _has_problem(problems, before, line, written[C.STATE]):
        if not state_text:
            problems.append(Problem(line, written[C.STATE], msg("state_required")))
        else:
            problems.append(
                Problem(
                    line,
                    written[C.STATE],
                    msg("state_invalid", {"v": state_text}),
                )
            )
    if C.EMAIL in positions:
        index = positions[C.EMAIL]
        typed = typed_problem(C.EMAIL, cells[index] if index < len(cells) else "")
        if typed is not None:
            problems.append(Problem(line, written[C.EMAIL], typed))
    login = cell(C.LOGIN) if C.LOGIN in positions else ""
    if login and isinstance(held := cells[positions[C.LOGIN]], TYPED_CELLS):
        login = type(held)(login)  # its kind, for the diff (``typed_problem``)
    if login and _WHITESPACE.search(login):
        problems.append(Problem(line, written[C.LOGIN], msg("login_spaces")))
    email = cell(C.EMAIL) if C.EMAIL in positions else ""
    said = _has_problem(problems, before, line, written.get(C.EMAIL, ""))  # typed: said why
    if (
        email
        and not said
        and not (len(email) <= 320 and email.isascii() and _PLAIN_EMAIL.fullmatch(email))
    ):
        try:
            validate_email(email)
        except ValidationError:
            problems.append(
                Problem(
                    line,
                    written[C.EMAIL],
                    msg("email_invalid", {"v": email}),
                )
            )
    password: str | None = None
    if C.PASSWORD in positions:
        raw = cell(C.PASSWORD)
        password = None if (not raw or C.is_password_placeholder(raw)) else raw
    groups = C.split_pieces(cell(C.GROUPS)) if C.GROUPS in positions else None
    labels = C.split_pieces(cell(C.LABELS)) if C.LABELS in positions else None
    roles: tuple[str, ...] | None = None
    if C.ROLES in positions:
        parsed: list[str] = []
        for word in C.split_list(cell(C.ROLES)):
            role = C.parse_role(word)
            if role is None:
                problems.append(
                    Problem(
                        line,
                        written[C.ROLES],
                        msg("role_unknown", {"v": word}),
                    )
                )
            elif role not in parsed:
                parsed.append(role)
        roles = tuple(parsed)
    custom: dict[str, str] | None = None
    if custom_positions:
        custom = _custom_values(line, cells, custom_positions, specs, written, problems)
    present = [key for key in C.CONTACT_COLUMNS if key in positions]
    contact = _contact(present, *(cell(key) for key in present)) if present else None
    if len(problems) > before:
        for key, value in ((C.LAST_NAME, last_name), (C.FIRST_NAME, first_name)):
            if not value and not _has_problem(problems, before, line, written[key]):
                problems.append(Problem(line, written[key], msg("cell_required")))
        return None
    return Row(
        line=line,
        login=login,
        last_name=last_name,
        first_name=first_name,
        email=email,
        password=password,
        active=active if active == C.PENDING else bool(active),
        groups=groups,
        roles=roles,
        labels=labels,
        custom=custom,
        contact=contact,
    )


def typed_problem(key: str, cell: str) -> str | None:
    """Say why a workbook cell of an identifier column holding a value, not text, is refused.

    A date or a boolean is never what was typed as a login or an e-mail; a
    number in the e-mail column neither. A number in the login column cannot
    be the login as typed when it has more digits than the spreadsheet keeps,
    a fraction or an exponent; an integer can. The e-mail's problem is the
    validation's; the login's the diff's, which asks only of a login no
    member holds and that is no member's login converted (``twins``): TRUE
    read for the member ``true`` is that member.
    """
    if not isinstance(cell, TYPED_CELLS) or not cell:
        return None
    if key == C.LOGIN and cell.kind == "number" and cell.isdigit() and len(cell) <= 15:
        return None
    return msg(f"cell_typed_{cell.kind}", {"v": cell})


def _custom_values(
    line: int,
    cells: list[str],
    custom_positions: dict[str, int],
    specs: dict[str, CustomFieldSpec],
    written: dict[str, str],
    problems: list[Problem],
) -> dict[str, str]:
    """Return a line's custom field values, cleaned; a bad cell adds its problem instead."""
    custom: dict[str, str] = {}
    for key, index in custom_positions.items():
        header = written[f"custom:{key}"]
        raw = unneutralise(cells[index]) if index < len(cells) else ""
        if _CONTROL.search(raw) or _LINE_BREAKS.search(raw.strip()) or len(raw) > 5000:
            problems.append(Problem(line, header, msg("cell_control_chars")))
            continue
        try:
            custom[key] = _clean_custom(specs[key], raw)
        except ValueError as exc:
            problems.append(Problem(line, header, str(exc)))
    return custom


def _has_problem(problems: list[Problem], start: int, line: int, column: str) -> bool:
    return any(p.line == line and p.column == column for p in problems[start:])


def _clean_custom(spec: CustomFieldSpec, value: Any) -> str:
    """Clean a custom field value with the accounts' own rule; raise ``ValueError`` with why."""
    from equipage.accounts.actions.customfields import clean_custom_value
    from equipage.core.errors import ValidationFailed

    try:
        return clean_custom_value(spec, value)  # type: ignore[arg-type]
    except ValidationFailed as exc:
        raise ValueError(str(exc)) from None
