"""The directory's rows rendered in Python are the former row template's, byte for byte.

The row template below is the one the directory used before ``web/member_rows.py``
(kept here as the oracle): every shape of row (each envelope, each menu button,
names that need escaping, missing e-mail and last login, several roles, groups and
labels) is rendered both ways, in English and in French, and must be identical.
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pytest
from django.template import Context, Template
from django.utils import translation

from equipage.web.member_rows import render_member_rows

ROW_TEMPLATE = (
    "{% load i18n %}{% for r in rows %}"
    + '\n  <tr data-state="{{ r.state }}">\n    <td class="sel"><input type="checkbox" name="ids" value="{{ r.id }}" aria-label="{% blocktranslate with name=r.name %}Select {{ name }}{% endblocktranslate %}" data-actions="{{ r.actions }}"></td>\n    <td class="c-name"><a href="{{ r.url }}">{{ r.name }}</a></td>\n    <td class="c-login">{{ r.login }}</td>\n    <td class="c-email">{{ r.email|default:"—" }}\n      {% if r.mail_status == "bounced" %}<span class="env bounced" title="{% translate \'The last e-mail bounced\' %}" role="img" aria-label="{% translate \'The last e-mail bounced\' %}">✉✗</span>\n      {% elif r.first_invited_at and "resend" in r.applies %}<button type="submit" form="row-form" name="action" value="resend" class="env sent" formaction="/o/{{ organization.slug }}/members/{{ r.id }}/row" title="{% blocktranslate with d=r.first_invited_at|slice:\':10\' %}Invitation sent, first on {{ d }}. Click to send a new invitation.{% endblocktranslate %}" aria-label="{% blocktranslate with d=r.first_invited_at|slice:\':10\' name=r.name %}Send a new invitation to {{ name }} (first sent on {{ d }}){% endblocktranslate %}">✉</button>\n      {% elif "invite" in r.applies %}<button type="submit" form="row-form" name="action" value="invite" class="env invite" formaction="/o/{{ organization.slug }}/members/{{ r.id }}/row" title="{% translate \'No access yet. Click to invite them by e-mail.\' %}" aria-label="{% blocktranslate with name=r.name %}Invite {{ name }} by e-mail (no access yet){% endblocktranslate %}">✉</button>\n      {% elif r.first_invited_at %}<span class="env sent" role="img" aria-label="{% blocktranslate with d=r.first_invited_at|slice:\':10\' %}Invitation sent, first on {{ d }}{% endblocktranslate %}" title="{% blocktranslate with d=r.first_invited_at|slice:\':10\' %}Invitation sent, first on {{ d }}{% endblocktranslate %}">✉</span>{% endif %}</td>\n    <td class="c-roles">{% for label in r.role_labels %}<span class="badge">{{ label }}</span> {% endfor %}</td>\n    <td class="c-groups">{{ r.groups|join:", " }}</td>\n    <td class="c-labels">{% for l in r.labels %}<span class="badge">{{ l }}</span> {% endfor %}</td>\n    <td class="c-state"><span class="card-label">{% translate "State:" %} </span><span class="state state-{{ r.state }}">{{ r.state_label }}</span></td>\n    <td class="c-guide"><span class="card-label">{% translate "Guide:" %} </span><span class="badge guide-{{ r.guide }}">{{ r.guide_label }}</span></td>\n    <td class="c-last">{% if r.last_login_at %}{{ r.last_login_at|date:"SHORT_DATE_FORMAT" }}{% else %}—{% endif %}</td>\n    <td class="c-menu"><details class="row-menu">\n      <summary aria-label="{% blocktranslate with name=r.name %}Actions for {{ name }}{% endblocktranslate %}"><span aria-hidden="true">⋯</span></summary>\n      <div class="menu">\n        <a href="{{ r.url }}">{% translate "Open the profile" %}</a>\n        {% if "invite" in r.applies %}<button type="submit" form="row-form" formaction="/o/{{ organization.slug }}/members/{{ r.id }}/row" name="action" value="invite">{% translate "Invite by e-mail" %}</button>{% endif %}\n        {% if "resend" in r.applies %}<button type="submit" form="row-form" formaction="/o/{{ organization.slug }}/members/{{ r.id }}/row" name="action" value="resend">{% translate "Resend the invitation" %}</button>{% endif %}\n        {% if r.password_link %}<button type="submit" form="row-form" formaction="/o/{{ organization.slug }}/members/{{ r.id }}/row" name="action" value="password_link">{% translate "Send a password link" %}</button>{% endif %}\n        {% if "reactivate" in r.applies %}<button type="submit" form="row-form" formaction="/o/{{ organization.slug }}/members/{{ r.id }}/row" name="action" value="reactivate">{% translate "Reactivate" %}</button>{% endif %}\n        {% if "revoke" in r.applies %}<button type="submit" form="row-form" formaction="/o/{{ organization.slug }}/members/{{ r.id }}/row" name="action" value="revoke" class="danger-text">{% translate "Cancel the invitation…" %}</button>{% endif %}\n        {% if "deactivate" in r.applies %}<button type="submit" form="row-form" formaction="/o/{{ organization.slug }}/members/{{ r.id }}/row" name="action" value="deactivate" class="danger-text">{% translate "Deactivate…" %}</button>{% endif %}\n      </div>\n    </details></td>\n  </tr>\n  '
    + "{% endfor %}"
)

APPLIES = ([], ["invite"], ["resend", "revoke"], ["reactivate"], ["deactivate", "invite"])
NAMES = ("Mia Member", '<b>O\'Brien & "Co"</b>', "Élodie Ñúñez")


def _row(
    i: int, name: str, applies: list[str], mail: str | None, invited: str | None
) -> dict[str, Any]:
    return {
        "id": 100 + i,
        "name": name,
        "login": f"login<{i}>",
        "email": "" if i % 4 == 0 else f"m{i}&x@example.test",
        "state": ["active", "invited", "deactivated"][i % 3],
        "state_label": ["Active", "Invited", "Deactivated"][i % 3],
        "guide": "invite",
        "guide_label": "Invite <now>",
        "actions": " ".join(applies),
        "applies": applies,
        "password_link": i % 2 == 0,
        "url": f"/o/acme/members/{100 + i}/",
        "role_labels": ["Owner", "Member"][: 1 + i % 2],
        "groups": ["Région <1>", "A & B"][: i % 3],
        "labels": ["VIP", "l'étiquette"][: i % 3],
        "last_login_at": None if i % 3 == 0 else dt.datetime(2026, 11, 30, 23, 30, tzinfo=dt.UTC),
        "first_invited_at": invited,
        "mail_status": mail,
    }


ROWS = [
    _row(i, name, applies, mail, invited)
    for i, (name, applies, mail, invited) in enumerate(
        itertools.product(
            NAMES, APPLIES, (None, "bounced", "sent"), (None, "2026-10-01T09:00:00+00:00")
        )
    )
]


@pytest.mark.parametrize("language", ["en", "fr"])
def test_python_rows_are_the_row_template_byte_for_byte(language: str) -> None:
    with translation.override(language):
        expected = Template(ROW_TEMPLATE).render(
            Context({"rows": ROWS, "organization": {"slug": "acme"}})
        )
        assert str(render_member_rows(ROWS, "acme")) == expected


def test_a_name_cannot_break_out_of_its_attribute() -> None:
    html = str(
        render_member_rows([_row(0, 'x" onmouseover="alert(1)', ["invite"], None, None)], "acme")
    )
    assert 'onmouseover="alert' not in html
    assert "x&quot; onmouseover=&quot;alert(1)" in html


# The table head the directory's template wrote before ``render_members_thead`` (the oracle).
THEAD_TEMPLATE = (
    "{% load i18n %}"
    + '  <thead><tr>\n    <th scope="col" class="sel"><span class="visually-hidden">{% translate "Selection" %}</span></th>\n    <th scope="col" {% if query.sort == "name" %}aria-sort="ascending"{% elif query.sort == "-name" %}aria-sort="descending"{% endif %}>\n      <a href="?{% if query.sort == \'name\' %}{{ query.querystring|default:\'\' }}&amp;sort=-name{% else %}{{ query.querystring }}&amp;sort=name{% endif %}">{% translate "Name" %}</a></th>\n    <th scope="col" class="c-login">{% translate "Login" %}</th>\n    <th scope="col">{% translate "E-mail" %}</th>\n    <th scope="col" class="c-roles">{% translate "Roles" %}</th>\n    <th scope="col" class="c-groups">{% translate "Groups" %}</th>\n    <th scope="col" class="c-labels">{% translate "Labels" %}</th>\n    <th scope="col">{% translate "State" %}</th>\n    <th scope="col">{% translate "Guide" %}</th>\n    <th scope="col" class="c-last">{% translate "Last login" %}</th>\n    <th scope="col" class="c-menu"><span class="visually-hidden">{% translate "Actions" %}</span></th>\n  </tr></thead>'
)


@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.parametrize("sort", ["name", "-name", "login", "-created"])
@pytest.mark.parametrize("params", [{}, {"q": '<b>"Élodie" & co'}, {"role": "admin", "q": "x"}])
def test_the_table_head_is_the_former_template_s(
    language: str, sort: str, params: dict[str, str]
) -> None:
    from equipage.directory.selectors import DirectoryQuery
    from equipage.web.member_rows import render_members_thead

    query = DirectoryQuery.from_params({**params, "sort": sort})
    with translation.override(language):
        expected = Template(THEAD_TEMPLATE).render(Context({"query": query}))
        assert str(render_members_thead(query)) == expected


NAV_TEMPLATE = (
    '{% load i18n %}{% if organization %}{% for e in nav_entries %}<a href="{{ e.url }}" '
    '{% if nav == e.key %}aria-current="page"{% endif %}>{{ e.label }}</a>{% endfor %}{% endif %}'
)


@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.parametrize("current", ["members", "groups", None])
def test_the_kept_navigation_is_the_former_template_s_and_follows_the_entries(
    language: str, current: str | None
) -> None:
    from django.utils.translation import gettext_lazy

    from equipage.web.templatetags.console import nav_links

    entries = [
        {"key": "members", "label": gettext_lazy("Members"), "url": "/o/a&b/members"},
        {"key": "groups", "label": gettext_lazy("Groups"), "url": "/o/a&b/groups/"},
    ]
    fewer = entries[:1]
    with translation.override(language):
        for shown in (entries, fewer, entries):  # a viewer with fewer entries, then again
            context = {"organization": object(), "nav_entries": shown, "nav": current}
            expected = Template(NAV_TEMPLATE).render(Context(context))
            assert str(nav_links(Context(context))) == expected
        assert nav_links(Context({"organization": None, "nav_entries": entries})) == ""
