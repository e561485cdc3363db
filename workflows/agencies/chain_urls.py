from django.urls import path

from workflows.agencies import chain_views

app_name = "agencies"

urlpatterns = [
    path("", chain_views.chain_list, name="chains"),
    path("<str:issuer>/", chain_views.chain_detail, name="chain"),
    path(
        "<str:issuer>/submissions/<int:submission_id>/<str:part>.xml",
        chain_views.submission_xml,
        name="submission_xml",
    ),
]
