"""Every page of the console asks an anonymous visitor to log in first.

The pages are read from the URL configuration, so a new page is checked as soon as it
is routed. The API answers with its own status codes and is tested in tests/api/.
"""

import pytest
from django.urls import reverse

from tests.routes import PAGES, sample_value


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "converters"), PAGES, ids=[name for name, _ in PAGES])
def test_anonymous_visitors_are_sent_to_login(client, name, converters):
    path = reverse(name, kwargs={key: sample_value(c) for key, c in converters.items()})

    response = client.get(path)
    if response.status_code == 405:  # a POST-only action
        response = client.post(path)

    assert response.status_code == 302
    assert response.url.startswith(reverse("login") + "?next=")
