from django.urls import reverse

from silo.models import State
from silo.services import update_entry
from tests.factories import invoice, load_gobl, make_entry


def titles(response):
    return [entry.title for entry in response.context["page"].entries]


def test_the_list_shows_entries_newest_first_with_their_columns(alice_client, alice):
    make_entry(alice.workspace, invoice("INV-1", supplier="Old Supplier"))
    make_entry(alice.workspace, invoice("INV-2", supplier="New Supplier", customer="Some Customer"))

    response = alice_client.get(reverse("silo:list"))

    assert titles(response) == ["INV-2", "INV-1"]
    html = response.content.decode()
    for text in ("New Supplier", "Some Customer", "2022-02-01", "1717.20 EUR", "Draft"):
        assert text in html


def test_empty_silo_says_so(alice_client):
    response = alice_client.get(reverse("silo:list"))

    assert "The silo is empty" in response.content.decode()


def test_search_by_supplier_name_ignores_case(alice_client, alice):
    make_entry(alice.workspace, invoice("INV-1", supplier="Provide One S.L."))
    make_entry(alice.workspace, invoice("INV-2", supplier="Other Company"))

    response = alice_client.get(reverse("silo:list"), {"q": "provide ONE"})

    assert titles(response) == ["INV-1"]


def test_search_by_customer_name(alice_client, alice):
    make_entry(alice.workspace, invoice("INV-1", customer="Globex Corporation"))
    make_entry(alice.workspace, invoice("INV-2"))

    response = alice_client.get(reverse("silo:list"), {"q": "globex"})

    assert titles(response) == ["INV-1"]


def test_search_by_accented_name(alice_client, alice):
    make_entry(alice.workspace, invoice("INV-1", supplier="MªF. Services Camí"))
    make_entry(alice.workspace, invoice("INV-2"))

    response = alice_client.get(reverse("silo:list"), {"q": "CAMÍ"})

    assert titles(response) == ["INV-1"]


def test_search_by_code(alice_client, alice):
    make_entry(alice.workspace, invoice("F-2024-0007"))
    make_entry(alice.workspace, invoice("F-2024-0008"))

    response = alice_client.get(reverse("silo:list"), {"q": "2024-0007"})

    assert titles(response) == ["F-2024-0007"]


def test_search_by_tax_id_with_or_without_country(alice_client, alice):
    make_entry(alice.workspace, invoice("INV-1", tax_id="ESB98602642"))
    make_entry(alice.workspace, invoice("INV-2", tax_id="ESA11111111"))

    for query in ("B98602642", "ESB98602642", "esb98602642"):
        response = alice_client.get(reverse("silo:list"), {"q": query})
        assert titles(response) == ["INV-1"], query


def test_search_finds_a_party_by_its_tax_id(alice_client, alice):
    make_entry(alice.workspace, load_gobl("es-party.json"))

    response = alice_client.get(reverse("silo:list"), {"q": "B98602642"})

    assert titles(response) == ["ESB98602642"]


def test_no_match_says_so(alice_client, alice):
    make_entry(alice.workspace)

    response = alice_client.get(reverse("silo:list"), {"q": "nothing like this"})

    assert titles(response) == []
    assert "No entries match this search" in response.content.decode()


def test_filter_by_schema(alice_client, alice):
    make_entry(alice.workspace, invoice("INV-1"))
    make_entry(alice.workspace, load_gobl("es-party.json"))

    response = alice_client.get(reverse("silo:list"), {"schema": "org/party"})

    assert titles(response) == ["ESB98602642"]


def test_filter_by_state_and_search_together(alice_client, alice):
    sent = make_entry(alice.workspace, invoice("INV-1", supplier="Acme"))
    make_entry(alice.workspace, invoice("INV-2", supplier="Acme"))
    update_entry(sent, state=State.SENT)
    other_sent = make_entry(alice.workspace, invoice("INV-3", supplier="Initech"))
    update_entry(other_sent, state=State.SENT)

    response = alice_client.get(reverse("silo:list"), {"state": "sent", "q": "acme"})

    assert titles(response) == ["INV-1"]


def test_an_unknown_filter_value_is_ignored(alice_client, alice):
    make_entry(alice.workspace)

    response = alice_client.get(reverse("silo:list"), {"state": "bogus", "schema": "x/y"})

    assert response.status_code == 200
    assert titles(response) == ["INV-1"]


def test_htmx_gets_only_the_table(alice_client, alice):
    make_entry(alice.workspace)

    response = alice_client.get(reverse("silo:list"), {"q": "inv"}, HTTP_HX_REQUEST="true")

    html = response.content.decode()
    assert "INV-1" in html
    assert "<html" not in html
    assert [t.name for t in response.templates][0] == "silo/_table.html"


def test_the_full_page_includes_search_filters_upload_and_table(alice_client, alice):
    make_entry(alice.workspace)

    response = alice_client.get(reverse("silo:list"))

    html = response.content.decode()
    assert 'hx-get="/silo/"' in html
    assert 'name="schema"' in html and 'name="state"' in html
    assert 'enctype="multipart/form-data"' in html
    assert "silo/_table.html" in [t.name for t in response.templates]


def test_names_are_escaped(alice_client, alice):
    make_entry(alice.workspace, invoice("<b>X</b>", supplier="<script>alert(1)</script>"))

    html = alice_client.get(reverse("silo:list")).content.decode()

    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
