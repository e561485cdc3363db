from django.urls import path

from jobs import views

app_name = "jobs"

urlpatterns = [
    path("", views.history, name="history"),
    path("<uuid:job_id>/", views.detail, name="detail"),
    path("<uuid:job_id>/timeline/", views.timeline, name="timeline"),
    path("<uuid:job_id>/cancel/", views.cancel, name="cancel"),
    path("<uuid:job_id>/rerun/", views.rerun, name="rerun"),
]
