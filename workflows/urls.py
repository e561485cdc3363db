"""The console's workflow screens: the list, the editor, developer mode, the catalogue."""

from django.urls import path

from workflows import catalogue, developer, editor, run, versions, views

app_name = "workflows"

urlpatterns = [
    path("", views.workflow_list, name="list"),
    path("new/", views.create, name="create"),
    path("import/", views.import_json, name="import"),
    path("<uuid:workflow_id>/duplicate/", views.duplicate, name="duplicate"),
    path("<uuid:workflow_id>/export.json", views.export_json, name="export"),
    path("<uuid:workflow_id>/delete/", views.delete, name="delete"),
    path("<uuid:workflow_id>/unarchive/", views.unarchive, name="unarchive"),
    path("<uuid:workflow_id>/run/", run.run_panel, name="run_panel"),
    path("<uuid:workflow_id>/run/start/", run.run_start, name="run_start"),
    path("<uuid:workflow_id>/developer/", developer.developer_mode, name="developer"),
    path("<uuid:workflow_id>/versions/", versions.versions, name="versions"),
    path("<uuid:workflow_id>/versions/<int:number>/restore/", versions.restore, name="restore"),
    path("<uuid:workflow_id>/", editor.edit, name="edit"),
    path("<uuid:workflow_id>/edit/catalogue/", editor.catalogue, name="edit_catalogue"),
    path("<uuid:workflow_id>/edit/insert/", editor.insert, name="edit_insert"),
    path("<uuid:workflow_id>/edit/replace/", editor.replace, name="edit_replace"),
    path("<uuid:workflow_id>/edit/step/", editor.step_form, name="edit_step"),
    path("<uuid:workflow_id>/edit/do/<slug:operation>/", editor.step_operation, name="edit_do"),
    path("<uuid:workflow_id>/edit/move/", editor.move, name="edit_move"),
    path("<uuid:workflow_id>/edit/block/", editor.block_form, name="edit_block"),
    path("<uuid:workflow_id>/edit/block/remove/", editor.remove_block, name="edit_block_remove"),
    path("<uuid:workflow_id>/edit/rescue/", editor.rescue, name="edit_rescue"),
    path("<uuid:workflow_id>/edit/details/", editor.details, name="edit_details"),
    path("<uuid:workflow_id>/edit/undo/", editor.undo, name="edit_undo"),
    path("<uuid:workflow_id>/edit/redo/", editor.redo, name="edit_redo"),
    path("<uuid:workflow_id>/edit/save/", editor.save, name="edit_save"),
    path("<uuid:workflow_id>/edit/rebase/", editor.rebase, name="edit_rebase"),
    path("<uuid:workflow_id>/edit/discard/", editor.discard, name="edit_discard"),
    path("actions/", catalogue.index, name="catalogue"),
]
