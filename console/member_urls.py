from django.urls import path

from console import member_views

app_name = "members"
urlpatterns = [
    path("", member_views.page, name="page"),
    path("invite/", member_views.invite, name="invite"),
    path("leave/", member_views.leave, name="leave"),
    path("invitations/<uuid:invitation_id>/withdraw/", member_views.withdraw, name="withdraw"),
    path("<int:membership_id>/role/", member_views.change_role, name="role"),
    path("<int:membership_id>/remove/", member_views.remove, name="remove"),
]
