from django.urls import path

from console import workspace_views

app_name = "workspaces"
urlpatterns = [
    path("new/", workspace_views.create, name="create"),
    path("current/", workspace_views.manage, name="manage"),
    path("current/rename/", workspace_views.rename, name="rename"),
    path("current/delete/", workspace_views.delete, name="delete"),
]
