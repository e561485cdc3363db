"""The AEAT's error codes are known codes of verifactu.send: the condition popover
offers each with its text, so a condition on 1104 is picked, not typed from memory."""

from tests.workflows.test_editor_views import post, url, workflow  # noqa: F401 - fixture
from workflows.actions.registry import get
from workflows.agencies.aeat import errors


def test_the_popover_offers_the_aeats_codes_with_their_text(alice_client, alice, workflow):  # noqa: F811
    post(
        alice_client,
        workflow,
        "edit_insert",
        {"list": "steps", "index": 0, "provider": "verifactu.send"},
    )

    html = alice_client.get(
        url(workflow, "edit_block") + "?address=steps[0]&kind=exception"
    ).content.decode()

    assert (
        '<option value="1104" label="1104: El valor del campo NumSerieFactura es incorrecto.">'
        in html
    )
    assert '<option value="accepted_with_errors" label="accepted_with_errors: ' in html
    assert set(errors.CODES) <= set(get("verifactu.send").codes)
