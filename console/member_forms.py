"""Forms of the members page and of an invitation's sign-up."""

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import UserCreationForm

from console.models import Membership


class InviteForm(forms.Form):
    email = forms.EmailField(
        widget=forms.EmailInput(attrs={"placeholder": "colleague@example.com"})
    )
    role = forms.ChoiceField(choices=Membership.Role.choices, initial=Membership.Role.EDITOR)


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=Membership.Role.choices)


class SignUpForm(UserCreationForm):
    """A new account for an invited person; the email is the invitation's."""

    class Meta(UserCreationForm.Meta):
        model = get_user_model()
        fields = ("username",)

    def __init__(self, *args, email, **kwargs):
        super().__init__(*args, **kwargs)
        self.email = email
        self.fields["username"].help_text = "Letters, digits and @/./+/-/_ only."

    def save(self, commit=True):
        user = super().save(commit=False)
        user.email = self.email
        if commit:
            user.save()
        return user
