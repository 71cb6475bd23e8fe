from django.urls import path

from equipage.imports import views

urlpatterns = [
    path("o/<slug:slug>/members/import/", views.import_page, name="members_import"),
    path("o/<slug:slug>/members/import", views.import_page),
    path("o/<slug:slug>/members/import/<int:job_id>/", views.job_page, name="import_job"),
    path(
        "o/<slug:slug>/members/import/<int:job_id>/progress",
        views.job_progress,
        name="import_progress",
    ),
    path(
        "o/<slug:slug>/members/import/<int:job_id>/confirm",
        views.job_confirm,
        name="import_confirm",
    ),
    path(
        "o/<slug:slug>/members/import/<int:job_id>/cancel",
        views.job_cancel,
        name="import_cancel",
    ),
    path(
        "o/<slug:slug>/members/import/<int:job_id>/errors.csv",
        views.job_errors_csv,
        name="import_errors",
    ),
    path(
        "o/<slug:slug>/members/import/<int:job_id>/changes.csv",
        views.job_changes_csv,
        name="import_changes",
    ),
    path("o/<slug:slug>/members/export", views.export_download, name="members_export"),
]
