from django.contrib.auth import views as auth_views
from django.urls import path

from console import accounts

# Without a namespace: Django's password-reset views reverse these names.
urlpatterns = [
    path("", accounts.account, name="account"),
    path("password/", accounts.change_password, name="change_password"),
    path("sessions/end/", accounts.sign_out_others, name="sign_out_others"),
    path(
        "reset/",
        auth_views.PasswordResetView.as_view(form_class=accounts.ResetForm),
        name="password_reset",
    ),
    path("reset/sent/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "reset/<uidb64>/<token>/",
        accounts.ResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
]
