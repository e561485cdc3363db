from django.urls import path

from jobs import bulk_views, notification_views, trigger_views, views

app_name = "jobs"

urlpatterns = [
    path("", views.history, name="history"),
    path("rows/", views.history_rows, name="history_rows"),
    path("<uuid:job_id>/", views.detail, name="detail"),
    path("<uuid:job_id>/timeline/", views.timeline, name="timeline"),
    path("<uuid:job_id>/row/", views.row, name="row"),
    path("<uuid:job_id>/cancel/", views.cancel, name="cancel"),
    path("<uuid:job_id>/rerun/", views.rerun, name="rerun"),
    path("failed/", notification_views.failed_jobs, name="notifications"),
    path("failed/seen/", notification_views.mark_seen, name="notifications_seen"),
    path("failed/bell/", notification_views.bell, name="bell"),
    path("automatic/", trigger_views.triggers, name="triggers"),
    path("automatic/<int:trigger_id>/toggle/", trigger_views.trigger_toggle, name="trigger_toggle"),
    path("automatic/<int:trigger_id>/delete/", trigger_views.trigger_delete, name="trigger_delete"),
    path("bulk/", bulk_views.confirm, name="bulk"),
    path("bulk/start/", bulk_views.start, name="bulk_start"),
    path("bulk/<uuid:batch_id>/", bulk_views.batch, name="batch"),
    path("bulk/<uuid:batch_id>/progress/", bulk_views.batch_progress, name="batch_progress"),
]
