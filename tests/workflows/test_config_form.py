"""The step config form comes from each action's config JSON Schema, whatever the action."""

from workflows import config_form
from workflows.actions import registry
from workflows.definition import Issue


def form(**fields):
    """A posted config form: its config inputs are named ``config.<field>``."""
    return {f"config.{name}": value for name, value in fields.items()}


def widgets(action_id, config=None):
    fields = config_form.fields(registry.get(action_id), config or {})
    return {f.name: f.widget for f in fields}


def test_each_json_schema_type_gets_its_widget():
    assert widgets("silo.state") == {"state": "select"}  # an enum behind a $ref
    assert widgets("sequence.assign") == {
        "series": "text",
        "prefix": "text",
        "padding": "number",
        "yearly_reset": "checkbox",
    }
    assert widgets("doc.modify") == {"set": "json", "remove": "lines"}
    assert widgets("if.compare")["value"] == "text"  # a string or a list: text is enough


def test_defaults_show_and_issues_sit_under_their_field():
    action = registry.get("simulate.outcome")
    issues = [Issue(path="config.status", message="required")]
    fields = {f.name: f for f in config_form.fields(action, {}, issues)}
    assert fields["status"].required and fields["status"].errors == ["required"]
    assert fields["status"].choices == ["OK", "KO"]
    assert fields["transient_failures"].value == 0 and fields["transient_failures"].errors == []


def test_reading_a_post_keeps_what_was_typed_and_drops_defaults():
    action = registry.get("sequence.assign")
    post = form(series="credit-notes", prefix="", padding="six", unknown="x")
    assert config_form.read(action, {"kept": 1}, post) == {
        "kept": 1,  # a key the form does not show is not lost
        "series": "credit-notes",
        "padding": "six",  # not a number: kept for the validator to name
    }
    post = form(series="invoices", padding="6", yearly_reset="on")
    assert config_form.read(action, {}, post) == {"padding": 6, "yearly_reset": True}


def test_lists_one_per_line_and_json_objects():
    action = registry.get("doc.modify")
    post = form(set='{"notes.0.text": "Paid"}', remove="ordering.code\n\n  tax.prices \n")
    assert config_form.read(action, {}, post) == {
        "set": {"notes.0.text": "Paid"},
        "remove": ["ordering.code", "tax.prices"],
    }
    assert config_form.read(action, {}, form(set="{not json"))["set"] == "{not json"
    shown = {f.name: f.value for f in config_form.fields(action, {"remove": ["a", "b"]})}
    assert shown["remove"] == "a\nb"


def test_retry_override_from_the_form():
    assert config_form.read_retry({"retry.max_attempts": "", "retry.backoff_s": ""}, None) is None
    posted = {"retry.max_attempts": "3", "retry.backoff_s": "0.5"}
    assert config_form.read_retry(posted, None) == {"max_attempts": 3, "backoff_s": 0.5}
    assert config_form.read_retry({"retry.max_attempts": "lots"}, None) == {"max_attempts": "lots"}
    kept = {"max_attempts": 2}
    assert config_form.read_retry({}, kept) == kept  # a post without the fields keeps it
