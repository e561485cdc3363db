from django.urls import path

from console import settings_views

app_name = "settings"
urlpatterns = [
    path("", settings_views.page, name="page"),
    path("secrets/", settings_views.set_secret, name="set_secret"),
    path("secrets/delete/", settings_views.delete_secret, name="delete_secret"),
    path("outbound/", settings_views.outbound, name="outbound"),
    path("smtp/", settings_views.smtp, name="smtp"),
    path("smtp/test/", settings_views.test_email, name="test_email"),
]
