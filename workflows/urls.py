"""The console's workflow screens: the list, the editor, developer mode, the catalogue.

Several modules add their views here; keep one ``path`` per line so that edits stay small.
"""

from django.urls import path  # noqa: F401 - the screens' paths are added below

app_name = "workflows"

urlpatterns = [
]
