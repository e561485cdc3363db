from django.urls import path

from silo import revisions, views

app_name = "silo"

urlpatterns = [
    path("", views.entry_list, name="list"),
    path("upload/", views.upload, name="upload"),
    path("<uuid:entry_id>/", views.entry_detail, name="entry"),
    path("<uuid:entry_id>/edit/", views.entry_edit, name="edit"),
    path("<uuid:entry_id>/run/", views.run_panel, name="run_panel"),
    path(
        "<uuid:entry_id>/revisions/<int:number>/restore/",
        revisions.restore,
        name="restore_revision",
    ),
    path("<uuid:entry_id>/run/start/", views.run_workflow, name="run_workflow"),
    path(
        "<uuid:entry_id>/attachments/<uuid:attachment_id>/",
        views.attachment_download,
        name="attachment",
    ),
]
