"""The console's workflow screens: the list, the editor, developer mode, the catalogue.

Several modules add their views here; keep one ``path`` per line so that edits stay small.
"""

from django.urls import path  # noqa: F401 - the screens' paths are added below

from workflows import developer, run, versions, views

app_name = "workflows"

urlpatterns = [
    path("", views.workflow_list, name="list"),
    path("new/", views.create, name="create"),
    path("import/", views.import_json, name="import"),
    path("<uuid:workflow_id>/duplicate/", views.duplicate, name="duplicate"),
    path("<uuid:workflow_id>/export.json", views.export_json, name="export"),
    path("<uuid:workflow_id>/delete/", views.delete, name="delete"),
    path("<uuid:workflow_id>/run/", run.run_panel, name="run_panel"),
    path("<uuid:workflow_id>/run/start/", run.run_start, name="run_start"),
    path("<uuid:workflow_id>/developer/", developer.developer_mode, name="developer"),
    path("<uuid:workflow_id>/versions/", versions.versions, name="versions"),
    path("<uuid:workflow_id>/versions/<int:number>/restore/", versions.restore, name="restore"),
]
