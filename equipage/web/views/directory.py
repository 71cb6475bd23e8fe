"""The members directory « Membres » and its bulk actions « Action de masse »."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from functools import partial
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from equipage.accounts.models import Member, MemberState, Role
from equipage.accounts.selectors import members_by_ids
from equipage.core.errors import DomainError, NotFound
from equipage.core.ids import parse_id
from equipage.directory.bulk import (
    ACTIONS,
    BulkAction,
    applicability,
    applicability_for_query,
    available_actions,
    run_bulk,
)
from equipage.directory.catalog import directory_catalog
from equipage.directory.listing import member_facts
from equipage.directory.selectors import (
    IDLE_DAYS,
    DirectoryQuery,
    count_matching,
    directory_page,
    matching_ids,
    members_matching,
)
from equipage.directory.undo import (
    UNDO_MAX,
    UNDO_SECONDS,
    combine_tokens,
    roles_before,
    run_undo,
    undo_token,
)
from equipage.directory.wording import confirm_button, consequence, done_sentence
from equipage.groups.selectors import group_in, labels_by_name
from equipage.invitations.guide import Guide
from equipage.organizations.selectors import seat_usage
from equipage.permissions import Actor, Cap, access_label_by_id, can, grantable_roles
from equipage.permissions.policy import members_visible_to
from equipage.web.directory_fragments import bulk_bar, filter_drawer
from equipage.web.member_rows import render_member_rows
from equipage.web.templatetags.console import (
    guide_label,
    person,
    person_name,
    role_label,
    state_label,
)
from equipage.web.views.common import actor, requires

SELECTED = mark_safe(" selected")
# The largest selection one bulk request may carry (seed 000 rosters fit well under it).
MAX_SELECTION = 100_000
# Explicit selections up to this size are checked before running (a page holds at most 200).
APPLICABILITY_CHECK_MAX = 1000


def _choices(request: HttpRequest) -> dict[str, Any]:
    org = request.organization  # type: ignore[attr-defined]
    catalog = directory_catalog(org)  # groups, labels and fields: this process's copy
    return {
        "catalog": catalog,
        "groups": catalog.groups,
        "labels": catalog.labels,
        "fields": catalog.fields,
        "states": [c for c in MemberState.choices if c[0] != MemberState.BINNED],
        "roles": Role.choices,
        "guides": Guide.choices,
        "grantable": [(r, Role(r).label) for r in grantable_roles(actor(request))],
    }


@require_GET
@requires(Cap.MEMBER_VIEW)
def members(request: HttpRequest, slug: str) -> HttpResponse:
    context = directory_context(request, DirectoryQuery.from_params(request.GET))
    context["result"] = request.session.pop("bulk_result", None)
    if request.htmx and request.GET.get("fragment") == "table":  # type: ignore[attr-defined]
        return render(request, "web/members/_table.html", context)
    return render(request, "web/members/directory.html", context)


def directory_context(request: HttpRequest, query: DirectoryQuery) -> dict[str, Any]:
    """Everything the directory page shows for ``query`` (also re-rendered after a bulk action)."""
    org = request.organization  # type: ignore[attr-defined]
    act = actor(request)
    page = directory_page(act, query)
    facts = member_facts(page.members)
    guides = {f["id"]: f["guide"] for f in facts}
    # The page's members are visible to the actor and their roles are loaded: the reach
    # of each button is worked out from them, without a query per kind of reach.
    roles = {f["id"]: f["roles"] for f in facts}
    actions = available_actions(act, org)
    applies = applicability(act, page.members, guides, actions, roles)
    base = f"/o/{org.slug}/members/"
    rows = [
        {
            **f,
            "actions": " ".join(with_edit(applies.get(f["id"], []))),
            "applies": applies.get(f["id"], []),
            "password_link": "password_link" in applies.get(f["id"], []),
            # Worked out once here rather than by filters for every cell of every row;
            # an invitee without a name yet is named by their e-mail.
            "name": person_name(f["first_name"], f["last_name"], f["email"], f["login"]),
            "url": f"{base}{f['id']}/",
            # Written the viewer's way by the template (03/12/2026, 12/03/2026).
            "last_login_at": dt.datetime.fromisoformat(f["last_login"])
            if f["last_login"]
            else None,
            "role_labels": [role_label(r) for r in f["roles"]],
            "state_label": state_label(f["state"]),
            "guide_label": guide_label(f["guide"]),
        }
        for f in facts
    ]
    choices = _choices(request)
    context = {
        "nav": "members",
        "query": query,
        "rows": rows,
        "rows_html": render_member_rows(rows, org.slug),
        "page": page,
        "actions": actions,
        "can_create": can(act, Cap.MEMBER_CREATE, org),
        "can_export": can(act, Cap.MEMBER_EXPORT, org),
        "can_import": can(act, Cap.MEMBER_IMPORT, org),
        "can_bin": can(act, Cap.MEMBER_DELETE, org),
        "filter_qs": query.querystring(),
        "drawer_filters": _drawer_filters(query),
        "can_edit_selection": any(a.key in EDIT_KEYS for a in actions),
        "undo_minutes": UNDO_SECONDS // 60,
        "idle_choices": IDLE_DAYS,
        **choices,
        # Hundreds of groups, listed twice (filter and bulk target): laid out once a catalog.
        "group_options": choices["catalog"].group_options(query.group),
    }
    # Called by the template only where they show (not by the table's fragment).
    context["filter_drawer"] = partial(filter_drawer, choices["catalog"], query, context)
    context["bulk_bar"] = partial(bulk_bar, choices["catalog"], query, context, org)
    return context


@require_GET
@requires(Cap.MEMBER_VIEW)
def members_seats(request: HttpRequest, slug: str) -> HttpResponse:
    """Render the seats header (loaded after the page: counting a million rows takes a while)."""
    return render(
        request,
        "web/members/_seats.html",
        {
            "seats": seat_usage(request.organization),  # type: ignore[attr-defined]
            "may_change_seats": can(actor(request), Cap.ORG_BILLING, request.organization),  # type: ignore[attr-defined]
        },
    )


@require_GET
@requires(Cap.MEMBER_VIEW)
def members_count(request: HttpRequest, slug: str) -> HttpResponse:
    """Count the whole filter for « select all N » (loaded after the page, by htmx)."""
    act = actor(request)
    query = DirectoryQuery.from_params(request.GET)
    total = count_matching(act, query)
    if request.GET.get("only") == "total":
        return render(request, "web/members/_total.html", {"total": total})
    matching = members_matching(act, query)
    applies = applicability_for_query(act, matching, query.state) if total else []
    return render(
        request,
        "web/members/_select_all.html",
        {
            "total": total,
            "applies": " ".join(with_edit(applies)),
            "filter_qs": query.querystring(),
        },
    )


def _drawer_filters(query: DirectoryQuery) -> int:
    """Count the filters set besides the search words (shown on the folded drawer)."""
    params = query.params()
    return sum(1 for k, v in params.items() if v and k not in ("q", "sort", "subgroups"))


def _selection(request: HttpRequest) -> tuple[list[int], DirectoryQuery]:
    act = actor(request)
    query = DirectoryQuery.from_params(_parse_qs(request.POST.get("filter", "")))
    if request.POST.get("all") == "1":
        return matching_ids(act, query)[:MAX_SELECTION], query
    raw = request.POST.getlist("ids")
    wanted = [i for i in map(parse_id, raw) if i is not None][:MAX_SELECTION]
    visible: list[int] = []
    for start in range(0, len(wanted), 5000):
        chunk = wanted[start : start + 5000]
        visible.extend(members_visible_to(act).filter(pk__in=chunk).values_list("pk", flat=True))
    return visible, query


def _parse_qs(raw: str) -> dict[str, str]:
    from urllib.parse import parse_qsl

    return dict(parse_qsl(raw[:4000]))


@require_POST
@requires(Cap.MEMBER_VIEW)
def members_bulk(request: HttpRequest, slug: str) -> HttpResponse:
    """Run a bulk action on the selection; confirm first when it is destructive or a role."""
    ids, query = _selection(request)
    if request.POST.get("action") == "edit":
        return _edit_form(request, ids, query)
    return bulk_request(request, request.POST.get("action", ""), ids, query)


# « Éditer » (seed 001): roles and labels of the whole selection in one form.
EDIT_KEYS = ("set_role", "label_add", "label_remove")


def with_edit(keys: list[str]) -> list[str]:
    """Add « edit » to the keys that apply when one of the actions it gathers applies."""
    return [*keys, "edit"] if any(k in keys for k in EDIT_KEYS) else keys


def _edit_form(request: HttpRequest, ids: list[int], query: DirectoryQuery) -> HttpResponse:
    """Show the « Éditer » form for the selection: one role for all, labels to add or remove."""
    org = request.organization  # type: ignore[attr-defined]
    act = actor(request)
    allowed = {a.key for a in available_actions(act)} & set(EDIT_KEYS)
    back = directory_url(org, query)
    if not allowed or not ids:
        context = {"nav": "members", "back": back, "action": None}
        context["error"] = _("Select at least one member.") if allowed else _("Choose an action.")
        return refused(request, context)
    members = members_by_ids(org.pk, ids[:10])
    return step(
        request,
        "bulk_edit",
        {
            "nav": "members",
            "back": back,
            "count": len(ids),
            "ids": [] if request.POST.get("all") == "1" else ids,
            "all": request.POST.get("all") == "1",
            "filter": request.POST.get("filter", ""),
            "will": {"names": [person(m) for m in members], "more": max(0, len(ids) - 10)},
            "may_role": "set_role" in allowed,
            "may_label": "label_add" in allowed,
            "grantable": _choices(request)["grantable"],
            "labels": labels_by_name(org.pk),
        },
    )


@require_POST
@requires(Cap.MEMBER_VIEW)
def members_bulk_edit(request: HttpRequest, slug: str) -> HttpResponse:
    """Apply the « Éditer » form: each change is its own bulk action, undone together."""
    org = request.organization  # type: ignore[attr-defined]
    act = actor(request)
    ids, query = _selection(request)
    allowed = {a.key for a in available_actions(act)}
    steps: list[tuple[str, dict[str, Any]]] = []
    role = request.POST.get("role", "")
    if role and "set_role" in allowed and role in grantable_roles(act):
        steps.append(("set_role", {"role": role}))
    for key, field in (("label_add", "add_label"), ("label_remove", "remove_label")):
        if key not in allowed:
            continue
        wanted = [i for i in map(parse_id, request.POST.getlist(field)) if i is not None]
        for label in labels_by_name(org.pk, wanted):
            steps.append((key, {"label": label}))
    if not ids or not steps:
        return show_result(request, {"level": "notice", "text": _("Nothing to change.")}, query)
    summaries: list[dict[str, Any]] = []
    tokens: list[str] = []
    for key, target in steps:
        previous = roles_before(ids) if key == "set_role" and len(ids) <= UNDO_MAX else None
        try:
            result = run_bulk(actor=act, organization=org, key=key, ids=ids, **target)
        except DomainError as exc:
            summaries.append({"text": str(exc), "skipped": [], "names": [], "more": 0})
            continue
        summaries.append(_summary(key, result, _target_name(target), "", query))
        done = [m.pk for m in result.done]
        tokens.append(
            undo_token(
                actor=act,
                organization=org,
                key=key,
                done=done,
                target=target,
                previous_roles=previous,
            )
        )
    combined = {
        "level": "ok",
        "text": " · ".join(x["text"] for x in summaries),
        "names": summaries[0]["names"],
        "more": summaries[0]["more"],
        "skipped": [r for x in summaries for r in x["skipped"]],
        "undo": combine_tokens([t for t in tokens if t], actor=act, organization=org),
        "filter": query.querystring(),
    }
    return show_result(request, combined, query)


def directory_url(org: Any, query: DirectoryQuery) -> str:
    return f"/o/{org.slug}/members" + (f"?{query.querystring()}" if query.params() else "")


def bulk_request(
    request: HttpRequest, key: str, ids: list[int], query: DirectoryQuery
) -> HttpResponse:
    """Confirm or run bulk action ``key`` on ``ids``; the result is shown on the directory."""
    org = request.organization  # type: ignore[attr-defined]
    act = actor(request)
    action = ACTIONS.get(key)
    back = directory_url(org, query)
    context: dict[str, Any] = {"nav": "members", "action": action, "back": back, "count": len(ids)}
    allowed = {a.key for a in available_actions(act)}
    if action is None or key not in allowed:
        context["error"] = _("Choose an action.")
        return refused(request, context)
    if not ids:
        context["error"] = _("Select at least one member.")
        return refused(request, context)
    target, problem = _target(request, action.needs)
    if problem:
        context["error"] = problem
        return refused(request, context)
    confirmed = request.POST.get("confirmed") == "1"
    everyone = request.POST.get("all") == "1"
    split = None if confirmed else _split(act, key, ids)
    if split is not None and not split[0]:
        # A browser without JavaScript posts whatever button was pressed: say at once
        # that it applies to none of the selection.
        return show_result(
            request,
            {
                "level": "notice",
                "text": ngettext(
                    "“%(what)s” applies to none of the %(n)d selected member: nothing was changed.",
                    "“%(what)s” applies to none of the %(n)d selected members: nothing was changed.",
                    len(ids),
                )
                % {"what": action.label, "n": len(ids)},
            },
            query,
        )
    if confirmed and must_type_count(key, everyone) and not typed_count_matches(request, ids):
        context["error"] = ngettext(
            "To delete the %(n)d member, type the number %(n)d in the confirmation.",
            "To delete all %(n)d members, type the number %(n)d in the confirmation.",
            len(ids),
        ) % {"n": len(ids)}
        return refused(request, context)
    if action.asks_confirmation and not confirmed:
        return step(
            request,
            "bulk_confirm",
            _confirm_context(context, action, ids, split, target, everyone, request),
        )
    previous = roles_before(ids) if key == "set_role" and len(ids) <= UNDO_MAX else None
    try:
        result = run_bulk(actor=act, organization=org, key=key, ids=ids, **target)
    except DomainError as exc:
        return show_result(request, {"level": "error", "text": str(exc)}, query)
    what = _target_name(target)
    token = undo_token(
        actor=act,
        organization=org,
        key=key,
        done=[m.pk for m in result.done],
        target=target,
        previous_roles=previous,
    )
    return show_result(request, _summary(key, result, what, token, query), query)


def must_type_count(key: str, everyone: bool) -> bool:
    """Tell whether confirming asks to type the count: deleting « all N matching »."""
    return key == "delete" and everyone


def typed_count_matches(request: HttpRequest, ids: list[int]) -> bool:
    """Tell whether the confirmation's typed count is the number of members it deletes."""
    typed = request.POST.get("typed_count", "").strip().replace(" ", "").replace("\u202f", "")
    return typed == str(len(ids))


def _target(request: HttpRequest, needs: str) -> tuple[dict[str, Any], str]:
    """Return the group, label or role the action needs, or the message asking for it."""
    org = request.organization  # type: ignore[attr-defined]
    raw = request.POST.get(needs, "")
    if needs == "group":
        group = group_in(org.pk, _pk(raw))
        return {"group": group}, "" if group else _("Choose a group.")
    if needs == "label":
        try:
            label = access_label_by_id(actor(request), raw, None)
        except NotFound:
            return {"label": None}, _("Choose a label.")
        return {"label": label}, ""
    if needs == "role":
        ok = raw in grantable_roles(actor(request))
        return {"role": raw}, "" if ok else _("Choose a role.")
    return {}, ""


def _target_name(target: dict[str, Any]) -> str:
    if target.get("role"):
        return str(Role(target["role"]).label)
    thing = target.get("group") or target.get("label")
    return thing.name if thing is not None else ""


def _names(members: list[Any], limit: int = 10) -> dict[str, Any]:
    """The first names of a list, and how many more there are (« Ana, Léo and 12 others »)."""
    return {"names": [person(m) for m in members[:limit]], "more": max(0, len(members) - limit)}


def _confirm_context(
    context: dict[str, Any],
    action: BulkAction,
    ids: list[int],
    split: tuple[list[Member], list[Member]] | None,
    target: dict[str, Any],
    everyone: bool,
    request: HttpRequest,
) -> dict[str, Any]:
    """What the confirmation says: exactly whom it will change, whom it skips, what happens."""
    what = _target_name(target)
    applies = len(split[0]) if split is not None else len(ids)
    return {
        **context,
        "ids": [] if everyone else ids,
        "all": everyone,
        "filter": request.POST.get("filter", ""),
        "target": target,
        "exact": split is not None,
        "applies": applies,
        "will": _names(split[0]) if split is not None else None,
        "skips": _names(split[1]) if split is not None else None,
        "skipped_count": len(split[1]) if split is not None else 0,
        "consequence": consequence(action.key, what),
        "type_count": len(ids) if must_type_count(action.key, everyone) else None,
        "button": confirm_button(applies, str(action.label), exact=split is not None),
        "title": _("%(action)s “%(what)s”") % {"action": action.label, "what": what}
        if what
        else str(action.label),
    }


def _summary(key: str, result: Any, what: str, token: str, query: DirectoryQuery) -> dict[str, Any]:
    """Turn a bulk result into the plain words shown on the directory, with the skipped and why."""
    reasons = Counter(reason for _item, reason in result.skipped)
    return {
        "level": "ok" if result.done else "notice",
        "text": done_sentence(key, len(result.done), what),
        **_names(result.done),
        "skipped": [
            {
                "reason": reason,
                "count": n,
                **_names([i for i, r in result.skipped if r == reason]),
            }
            for reason, n in reasons.most_common()
        ],
        "undo": token,
        "filter": query.querystring(),
    }


def show_result(
    request: HttpRequest, result: dict[str, Any], query: DirectoryQuery
) -> HttpResponse:
    """Show a bulk result on the directory (issue 15.2).

    With htmx, in place: the result region and, out of band, the list as it is now.
    Without JavaScript, by redirect to the directory, which shows it once.
    """
    if request.htmx:  # type: ignore[attr-defined]
        context = directory_context(request, query)
        context["result"] = result
        return render(request, "web/members/_bulk_outcome.html", context)
    flash_result(request, result)
    return redirect(directory_url(request.organization, query))  # type: ignore[attr-defined]


def refused(request: HttpRequest, context: dict[str, Any]) -> HttpResponse:
    """Say why a bulk request cannot run: in the result region with htmx, else on its page."""
    if request.htmx:  # type: ignore[attr-defined]
        # 200: htmx swaps only successful answers; the words say it was refused.
        result = {"level": "error", "text": context["error"]}
        return render(request, "web/members/_result.html", {"result": result})
    return render(request, "web/members/bulk_result.html", context, status=400)


def step(request: HttpRequest, name: str, context: dict[str, Any]) -> HttpResponse:
    """Render the confirmation or « Éditer » form: in the result region with htmx, else a page."""
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, f"web/members/_{name}.html", {**context, "inline": True})
    return render(request, f"web/members/{name}.html", context)


def flash_result(request: HttpRequest, result: dict[str, Any]) -> None:
    """Keep the result for the next directory page (shown once, then forgotten)."""
    request.session["bulk_result"] = result


@require_POST
@requires(Cap.MEMBER_VIEW)
def members_undo(request: HttpRequest, slug: str) -> HttpResponse:
    """« Annuler »: run the inverse of a recent bulk action, authorized and audited again."""
    org = request.organization  # type: ignore[attr-defined]
    query = DirectoryQuery.from_params(_parse_qs(request.POST.get("filter", "")))
    try:
        key, result = run_undo(
            actor=actor(request), organization=org, token=request.POST.get("token", "")
        )
    except DomainError as exc:
        return show_result(request, {"level": "error", "text": str(exc)}, query)
    summary = _summary(key, result, "", "", query)
    summary["text"] = _("Undone: %(what)s.") % {"what": summary["text"]}
    return show_result(request, summary, query)


def _split(act: Actor, key: str, ids: list[int]) -> tuple[list[Member], list[Member]] | None:
    """Split the selection into the members ``key`` applies to and the others (None if too many)."""
    if len(ids) > APPLICABILITY_CHECK_MAX:
        return None
    members = members_by_ids(act.org_id, ids)
    guides = {f["id"]: f["guide"] for f in member_facts(members)}
    applies = applicability(act, members, guides)
    yes = [m for m in members if key in applies.get(m.pk, [])]
    no = [m for m in members if key not in applies.get(m.pk, [])]
    return yes, no


def _int(raw: Any) -> int | None:
    return parse_id(raw)


def _pk(raw: Any) -> int:
    """Return the posted id, or 0 (which names no row) when it is missing or not a number."""
    return _int(raw) or 0


@require_POST
@requires(Cap.MEMBER_VIEW)
def member_row_action(request: HttpRequest, slug: str, member_id: int) -> HttpResponse:
    """The row menu and the envelope (seeds 003, 004): one member, the result on the directory.

    Bulk actions go through the same path as the bulk panel (confirmation, result, undo);
    the set-password link goes through its own action.
    """
    from equipage.accounts.actions import member_send_password_link
    from equipage.permissions import access_member_by_id

    org = request.organization  # type: ignore[attr-defined]
    act = actor(request)
    query = DirectoryQuery.from_params(_parse_qs(request.POST.get("filter", "")))
    key = request.POST.get("action", "")
    if key != "password_link":
        member = access_member_by_id(act, member_id)
        return bulk_request(request, key, [member.pk], query)
    member = access_member_by_id(act, member_id, Cap.MEMBER_PASSWORD_LINK)
    try:
        member_send_password_link(actor=act, member=member)
    except DomainError as exc:
        flash_result(request, {"level": "error", "text": str(exc)})
    else:
        flash_result(
            request,
            {
                "level": "ok",
                "text": _("A single-use link to choose a password was sent to %(email)s.")
                % {"email": member.email},
            },
        )
    return redirect(directory_url(org, query))
