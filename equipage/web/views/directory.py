"""The members directory « Membres » and its bulk actions « Action de masse »."""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from equipage.accounts.listing import member_facts
from equipage.accounts.models import CustomField, Member, MemberState, Role
from equipage.core.errors import DomainError
from equipage.core.ids import parse_id
from equipage.directory.bulk import (
    ACTIONS,
    applicability,
    applicability_for_query,
    available_actions,
    run_bulk,
)
from equipage.directory.selectors import (
    DirectoryQuery,
    count_matching,
    directory_page,
    matching_ids,
    members_matching,
)
from equipage.groups.models import Group, Label
from equipage.invitations.guide import Guide
from equipage.organizations.selectors import seat_usage
from equipage.permissions import Actor, Cap, can, grantable_roles
from equipage.permissions.policy import members_visible_to
from equipage.web.templatetags.console import guide_label, role_label, state_label
from equipage.web.views.common import actor, requires

SELECTED = mark_safe(" selected")
# The largest selection one bulk request may carry (seed 000 rosters fit well under it).
MAX_SELECTION = 100_000
# Explicit selections up to this size are checked before running (a page holds at most 200).
APPLICABILITY_CHECK_MAX = 1000


def _choices(request: HttpRequest) -> dict[str, Any]:
    org = request.organization  # type: ignore[attr-defined]
    # The tree in path order, each name indented by its depth ("/1/4/" is one level down).
    rows = Group.objects.filter(organization=org).order_by("path").values_list("pk", "name", "path")
    return {
        "groups": [(pk, "— " * (path.count("/") - 2) + name) for pk, name, path in rows],
        "labels": list(Label.objects.filter(organization=org).order_by("name")),
        "fields": list(CustomField.objects.filter(organization=org)),
        "states": MemberState.choices,
        "roles": Role.choices,
        "guides": Guide.choices,
        "grantable": [(r, Role(r).label) for r in grantable_roles(actor(request))],
    }


@require_GET
@requires(Cap.MEMBER_VIEW)
def members(request: HttpRequest, slug: str) -> HttpResponse:
    org = request.organization  # type: ignore[attr-defined]
    act = actor(request)
    query = DirectoryQuery.from_params(request.GET)
    page = directory_page(act, query)
    facts = member_facts(page.members)
    guides = {f["id"]: f["guide"] for f in facts}
    actions = available_actions(act, org)
    applies = applicability(act, page.members, guides, actions)
    base = f"/o/{org.slug}/members/"
    rows = [
        {
            **f,
            "actions": " ".join(applies.get(f["id"], [])),
            # Worked out once here rather than by filters for every cell of every row.
            "name": f"{f['first_name']} {f['last_name']}",
            "url": f"{base}{f['id']}/",
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
        "page": page,
        "actions": actions,
        "can_create": can(act, Cap.MEMBER_CREATE, org),
        "can_export": can(act, Cap.MEMBER_EXPORT, org),
        "can_import": can(act, Cap.MEMBER_IMPORT, org),
        "filter_qs": query.querystring(),
        **choices,
        # Hundreds of groups, listed twice (filter and bulk target): built once, here.
        "group_options": format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            ((pk, SELECTED if pk == query.group else "", name) for pk, name in choices["groups"]),
        ),
    }
    if request.htmx and request.GET.get("fragment") == "table":  # type: ignore[attr-defined]
        return render(request, "web/members/_table.html", context)
    return render(request, "web/members/directory.html", context)


@require_GET
@requires(Cap.MEMBER_VIEW)
def members_seats(request: HttpRequest, slug: str) -> HttpResponse:
    """Render the seats header (loaded after the page: counting a million rows takes a while)."""
    return render(
        request,
        "web/members/_seats.html",
        {"seats": seat_usage(request.organization)},  # type: ignore[attr-defined]
    )


@require_GET
@requires(Cap.MEMBER_VIEW)
def members_count(request: HttpRequest, slug: str) -> HttpResponse:
    """Count the whole filter for « select all N » (loaded after the page, by htmx)."""
    act = actor(request)
    query = DirectoryQuery.from_params(request.GET)
    total = count_matching(act, query)
    matching = members_matching(act, query)
    applies = applicability_for_query(act, matching, query.state) if total else []
    return render(
        request,
        "web/members/_select_all.html",
        {"total": total, "applies": " ".join(applies), "filter_qs": query.querystring()},
    )


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
    org = request.organization  # type: ignore[attr-defined]
    act = actor(request)
    key = request.POST.get("action", "")
    action = ACTIONS.get(key)
    ids, query = _selection(request)
    back = f"/o/{org.slug}/members" + (f"?{query.querystring()}" if query.params() else "")
    context: dict[str, Any] = {
        "nav": "members",
        "action": action,
        "back": back,
        "count": len(ids),
        "applicable": None,
    }
    allowed = {a.key for a in available_actions(act)}
    if action is None or key not in allowed:
        context["error"] = _("Choose an action.")
        return render(request, "web/members/bulk_result.html", context, status=400)
    if not ids:
        context["error"] = _("Select at least one member.")
        return render(request, "web/members/bulk_result.html", context, status=400)
    target: dict[str, Any] = {}
    if action.needs == "group":
        target["group"] = Group.objects.filter(
            organization=org, pk=_pk(request.POST.get("group"))
        ).first()
        if target["group"] is None:
            context["error"] = _("Choose a group.")
            return render(request, "web/members/bulk_result.html", context, status=400)
    if action.needs == "label":
        target["label"] = Label.objects.filter(
            organization=org, pk=_pk(request.POST.get("label"))
        ).first()
        if target["label"] is None:
            context["error"] = _("Choose a label.")
            return render(request, "web/members/bulk_result.html", context, status=400)
    if action.needs == "role":
        role = request.POST.get("role", "")
        if role not in grantable_roles(act):
            context["error"] = _("Choose a role.")
            return render(request, "web/members/bulk_result.html", context, status=400)
        target["role"] = role
    if request.POST.get("all") != "1" and request.POST.get("confirmed") != "1":
        # A browser without JavaScript posts whatever button was pressed: say at once
        # when it applies to none of the selection, and name how many it applies to.
        applicable = _applicable_count(act, key, ids)
        if applicable == 0:
            context["none_applies"] = True
            return render(request, "web/members/bulk_result.html", context)
        if applicable is not None:
            context["applicable"] = applicable
    if action.destructive and request.POST.get("confirmed") != "1":
        context.update(
            {
                "confirm": True,
                "ids": ids if request.POST.get("all") != "1" else [],
                "all": request.POST.get("all") == "1",
                "filter": request.POST.get("filter", ""),
                "target": target,
            }
        )
        return render(request, "web/members/bulk_confirm.html", context)
    try:
        result = run_bulk(actor=act, organization=org, key=key, ids=ids, **target)
    except DomainError as exc:
        context["error"] = str(exc)
        return render(request, "web/members/bulk_result.html", context, status=exc.status)
    reasons = Counter(reason for _item, reason in result.skipped)
    context.update(
        {
            "done": len(result.done),
            "done_names": [str(m) for m in result.done[:50]],
            "skipped": len(result.skipped),
            "reasons": [
                {
                    "reason": reason,
                    "count": n,
                    "names": [str(i) for i, r in result.skipped if r == reason][:20],
                }
                for reason, n in reasons.most_common()
            ],
        }
    )
    return render(request, "web/members/bulk_result.html", context)


def _applicable_count(act: Actor, key: str, ids: list[int]) -> int | None:
    """Count the selected members ``key`` applies to, as the page's buttons do (None if too many)."""
    if len(ids) > APPLICABILITY_CHECK_MAX:
        return None
    members = list(Member.objects.filter(organization_id=act.org_id, pk__in=ids))
    guides = {f["id"]: f["guide"] for f in member_facts(members)}
    applies = applicability(act, members, guides)
    return sum(1 for keys in applies.values() if key in keys)


def _int(raw: Any) -> int | None:
    return parse_id(raw)


def _pk(raw: Any) -> int:
    """Return the posted id, or 0 (which names no row) when it is missing or not a number."""
    return _int(raw) or 0
