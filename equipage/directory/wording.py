"""What the directory says before and after a bulk action, in plain words.

« 2 membres désactivés », not « 2 traités »: each action has its own sentence,
with its plural, and its consequences are spelled out before confirming.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext, ngettext_lazy

# ngettext_lazy(..., "n"): the count is taken from the "n" of the mapping it is formatted with.
DONE: dict[str, Any] = {
    "deactivate": ngettext_lazy("%(n)d member deactivated", "%(n)d members deactivated", "n"),
    "reactivate": ngettext_lazy("%(n)d member reactivated", "%(n)d members reactivated", "n"),
    "delete": ngettext_lazy("%(n)d member deleted", "%(n)d members deleted", "n"),
    "invite": ngettext_lazy("%(n)d member invited", "%(n)d members invited", "n"),
    "resend": ngettext_lazy("%(n)d invitation sent again", "%(n)d invitations sent again", "n"),
    "revoke": ngettext_lazy("%(n)d invitation revoked", "%(n)d invitations revoked", "n"),
    "password_link": ngettext_lazy("%(n)d password link sent", "%(n)d password links sent", "n"),
    "group_add": ngettext_lazy(
        "%(n)d member added to “%(target)s”", "%(n)d members added to “%(target)s”", "n"
    ),
    "group_remove": ngettext_lazy(
        "%(n)d member removed from “%(target)s”",
        "%(n)d members removed from “%(target)s”",
        "n",
    ),
    "label_add": ngettext_lazy(
        "Label “%(target)s” added to %(n)d member",
        "Label “%(target)s” added to %(n)d members",
        "n",
    ),
    "label_remove": ngettext_lazy(
        "Label “%(target)s” removed from %(n)d member",
        "Label “%(target)s” removed from %(n)d members",
        "n",
    ),
    "set_role": ngettext_lazy(
        "%(n)d member now has the role “%(target)s”",
        "%(n)d members now have the role “%(target)s”",
        "n",
    ),
    "restore": ngettext_lazy("%(n)d member restored", "%(n)d members restored", "n"),
    "restore_roles": ngettext_lazy(
        "%(n)d member has their former roles back",
        "%(n)d members have their former roles back",
        "n",
    ),
}
CHANGED = ngettext_lazy("%(n)d member changed", "%(n)d members changed", "n")


def done_sentence(key: str, n: int, target: str = "") -> str:
    """Say what a bulk action did to ``n`` members (``target``: the group, label or role)."""
    return str(DONE.get(key, CHANGED) % {"n": n, "target": target})


def consequence(key: str, target: str = "") -> str:
    """Say what will happen to the members, before confirming (logged out, seat, history)."""
    if key == "deactivate":
        return _(
            "They are logged out at once and can no longer log in; their seat is freed."
            " Their history is kept and you can reactivate them."
        )
    if key == "delete":
        return _(
            "They go to the bin: logged out at once, their seat freed. You can restore them"
            " from the bin with their roles, groups and labels until it erases them for good."
        )
    if key == "revoke":
        return _(
            "Their invitation link stops working and their seat is freed; they stay in the"
            " list and can be invited again."
        )
    if key == "set_role":
        return _(
            "Their administrative role becomes “%(role)s”, replacing the one they have;"
            " the owner keeps ownership."
        ) % {"role": target}
    return ""


def confirm_button(n: int, label: str, *, exact: bool = True) -> str:
    """Name the confirming button after the action and the count it will apply to.

    ``exact`` is false for a selection too large to check beforehand: « up to » then.
    """
    if not exact:
        return ngettext("%(what)s: up to %(n)d member", "%(what)s: up to %(n)d members", n) % {
            "what": label,
            "n": n,
        }
    return ngettext("%(what)s: %(n)d member", "%(what)s: %(n)d members", n) % {
        "what": label,
        "n": n,
    }
