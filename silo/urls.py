from django.urls import path

from silo import views

app_name = "silo"

urlpatterns = [
    path("", views.entry_list, name="list"),
]
