"""Which line of the file is which member, and which e-mail ends up with whom.

``Matching`` finds the member each line updates (by login, else e-mail, else
default login), refuses a second line for one member and the logins a
spreadsheet turned into another value (``imports.twins``); ``Taken`` is the
logins in use when new ones are made up; ``check_emails`` refuses the lines
whose address another member holds once the file is applied. Pure: no database.
"""

from __future__ import annotations

from array import array
from collections import Counter
from collections.abc import Iterable, Iterator
from operator import itemgetter
from typing import Any

from equipage.core.text import default_login
from equipage.imports import columns as C
from equipage.imports.model import Members
from equipage.imports.problems import msg, row_who
from equipage.imports.reader import TYPED_CELLS, Problem
from equipage.imports.twins import Twins
from equipage.imports.validate import Row, typed_problem


class Matching:
    """Find the member each line updates, by login, else e-mail, else default login.

    Members are found by position in ``Members``. The maps are keyed by the
    members' own texts, and what the lines named is marked in arrays by
    position (the line that named a member's login, gave its e-mail, matched
    it); only the texts no member holds are kept in maps of their own. A line
    that changes nothing is then let go once compared.
    """

    def __init__(self, members: Members) -> None:
        n = len(members)
        logins, emails = members.logins, members.emails
        self.logins = logins
        positions = list(range(n))  # one int object per member, shared by the maps
        self.by_login = dict(zip(logins, positions, strict=True))
        # Case-insensitive logins: the first member (in this order) of each lower-cased
        # login. Logins are mostly lower-case already; those are found in ``by_login``
        # itself, and only the others need a map, unless one of them clashes with a
        # lower-case login.
        by_login_ci: dict[str, int] = {}
        for login, i in zip(logins, positions, strict=True):
            low = login.lower()
            if low != login:
                by_login_ci.setdefault(low, i)
        self.clash = any(low in self.by_login for low in by_login_ci)
        if self.clash:
            by_login_ci = {}
            for login, i in zip(logins, positions, strict=True):
                by_login_ci.setdefault(lowered(login), i)
        self.by_login_ci = by_login_ci
        # By e-mail, the last member holding each (lower-cased) address matches.
        self.by_email = {lowered(e): i for e, i in zip(emails, positions, strict=True) if e}
        del positions
        # The addresses more than one member holds now (rare: none, usually).
        self.shared_emails: set[str] = set()
        if len(self.by_email) < n - emails.count(""):
            counts = Counter(lowered(e) for e in emails if e)
            self.shared_emails = {email for email, k in counts.items() if k > 1}
        zeros = array("I", [0]) * n
        self.login_marks, self.email_marks, self.line_marks = zeros, zeros[:], zeros[:]
        # The lower-cased logins, e-mails and default logins the lines gave that no member
        # holds, with the line that gave each first.
        self.other_logins: dict[str, int] = {}
        self.other_emails: dict[str, int] = {}
        self.other_defaults: dict[str, int] = {}
        self.twins = Twins(logins, self.member_of)
        self.late = False  # a line was yielded after the lines that follow it

    def member_of(self, key: str) -> int | None:
        """Return the member whose lower-cased login is ``key`` (the first, in a clash)."""
        if self.clash:
            return self.by_login_ci.get(key)
        found = self.by_login.get(key)
        return self.by_login_ci.get(key) if found is None else found

    def taken(self) -> Taken:
        """Return the logins in use: the members', the file's, and those made up from now."""
        return Taken(self)

    def pairs(
        self, rows: Iterable[Row], col: Any, errors: list[Problem]
    ) -> Iterator[tuple[Row, int | None]]:
        """Yield each line with the position of the member it updates (None: a new one).

        A second line for one member is an error ("same member as line N") and
        is not yielded. Lines come in the file's order, but for a line whose
        login is the spreadsheet-made twin of a member's (``twins``): once
        every line is read, it is an error naming the cause when no other line
        names that member, else a new member, yielded last.
        """
        by_login, by_email, member_of = self.by_login, self.by_email, self.member_of
        login_marks, email_marks, line_marks = self.login_marks, self.email_marks, self.line_marks
        other_logins, other_emails = self.other_logins, self.other_emails
        other_defaults = self.other_defaults

        def name(key: str, line: int, into: dict[str, int]) -> tuple[int, int | None]:
            """Mark the lower-cased login ``key`` as named by ``line``.

            Return the line that named it first (0: none) and its member.
            ``into`` keeps the keys no member holds: the file's logins, or the
            default logins of the lines without one.
            """
            named = member_of(key)
            if named is not None:
                seen = login_marks[named]
                if not seen:
                    login_marks[named] = line
                return seen, named
            seen = other_logins.get(key) or other_defaults.get(key, 0)
            if not seen:
                into[key] = line
            elif into is other_logins:  # a login in the file, not to be made up for another
                other_logins.setdefault(key, seen)
            return seen, None

        twins: list[tuple[Row, int, str]] = []  # (line, its member's position, the cause)
        for row in rows:
            target: int | None = None
            twin: tuple[int, str] | None = None
            login, email, line = row.login, row.email, row.line
            if login:
                key = login.lower()
                if key == login:
                    key = login  # one string object, not two (memory)
                seen, named = name(key, line, other_logins)
                if seen:
                    errors.append(_same(row, col(C.LOGIN), seen))
                    continue
                target = by_login.get(login)
                if target is None:
                    target = named
                if target is None:
                    twin = self.twins.of(login)
                    if twin is None and isinstance(login, TYPED_CELLS):
                        typed = typed_problem(C.LOGIN, login)
                        if typed is not None:  # a date, a boolean: not a login anybody typed
                            errors.append(Problem(line, col(C.LOGIN), typed, who=row_who(row)))
                            continue
            if email:
                key = email.lower()
                if key == email:
                    key = email
                holder = by_email.get(key)
                seen = email_marks[holder] if holder is not None else other_emails.get(key, 0)
                if seen:
                    errors.append(_same(row, col(C.EMAIL), seen))
                    continue
                if holder is not None:
                    email_marks[holder] = line
                else:
                    other_emails[key] = line
                if not login:
                    target = holder
            elif not login:
                base = default_login(row.first_name, row.last_name) or "member"
                seen, named = name(base, line, other_defaults)
                if seen:
                    errors.append(_same(row, col(C.LAST_NAME), seen))
                    continue
                target = by_login.get(base)
                if target is None:
                    target = named
            if twin is not None:
                twins.append((row, *twin))
                continue
            if target is not None:
                if line_marks[target]:
                    column = col(C.LOGIN) if login else col(C.EMAIL)
                    errors.append(_same(row, column, line_marks[target]))
                    continue
                line_marks[target] = line
            yield row, target
        for row, twin_of, cause in twins:
            if login_marks[twin_of]:  # the member's own login is in the file too: a new login
                self.late = True
                yield row, None
                continue
            errors.append(twin_problem(row, col(C.LOGIN), self.logins[twin_of], cause))
            if not line_marks[twin_of]:
                line_marks[twin_of] = row.line  # its line is in error: it is not deactivated


class Taken:
    """The lower-cased logins in use, for making up new ones: ``in`` and ``add``, like a set."""

    def __init__(self, matching: Matching) -> None:
        self._member_of = matching.member_of
        self._file = matching.other_logins
        self._made: set[str] = set()

    def __contains__(self, login: object) -> bool:
        return isinstance(login, str) and (
            login in self._made or login in self._file or self._member_of(login) is not None
        )

    def add(self, login: str) -> None:
        self._made.add(login)


def check_emails(
    members: Members,
    line_marks: array[int],
    shared: set[str],
    claims: list[tuple[int, str, int | None]],
    moved: dict[int, str],
    col: Any,
    errors: list[Problem],
) -> None:
    """Refuse the lines whose e-mail another member holds once the file is applied.

    Each address ends up with one member only (a member's own line may give
    theirs away). Who holds which address in the end: the members who had
    one, in the members' order, with the one their line gives instead; then
    those the file gives their first, in the file's order. Only the addresses
    that can end up with two holders are looked at: those the lines claim from
    another member (``claims``) and those more than one member holds now
    (``shared``).
    ``line_marks`` gives, by position, the line matched with each member.
    """
    wanted = {lowered(email) for _line, email, _member in claims} | shared
    if not wanted:
        return
    emails = members.emails
    holder_of: dict[str, int] = {}
    more_holders: dict[str, list[int]] = {}

    def hold(email: str, i: int) -> None:
        if email in wanted:
            if email in holder_of:
                more_holders.setdefault(email, []).append(i)
            else:
                holder_of[email] = i

    instead = moved.get
    for i, email in enumerate(emails):
        if email:
            hold(lowered(instead(i, email)), i)
    for _line, email, member in claims:
        if member is not None and not emails[member]:
            hold(lowered(email), member)
    checks = list(claims)
    for email, more in more_holders.items():
        for i in (holder_of[email], *more):
            if line_marks[i] and emails[i] and i not in moved:  # its line gave what it holds
                checks.append((line_marks[i], emails[i], i))
    checks.sort(key=itemgetter(0))
    for line, given, claimant in checks:
        email = lowered(given)
        first = holder_of.get(email)
        if first is None or (first == claimant and email not in more_holders):
            continue
        others = [h for h in (first, *more_holders.get(email, ())) if h != claimant]
        if others:
            errors.append(
                Problem(
                    line,
                    col(C.EMAIL),
                    msg("email_taken", {"e": given, "l": members.logins[others[0]]}),
                )
            )


def lowered(text: str) -> str:
    """Return ``text`` lower-cased, the same object when it already is (memory)."""
    low = text.lower()
    return text if low == text else low


def twin_problem(row: Row, column: str, login: str, cause: str) -> Problem:
    """Say that the line's login is probably the member ``login``'s, turned by a spreadsheet."""
    return Problem(
        row.line,
        column,
        msg(f"login_twin_{cause}", {"v": row.login, "l": login}),
        who=row_who(row),
    )


def _same(row: Row, column: str, first_line: int) -> Problem:
    return Problem(row.line, column, msg("same_member", {"n": first_line}), who=row_who(row))
