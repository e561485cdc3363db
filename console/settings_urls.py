from django.urls import path

from console import settings_views
from workflows.agencies import settings_views as aeat_views

app_name = "settings"
urlpatterns = [
    path("", settings_views.page, name="page"),
    path("secrets/", settings_views.set_secret, name="set_secret"),
    path("secrets/delete/", settings_views.delete_secret, name="delete_secret"),
    path("outbound/", settings_views.outbound, name="outbound"),
    path("smtp/", settings_views.smtp, name="smtp"),
    path("smtp/test/", settings_views.test_email, name="test_email"),
    path("aeat/", aeat_views.page, name="aeat"),
    path("aeat/issuer/", aeat_views.issuer, name="aeat_issuer"),
    path("aeat/certificate/", aeat_views.certificate, name="aeat_certificate"),
    path("aeat/certificate/remove/", aeat_views.remove_certificate, name="aeat_remove_certificate"),
]
