"""No page ever shows template source: every page of the console, read from the URL
configuration as tests/console/test_anonymous.py reads it, is rendered for a member of
the demo workspace (its documents, ready-made workflows and past jobs) as a full page
and as the fragment htmx asks for, and its visible text must not contain ``{#``,
``#}``, ``{%`` or ``{{`` (a ``{# #}`` comment over two lines is printed, for one).
"""

import io
from html.parser import HTMLParser
from itertools import product

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse

from console.models import Workspace
from console.workspaces import SESSION_KEY
from jobs.models import Batch, Job, Trigger
from silo.models import Entry
from silo.services import add_attachment
from tests.factories import make_verifactu_record as append_verifactu_record
from tests.routes import PAGES, sample_value
from workflows.agencies.models import Chain, Submission
from workflows.models import Workflow

TEMPLATE_SOURCE = ("{#", "#}", "{%", "{{")
# Text a browser does not show as text: scripts, styles, and form fields' own values
# (a textarea holds what the operator typed, which may be a template on purpose);
# and text shown as code on purpose (an example to copy, a document's JSON).
HIDDEN = {"script", "style", "textarea", "template", "code", "pre"}
# The editor's sidebars say where they act in their query.
QUERIES = {
    "workflows:edit_catalogue": ["?list=steps&index=0", "?mode=replace&address=steps[0]"],
    "workflows:edit_step": ["?address=steps[0]", "?address=steps[1]"],
    "workflows:edit_block": [
        "?address=steps[0]&kind=condition",
        "?address=steps[0]&kind=exception",
        "?address=steps[1].next[0]",
    ],
}


class VisibleText(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hidden = 0
        self.parts = []

    def handle_starttag(self, tag, attrs):
        if tag in HIDDEN:
            self.hidden += 1

    def handle_endtag(self, tag):
        if tag in HIDDEN and self.hidden:
            self.hidden -= 1

    def handle_data(self, data):
        if not self.hidden:
            self.parts.append(data)


def visible_text(html):
    parser = VisibleText()
    parser.feed(html)
    return " ".join(parser.parts)


@pytest.fixture
def demo(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    call_command("demo_setup", stdout=io.StringIO())
    workspace = Workspace.objects.get(slug="demo")
    entry = Entry.objects.in_workspace(workspace).filter(jobs__isnull=False).first()
    add_attachment(entry, "note.txt", b"hello", mime="text/plain", source="test")
    append_verifactu_record(workspace, "F-1")  # a VERI*FACTU chain, for its pages
    return workspace


def values_for(workspace, name, converter):
    """Real ids of the demo for a URL's argument: every one there is, so each kind of
    job (OK, KO, waiting, cancelled...) and workflow is rendered."""
    entries = Entry.objects.in_workspace(workspace)
    return {
        "job_id": Job.objects.in_workspace(workspace).values_list("pk", flat=True),
        "entry_id": entries.filter(jobs__isnull=False).distinct().values_list("pk", flat=True),
        "workflow_id": Workflow.objects.in_workspace(workspace).values_list("pk", flat=True),
        "batch_id": Batch.objects.in_workspace(workspace).values_list("pk", flat=True),
        "trigger_id": Trigger.objects.in_workspace(workspace).values_list("pk", flat=True),
        "attachment_id": entries.filter(attachments__isnull=False).values_list(
            "attachments__pk", flat=True
        ),
        "number": [1],
        "issuer": Chain.objects.filter(workspace=workspace).values_list("issuer", flat=True),
        "submission_id": Submission.objects.filter(chain__workspace=workspace).values_list(
            "pk", flat=True
        ),
        "part": ["request", "answer"],
    }.get(name, [sample_value(converter)])


def paths(workspace, name, converters):
    names = list(converters)
    choices = [list(values_for(workspace, n, c)) for n, c in converters.items()]
    for values in product(*choices):
        kwargs = dict(zip(names, values, strict=True))
        if "attachment_id" in kwargs:  # the attachment's own entry
            entry = Entry.objects.get(attachments__pk=kwargs["attachment_id"])
            kwargs["entry_id"] = entry.pk
        for query in QUERIES.get(name, [""]):
            yield reverse(name, kwargs=kwargs) + query


@pytest.mark.django_db
def test_no_page_shows_template_source(client, demo):
    user = get_user_model().objects.get(username="demo")
    client.force_login(user)
    session = client.session
    session[SESSION_KEY] = str(demo.pk)
    session.save()

    problems, rendered = [], 0
    for (name, converters), htmx in product(PAGES, (False, True)):
        headers = {"HX-Request": "true"} if htmx else {}
        for path in sorted(set(paths(demo, name, converters))):
            response = client.get(path, headers=headers)
            if response.status_code in (302, 405):  # a redirect, or a POST-only action
                continue
            if response.status_code != 200:
                problems.append(f"{path} ({'htmx' if htmx else 'page'}): {response.status_code}")
                continue
            if not response.get("Content-Type", "").startswith("text/html"):
                continue
            rendered += 1
            text = visible_text(response.content.decode())
            shown = [marker for marker in TEMPLATE_SOURCE if marker in text]
            if shown:
                at = min(text.find(marker) for marker in shown)
                problems.append(f"{path}: shows {shown}: ...{text[max(at - 60, 0) : at + 80]}...")

    assert rendered > 100
    assert problems == [], "\n".join(problems)
