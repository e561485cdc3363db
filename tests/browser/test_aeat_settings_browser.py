"""Settings > AEAT in a browser: an owner sets the issuer and the local test AEAT,
uploads a malformed file (a clear error), then the real certificate, and sees its
subject and expiry; the password never comes back."""

import pytest
from playwright.sync_api import expect

from workflows.agencies.aeat import credentials
from workflows.agencies.aeat.local_server import LocalAEAT

pytestmark = pytest.mark.browser

ISSUER = "B12345674"


@pytest.fixture
def aeat(settings):
    with LocalAEAT(wait_seconds=0) as server:
        settings.AEAT_LOCAL_URL, settings.AEAT_LOCAL_CA = server.url, server.ca_file
        yield server


def test_an_owner_sets_up_the_aeat(login, alice, aeat, screenshot):
    p12 = aeat.client_p12(ISSUER, "Acme Iberica SL", password="s3cret p12")
    page = login("alice")
    page.get_by_role("link", name="Settings").click()
    page.get_by_role("link", name="AEAT settings").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("AEAT (VERI*FACTU) of Acme")

    issuer = page.locator("#aeat-issuer")
    issuer.get_by_label("Issuer NIF").fill("ES B-1234567-4")
    issuer.get_by_label("Issuer name").fill("Acme Iberica SL")
    issuer.get_by_label("AEAT environment").select_option("local")
    issuer.get_by_role("button", name="Save issuer").click()
    expect(page.locator(".messages")).to_contain_text("AEAT issuer and environment saved.")
    expect(page.locator("#aeat-issuer")).to_contain_text("local test AEAT")
    expect(page.locator("#aeat-issuer").get_by_label("Issuer NIF")).to_have_value(ISSUER)

    certificate = page.locator("#aeat-certificate")
    certificate.get_by_label("Certificate file").set_input_files(
        {"name": "notes.txt", "mimeType": "text/plain", "buffer": b"not a certificate"}
    )
    certificate.get_by_label("Certificate password").fill("s3cret p12")
    certificate.get_by_role("button", name="Save certificate").click()
    expect(page.locator("#aeat-certificate [role=alert]")).to_contain_text(
        "it is not a PKCS#12 (.p12 or .pfx) file, or the password is wrong"
    )
    screenshot(page, "aeat-settings-malformed")

    certificate = page.locator("#aeat-certificate")
    certificate.get_by_label("Certificate file").set_input_files(
        {"name": "seal.p12", "mimeType": "application/x-pkcs12", "buffer": p12}
    )
    certificate.get_by_label("Certificate password").fill("s3cret p12")
    certificate.get_by_role("button", name="Save certificate").click()
    expect(page.locator(".messages")).to_contain_text("Certificate saved")
    expect(page.locator("#aeat-certificate")).to_contain_text(f"VATES-{ISSUER}")
    expect(page.locator("#aeat-certificate")).to_contain_text("Replace certificate")
    expect(page.locator("#aeat-certificate").get_by_label("Certificate password")).to_have_value("")
    assert "s3cret p12" not in page.content()
    software = page.locator("#aeat-software")
    expect(software).to_contain_text("Workflow Console")  # the system's name by default
    expect(software).to_contain_text(f"{ISSUER} (the issuer's")
    screenshot(page, "aeat-settings")

    ready = credentials.for_workspace(alice.workspace)
    assert (ready.environment, ready.issuer, ready.certificate.nif) == ("local", ISSUER, ISSUER)
    assert ready.verifactu_url == aeat.verifactu_url
