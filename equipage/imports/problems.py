"""What can be wrong with an import file, as codes with parameters, worded in the reader's language.

A report keeps each error as ``{"line", "column", "message", "code", "params", "who"}``:
``message`` is worded in the language of whoever started the import, and ``code`` +
``params`` let any page, download, API answer or CLI word it again in its reader's
language (``render``). The English templates below are the catalog's msgids.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext, gettext_noop

from equipage.accounts.rules import Refusal

MESSAGES: dict[str, str] = {
    # reading the file
    "line_unreadable": gettext_noop("This line cannot be read: %(e)s"),
    "xlsx_unreadable": gettext_noop("This file is not a readable XLSX workbook (%(e)s)."),
    "ods_unreadable": gettext_noop("This file is not a readable ODS spreadsheet (%(e)s)."),
    "line_bad_bytes": gettext_noop(
        "This line holds bytes that are not valid %(encoding)s, the encoding of the rest "
        "of the file: correct them (or save the file again as UTF-8)."
    ),
    # its header
    "file_empty": gettext_noop("The file is empty: no header line was found."),
    "column_unknown": gettext_noop("Unknown column “%(h)s”: it is ignored."),
    "column_twice": gettext_noop("The column “%(h)s” appears twice (also as “%(o)s”)."),
    "column_missing": gettext_noop("The required column “%(fr)s” (“%(en)s”) is missing."),
    # its cells
    "line_too_wide": gettext_noop("This line has more cells than the header has columns."),
    "cell_far_too_long": gettext_noop("This cell is far too long."),
    "cell_control_chars": gettext_noop("This cell contains invisible control characters."),
    "cell_line_break": gettext_noop("This cell contains a line break or a tab; remove it."),
    "cell_too_long": gettext_noop("Too long: at most %(n)d characters (here %(m)d)."),
    "state_required": gettext_noop("This cell is required: Activé or Désactivé."),
    "state_invalid": gettext_noop(
        "“%(v)s” is not a state: write Activé or Désactivé (Active or Deactivated)."
    ),
    "login_spaces": gettext_noop("A login cannot contain spaces."),
    "email_invalid": gettext_noop("“%(v)s” is not a valid e-mail address."),
    "role_unknown": gettext_noop("Unknown role “%(v)s” (admin, user admin or member)."),
    "cell_required": gettext_noop("This cell is required."),
    "member_in_bin": gettext_noop(
        "This member was deleted and is in the bin: restore them from the bin first, or"
        " wait until the bin erases them."
    ),
    # the organization's password policy (organizations.password_policy)
    "password_too_short": gettext_noop(
        "This password is too short (the organization's minimum length: %(n)d)."
    ),
    "password_too_common": gettext_noop(
        "This password is too common (it is on a list of breached passwords): choose another."
    ),
    "password_entirely_numeric": gettext_noop("This password is entirely numeric."),
    "state_pending_new": gettext_noop(
        "A new member is added Activé or Désactivé (Active or Deactivated): invite them from "
        "the member list once added."
    ),
    "state_pending_deactivated": gettext_noop(
        "This member is deactivated: write Désactivé to keep them so, or Activé to reactivate "
        "them (Deactivated or Active); a file cannot invite anyone."
    ),
    # against the organization
    "email_taken": gettext_noop("The e-mail address %(e)s is already used by the member “%(l)s”."),
    "same_member": gettext_noop("Same member as line %(n)d."),
    "group_unknown": gettext_noop("Unknown group “%(g)s”."),
    "label_unknown": gettext_noop("Unknown label “%(g)s”."),
    "group_ambiguous": gettext_noop(
        "Two groups are named like “%(g)s” (differing only by case, accents or spaces): "
        "rename one of them first."
    ),
    "label_ambiguous": gettext_noop(
        "Two labels are named like “%(g)s” (differing only by case, accents or spaces): "
        "rename or delete one of them first."
    ),
    "group_admin_needs_group": gettext_noop(
        "As a group admin, put each new member in at least one of your groups."
    ),
    "groups_not_administered": gettext_noop(
        "You can only add members to the groups you administer."
    ),
    "labels_forbidden": gettext_noop("You do not have permission to assign labels."),
    "owner_keeps_ownership": gettext_noop("The owner keeps ownership; transfer it first."),
    "ownership_by_transfer": gettext_noop("Ownership is only given by a transfer."),
    "role_not_grantable": gettext_noop("You cannot grant or remove the role %(r)s."),
    "own_roles": gettext_noop("You cannot remove your own roles; ask another admin."),
    "outside_groups": gettext_noop("This member is outside the groups you administer."),
    "owner_not_deactivated": gettext_noop("The owner cannot be deactivated."),
    "self_not_deactivated": gettext_noop("You are importing: you cannot deactivate yourself."),
    "deactivate_forbidden": gettext_noop("You do not have permission to deactivate this member."),
    "owner_details": gettext_noop("Only the owner can change the owner's details."),
    "role_above": gettext_noop("You cannot change a member whose role is above yours."),
    # the spreadsheet trap: a login or an e-mail a spreadsheet program turned into a value
    "login_twin_number": gettext_noop(
        "No member has the login “%(v)s”, but “%(l)s” has: the spreadsheet may have removed "
        "leading zeros (or a leading +). Format the column as text, put back “%(l)s” and "
        "import again."
    ),
    "login_twin_exponent": gettext_noop(
        "No member has the login “%(v)s”, but “%(l)s” has: the spreadsheet may have written "
        "this long number in exponent notation or rounded it to 15 digits. Format the column "
        "as text, put back “%(l)s” and import again."
    ),
    "login_twin_date": gettext_noop(
        "No member has the login “%(v)s”, but “%(l)s” has: the spreadsheet may have turned it "
        "into a date. Format the column as text, put back “%(l)s” and import again."
    ),
    "login_twin_boolean": gettext_noop(
        "No member has the login “%(v)s”, but “%(l)s” has: the spreadsheet may have turned it "
        "into a boolean (TRUE / FALSE). Format the column as text, put back “%(l)s” and "
        "import again."
    ),
    "cell_typed_number": gettext_noop(
        "This cell holds the number %(v)s, not text: the spreadsheet may have removed leading "
        "zeros, rounded it or written it in exponent notation. Format the column as text, "
        "type the value again and import again."
    ),
    "cell_typed_date": gettext_noop(
        "This cell holds a date (%(v)s), not text: the spreadsheet may have turned it into a "
        "date. Format the column as text, type the value again and import again."
    ),
    "cell_typed_boolean": gettext_noop(
        "This cell holds a boolean (%(v)s), not text: the spreadsheet may have turned it into "
        "TRUE / FALSE. Format the column as text, type the value again and import again."
    ),
}


# The member rules' refusals (``accounts.rules``) as the codes an import report stores: the
# rule is decided there, the import words it its own way (it names the file's columns).
RULE_CODES: dict[Refusal, str] = {
    Refusal.OWNER_NOT_DEACTIVATED: "owner_not_deactivated",
    Refusal.SELF_NOT_DEACTIVATED: "self_not_deactivated",
    Refusal.DEACTIVATE_FORBIDDEN: "deactivate_forbidden",
    Refusal.OUTSIDE_GROUPS: "outside_groups",
    Refusal.OWNER_DETAILS: "owner_details",
    Refusal.ROLE_ABOVE: "role_above",
    Refusal.OWNER_KEEPS_OWNERSHIP: "owner_keeps_ownership",
    Refusal.OWNERSHIP_BY_TRANSFER: "ownership_by_transfer",
    Refusal.ROLE_NOT_GRANTABLE: "role_not_grantable",
    Refusal.OWN_ROLES: "own_roles",
    Refusal.GROUP_NEEDED: "group_admin_needs_group",
    Refusal.GROUPS_NOT_ADMINISTERED: "groups_not_administered",
}


class Message(str):
    """A problem's words in the active language, that remembers its code and parameters."""

    __slots__ = ("code", "params")
    code: str
    params: dict[str, Any]


def msg(code: str, params: dict[str, Any] | None = None) -> Message:
    """Word the problem ``code`` in the active language; keep the code and parameters."""
    kept = {k: v if isinstance(v, int | float) else str(v) for k, v in (params or {}).items()}
    text = gettext(MESSAGES[code])
    out = Message(text % kept)
    out.code, out.params = code, kept
    return out


def rule_msg(refusal: Refusal, params: dict[str, Any] | None = None) -> Message:
    """Word a member rule's refusal as the import's problem (its stored code: ``RULE_CODES``)."""
    return msg(RULE_CODES[refusal], params)


def render(error: dict[str, Any]) -> str:
    """Word a stored error in the active language; an error without a code keeps its words."""
    code = error.get("code")
    if code not in MESSAGES:
        return str(error.get("message", ""))
    params = dict(error.get("params") or {})
    try:
        return gettext(MESSAGES[code]) % params
    except (KeyError, TypeError, ValueError):
        return str(error.get("message", ""))


def who(first_name: str, last_name: str, login: str) -> str:
    """Name the person on a line: first and last name, else the login."""
    name = f"{first_name} {last_name}".strip()
    return name or login


def worded(error: dict[str, Any]) -> dict[str, Any]:
    """Return the error with its ``message`` in the active language (API, page, CLI)."""
    return {**error, "message": render(error)}


def row_who(row: Any) -> str:
    """Name the person of a checked row (``validate.Row``)."""
    return who(row.first_name, row.last_name, row.login)


def cells_who(cells: list[str], positions: dict[str, int]) -> str:
    """Name the person of a raw line from its cells (a line whose checks failed)."""

    def cell(key: str) -> str:
        index = positions.get(key)
        return cells[index].strip()[:100] if index is not None and index < len(cells) else ""

    return who(cell("first_name"), cell("last_name"), cell("login"))
