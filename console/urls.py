from django.contrib.auth import views as auth_views
from django.urls import include, path

from console import health, login, views

urlpatterns = [
    path("", views.home, name="home"),
    path("health/live", health.live, name="health_live"),
    path("health/ready", health.ready, name="health_ready"),
    path("health/workers", health.workers, name="health_workers"),
    path("login/", login.ThrottledLoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("workspace/switch/", views.switch, name="switch_workspace"),
    path("silo/verifactu/", include("workflows.agencies.chain_urls")),
    path("silo/", include("silo.urls")),
    path("jobs/", include("jobs.urls")),
    path("workflows/", include("workflows.urls")),
    path("settings/", include("console.settings_urls")),
    path("api/", include("console.api.urls")),
]
