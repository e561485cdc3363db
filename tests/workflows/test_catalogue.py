"""The Actions page documents every registered action from what it declares: group,
description, schemas, config fields (from the config JSON Schema) and codes."""

from typing import Literal

import pytest
from django.test import Client
from django.urls import reverse
from pydantic import Field

from workflows.actions import registry
from workflows.actions.base import Action, ActionConfig
from workflows.catalogue import config_fields


def page(client, **query):
    return client.get(reverse("workflows:catalogue"), query)


def test_every_registered_action_is_on_the_page(alice_client):
    html = page(alice_client).content.decode()

    for action in registry.all_actions():
        assert f'id="action-{action.id}"' in html
        assert f"<code>{action.id}</code>" in html
        for code in action.codes:
            assert f'<code class="badge">{code}</code>' in html
    assert f"{len(registry.all_actions())} actions" in html


def test_config_fields_come_from_the_json_schema(alice_client):
    html = page(alice_client, q="if.compare").content.decode()

    assert "If / else" in html
    assert "<td><code>path</code></td>" in html
    assert "<strong>required</strong>" in html
    assert "at most 300 characters" in html
    assert "<code>&quot;equals&quot;</code>" in html  # the operator's default
    assert "<code>greater</code>" in html  # one of its choices
    assert "string or list of string" in html  # "value" may be either
    assert "Flow" in html


def test_choices_behind_a_reference_are_shown(alice_client):
    # silo.state's config refers to the State enum through $defs.
    fields = config_fields(registry.get("silo.state").config_schema())
    assert [(f.name, f.type, f.required) for f in fields] == [("state", "choice", True)]
    assert fields[0].choices[:3] == ["draft", "processing", "registered"]


class ShoutConfig(ActionConfig):
    volume: int = Field(3, ge=1, le=11, description="How loud")
    tone: Literal["polite", "rude"] = "polite"
    words: list[str] = Field(default_factory=list)


class Shout(Action):
    id = "test.shout"
    name = "Shout <loudly>"
    group = "Testing"
    description = "Shouts at the <b>document</b>."
    codes = ("hoarse",)
    Config = ShoutConfig


@pytest.fixture
def shout(action_registry):
    action_registry.register(Shout)


def test_a_newly_registered_action_appears_without_changes(alice_client, shout):
    html = page(alice_client, q="shout").content.decode()

    assert "1 action" in html
    assert "Shout &lt;loudly&gt;" in html  # escaped
    assert "Shouts at the &lt;b&gt;document&lt;/b&gt;." in html
    assert "whole number" in html and "at least 1, at most 11" in html
    assert "<code>3</code>" in html and "How loud" in html
    assert "list of string" in html and "<code>[]</code>" in html
    assert "<code>polite</code>, <code>rude</code>" in html
    assert '<code class="badge">hoarse</code>' in html
    assert "&quot;provider&quot;: &quot;test.shout&quot;" in html


def test_search_that_matches_nothing(alice_client):
    html = page(alice_client, q="no such action anywhere").content.decode()
    assert "No action matches" in html


def test_the_nav_links_to_it_and_it_needs_login(alice_client):
    home = alice_client.get(reverse("silo:list")).content.decode()
    assert f'href="{reverse("workflows:catalogue")}"' in home

    response = page(Client())
    assert response.status_code == 302 and "/login/" in response["Location"]
