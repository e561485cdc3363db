from django.contrib.auth import views as auth_views
from django.urls import include, path

from console import views

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("workspace/switch/", views.switch, name="switch_workspace"),
    path("silo/", include("silo.urls")),
    path("jobs/", include("jobs.urls")),
    path("workflows/", include("workflows.urls")),
    path("settings/", include("console.settings_urls")),
    path("api/", include("console.api.urls")),
]
