"""The roster's columns, their headers in French and English, and the words cells may hold."""

from __future__ import annotations

import re
from dataclasses import dataclass

from equipage.core.text import LIST_SEPARATORS, fold

LOGIN = "login"
LAST_NAME = "last_name"
FIRST_NAME = "first_name"
EMAIL = "email"
PASSWORD = "password"
STATE = "state"
GROUPS = "groups"
ROLES = "roles"
LABELS = "labels"
PHONE = "phone"
JOB_TITLE = "job_title"
CONTACT_ROLES = "contact_roles"

REQUIRED = (LAST_NAME, FIRST_NAME, STATE)


@dataclass(frozen=True)
class Column:
    key: str
    fr: str
    en: str
    synonyms: tuple[str, ...] = ()


# SPEC §7 order: the export writes them so, the import accepts them in any order.
COLUMNS: tuple[Column, ...] = (
    Column(LOGIN, "Identifiant", "Login", ("identifiant de connexion", "username", "user name")),
    Column(LAST_NAME, "Nom", "Last name", ("nom de famille", "lastname", "surname", "family name")),
    Column(FIRST_NAME, "Prénom", "First name", ("firstname", "given name")),
    Column(
        EMAIL,
        "Adresse e-mail",
        "Email",
        ("e-mail", "adresse email", "adresse mail", "courriel", "mail", "email address"),
    ),
    Column(PASSWORD, "Mot de passe", "Password", ()),
    Column(STATE, "État", "State", ("statut", "status")),
    Column(GROUPS, "Groupes", "Groups", ("groupe", "group")),
    Column(ROLES, "Rôles", "Roles", ("role",)),
    Column(LABELS, "Étiquettes", "Labels", ("etiquette", "label", "tags", "tag")),
    # Optional profile columns (seed 003, « incluant les informations de contacts »).
    Column(PHONE, "Téléphone", "Phone", ("tel", "phone number", "numero de telephone")),
    Column(JOB_TITLE, "Fonction", "Job title", ("poste", "intitule de poste", "title")),
    Column(CONTACT_ROLES, "Rôles de contact", "Contact roles", ("role de contact",)),
)
# The member fields these columns hold as they are (one text each; contact roles a list).
CONTACT_COLUMNS = (PHONE, JOB_TITLE, CONTACT_ROLES)
COLUMN_BY_KEY = {c.key: c for c in COLUMNS}

PASSWORD_PLACEHOLDER = {"fr": "Mot de passe crypté", "en": "Encrypted password"}
STATE_WORDS = {"fr": ("Activé", "Désactivé"), "en": ("Active", "Deactivated")}
# The member states the export writes beside those two: a member added but never invited
# and one whose invitation is pending. Read back, either word means "leave this member's
# pending state as it is" (``PENDING``): a file cannot invite anyone, nor un-activate them.
PENDING_STATE_WORDS = {
    "fr": {"created": "Non invité", "invited": "Invité"},
    "en": {"created": "Not invited", "invited": "Invited"},
}
PENDING = "pending"

_HEADER_NOISE = re.compile(r"[\s\-_.'’*:]+")


def header_key(text: str) -> str:
    """Fold a header for matching: case, accents, spaces and punctuation ignored."""
    return _HEADER_NOISE.sub("", fold(text))


_HEADERS: dict[str, str] = {}
for _c in COLUMNS:
    for _name in (_c.fr, _c.en, _c.key, *_c.synonyms):
        _HEADERS[header_key(_name)] = _c.key


def standard_column(header: str) -> str | None:
    """Return the column key a header names (``"Adresse E-mail "`` → ``"email"``), if any."""
    return _HEADERS.get(header_key(header))


_ACTIVE = {"active", "activee", "actif", "actifs", "oui", "yes", "1", "true", "vrai"}
_ACTIVE |= {"enabled", "on", "o", "y", "activated"}
_INACTIVE = {"desactive", "desactivee", "inactif", "inactive", "deactivated", "non", "no", "0"}
_INACTIVE |= {"false", "faux", "disabled", "off", "n", "desactivated", "inactivee"}


_PENDING = {"invite", "invitee", "invited", "noninvite", "noninvitee", "notinvited"}
_PENDING |= {"jamaisinvite", "jamaisinvitee", "neverinvited", "enattente", "pending"}
_PENDING |= {"cree", "creee", "created"}


def state_word(state: str, language: str) -> str:
    """Return the export's word for a member state (``invited`` → « Invité »)."""
    lang = "en" if language == "en" else "fr"
    active, deactivated = STATE_WORDS[lang]
    if state == "deactivated":
        return deactivated
    return PENDING_STATE_WORDS[lang].get(state, active)


_STATE_CACHE: dict[str, bool | str | None] = {}


def parse_state(text: str) -> bool | str | None:
    """Return True for an active state word, False for a deactivated one, ``PENDING`` for
    a never-invited or invited one, None if unknown."""
    try:
        return _STATE_CACHE[text]
    except KeyError:
        pass
    state = _parse_state(text)
    if len(_STATE_CACHE) < 1000:  # a file repeats a handful of words; stay bounded anyway
        _STATE_CACHE[text] = state
    return state


def _parse_state(text: str) -> bool | str | None:
    key = fold(text).replace(" ", "")
    if key in _ACTIVE:
        return True
    if key in _INACTIVE:
        return False
    if key in _PENDING:
        return PENDING
    return None


_PLACEHOLDER_KEYS = frozenset(fold(v) for v in PASSWORD_PLACEHOLDER.values())
_PLACEHOLDER_TEXTS: set[str] = set(PASSWORD_PLACEHOLDER.values())


def is_password_placeholder(text: str) -> bool:
    """Tell whether a password cell holds the export's placeholder (in any language or case).

    The exact words the export writes are known at once: a re-imported export
    repeats them on every line, and folding each cost seconds per million.
    """
    if text in _PLACEHOLDER_TEXTS:
        return True
    if fold(text) not in _PLACEHOLDER_KEYS:
        return False
    if len(_PLACEHOLDER_TEXTS) < 100:  # other spellings seen; stay bounded anyway
        _PLACEHOLDER_TEXTS.add(text)
    return True


ROLE_WORDS = {
    "fr": {
        "owner": "propriétaire",
        "admin": "administrateur",
        "user_admin": "administrateur d'utilisateurs",
        "member": "membre",
    },
    "en": {"owner": "owner", "admin": "admin", "user_admin": "user admin", "member": "member"},
}
_ROLES: dict[str, str] = {}
for _words in ROLE_WORDS.values():
    for _role, _word in _words.items():
        _ROLES[header_key(_word)] = _role
        _ROLES[header_key(_role)] = _role
for _alias, _role in (
    ("proprietaire", "owner"),
    ("administratrice", "admin"),
    ("administrator", "admin"),
    ("administratrice d'utilisateurs", "user_admin"),
    ("gestionnaire d'utilisateurs", "user_admin"),
    ("useradministrator", "user_admin"),
    ("apprenant", "member"),
    ("learner", "member"),
):
    _ROLES[header_key(_alias)] = _role


def parse_role(text: str) -> str | None:
    return _ROLES.get(header_key(text))


_LIST_SEPARATORS = re.compile(f"[{re.escape(LIST_SEPARATORS)}\\n]")
# Between two lines of a Groupes / Étiquettes cell: a name never spans it (no name holds one).
LINE_BREAK = "\n"


def split_contact_roles(text: str) -> list[str]:
    """Split a contact roles text by commas only, as written: the profile's rule and the import's.

    Nothing is deduplicated or reordered, so that a member's list exported as
    ``", ".join(roles)`` reads back equal.
    """
    return [part.strip() for part in (text or "").split(",") if part.strip()]


def split_pieces(text: str) -> tuple[str, ...]:
    """Split a Groupes / Étiquettes cell into its pieces, in order, ``LINE_BREAK`` between lines.

    Nothing is deduplicated: a name may hold separators (« Sales, EMEA »), and
    the import joins consecutive pieces back into it (imports.listnames).
    """
    out: list[str] = []
    for line in (text or "").splitlines():
        pieces = [p for part in _LIST_SEPARATORS.split(line) if (p := part.strip())]
        if pieces:
            if out:
                out.append(LINE_BREAK)
            out.extend(pieces)
    return tuple(out)


def split_list(text: str) -> list[str]:
    """Split a Groups/Roles/Labels cell: commas, semicolons, bars or new lines."""
    seen: dict[str, None] = {}
    for part in _LIST_SEPARATORS.split(text or ""):
        part = part.strip()
        if part:
            seen.setdefault(part, None)
    return list(seen)
