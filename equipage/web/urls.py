from django.urls import path

from equipage.web.views import (
    audit,
    auth,
    directory,
    emailchange,
    home,
    lifecycle,
    member_passwords,
    organization,
    profile,
    public,
    seats,
    sessions,
)
from equipage.web.views import bin as member_bin

urlpatterns = [
    path("", public.index, name="index"),
    path("o/<slug:slug>/login", auth.login, name="login"),
    path("o/<slug:slug>/logout", auth.logout, name="logout"),
    path("o/<slug:slug>/password/change/", auth.change_password, name="password_change"),
    path("o/<slug:slug>/password/set/<str:token>/", auth.set_password, name="password_set"),
    path("o/<slug:slug>/password/reset/", auth.reset_request, name="password_reset"),
    path("o/<slug:slug>/", home.home, name="home"),
    path("o/<slug:slug>/me/", home.me, name="me"),
    path(
        "o/<slug:slug>/notices/<slug:notice>/dismiss",
        home.dismiss_notice,
        name="dismiss_notice",
    ),
    path("o/<slug:slug>/members", directory.members, name="members"),
    path("o/<slug:slug>/members/count", directory.members_count, name="members_count"),
    path("o/<slug:slug>/members/seats", directory.members_seats, name="members_seats"),
    path("o/<slug:slug>/members/bulk", directory.members_bulk, name="members_bulk"),
    path("o/<slug:slug>/members/bulk/edit", directory.members_bulk_edit, name="members_bulk_edit"),
    path("o/<slug:slug>/members/bulk/undo", directory.members_undo, name="members_undo"),
    path("o/<slug:slug>/members/bin/", member_bin.members_bin, name="members_bin"),
    path(
        "o/<slug:slug>/members/<int:member_id>/row",
        directory.member_row_action,
        name="member_row_action",
    ),
    path(
        "o/<slug:slug>/members/<int:member_id>/invitation",
        profile.profile_invitation,
        name="member_invitation",
    ),
    path("o/<slug:slug>/members/new", profile.member_new, name="member_new"),
    path("o/<slug:slug>/members/<int:member_id>/", profile.profile, name="member_profile"),
    path("o/<slug:slug>/members/<int:member_id>/edit", profile.profile_edit, name="member_edit"),
    path("o/<slug:slug>/members/<int:member_id>/roles", profile.profile_roles, name="member_roles"),
    path(
        "o/<slug:slug>/members/<int:member_id>/password-link",
        profile.send_password_link,
        name="member_password_link",
    ),
    path(
        "o/<slug:slug>/members/<int:member_id>/resend-invitation",
        profile.resend_invitation,
        name="member_resend_invitation",
    ),
    path(
        "o/<slug:slug>/members/<int:member_id>/custom", profile.profile_custom, name="member_custom"
    ),
    path(
        "o/<slug:slug>/members/<int:member_id>/groups", profile.profile_groups, name="member_groups"
    ),
    path(
        "o/<slug:slug>/members/<int:member_id>/contact",
        profile.profile_contact,
        name="member_contact",
    ),
    path(
        "o/<slug:slug>/members/<int:member_id>/labels", profile.profile_labels, name="member_labels"
    ),
    path("o/<slug:slug>/groups/", organization.groups, name="groups"),
    path("o/<slug:slug>/groups/<int:group_id>/", organization.group_detail, name="group_detail"),
    path("o/<slug:slug>/labels/", organization.labels, name="labels"),
    path("o/<slug:slug>/fields/", organization.fields, name="custom_fields"),
    path("o/<slug:slug>/settings/", organization.settings_page, name="settings"),
    path("o/<slug:slug>/ownership/<int:transfer_id>/", organization.ownership, name="ownership"),
    path("o/<slug:slug>/audit/", audit.audit_page, name="audit"),
    path("o/<slug:slug>/audit/export.csv", audit.audit_export, name="audit_export"),
    # Verified e-mail changes and console sessions (issue #18 points 3 and 4).
    path("o/<slug:slug>/email/confirm/<str:token>/", emailchange.confirm, name="email_confirm"),
    path("o/<slug:slug>/me/email/cancel", emailchange.cancel, name="email_change_cancel"),
    path(
        "o/<slug:slug>/me/sessions/<int:session_id>/sign-out",
        sessions.sign_out_session,
        name="session_sign_out",
    ),
    path(
        "o/<slug:slug>/me/sessions/sign-out-others",
        sessions.sign_out_others,
        name="sessions_sign_out_others",
    ),
    path(
        "o/<slug:slug>/members/<int:member_id>/sign-out-everywhere",
        sessions.sign_out_everywhere,
        name="member_sign_out_everywhere",
    ),
    # Lifecycle policies and a member's own data (issue #19.5, #19.6).
    path("o/<slug:slug>/settings/lifecycle/", lifecycle.lifecycle_settings, name="lifecycle"),
    path("o/<slug:slug>/me/data.json", lifecycle.my_data, name="my_data"),
    path(
        "o/<slug:slug>/members/<int:member_id>/data.json", lifecycle.member_data, name="member_data"
    ),
    path("o/<slug:slug>/seats/", seats.seats_page, name="seats"),
    path(
        "o/<slug:slug>/members/<int:member_id>/temporary-password",
        member_passwords.temporary_password,
        name="member_temporary_password",
    ),
]
