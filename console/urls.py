from django.contrib.auth import views as auth_views
from django.urls import include, path

from console import first_run, health, member_views, views

urlpatterns = [
    # First: every API request resolves here without trying the console's includes.
    path("api/", include("console.api.urls")),
    path("", views.home, name="home"),
    path("health/live", health.live, name="health_live"),
    path("health/ready", health.ready, name="health_ready"),
    path("health/workers", health.workers, name="health_workers"),
    path("login/", first_run.login_or_setup, name="login"),
    path("setup/", first_run.first_run, name="first_run"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("workspace/switch/", views.switch, name="switch_workspace"),
    path("silo/verifactu/", include("workflows.agencies.chain_urls")),
    path("silo/", include("silo.urls")),
    path("jobs/", include("jobs.urls")),
    path("workflows/", include("workflows.urls")),
    path("settings/", include("console.settings_urls")),
    path("members/", include("console.member_urls")),
    path("workspaces/", include("console.workspace_urls")),
    path("account/", include("console.account_urls")),
    path("invitations/<str:token>/", member_views.invitation, name="invitation"),
]
