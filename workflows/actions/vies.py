"""``vies.lookup``: ask the EU's VIES service whether a VAT number is registered.

VIES speaks SOAP (``checkVatService``): a ``checkVat`` request with ``countryCode`` and
``vatNumber``; the answer carries ``valid``, ``name`` and ``address``, or a SOAP fault
whose string says why (``MS_UNAVAILABLE``, ``TIMEOUT``, ``INVALID_INPUT``, ...). The
endpoint is the operator's setting (``VIES_URL``), never the workflow's, so a workflow
cannot point the console at another host; being the operator's, it may be a private
address (a proxy, the test suite's local VIES). The call goes through
``workflows.outbound`` like every other.
"""

from typing import Literal
from xml.etree.ElementTree import Element, SubElement, tostring

from defusedxml import ElementTree
from django.conf import settings
from pydantic import Field

from workflows import outbound
from workflows.actions.base import Action, ActionConfig, Outcome, TryLater, unanswered
from workflows.actions.registry import register
from workflows.actions.tax_id import PARTY_SCHEMAS, party_tax_id, who

SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
TYPES = "urn:ec.europa.eu:taxud:vies:services:checkVat:types"

# VAT prefixes VIES knows: the member states (Greece is EL) and Northern Ireland (XI).
PREFIXES = "AT BE BG CY CZ DE DK EE EL ES FI FR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK XI"
MEMBER_STATES = frozenset(PREFIXES.split())
COUNTRY_TO_PREFIX = {"GR": "EL"}

# Faults that mean "ask again later" (VIES's own list); any other fault is a KO.
TRANSIENT_FAULTS = {
    "SERVICE_UNAVAILABLE",
    "MS_UNAVAILABLE",
    "TIMEOUT",
    "GLOBAL_MAX_CONCURRENT_REQ",
    "GLOBAL_MAX_CONCURRENT_REQ_TIME",
    "MS_MAX_CONCURRENT_REQ",
    "MS_MAX_CONCURRENT_REQ_TIME",
}


class ViesConfig(ActionConfig):
    party: Literal["supplier", "customer"] = Field(
        "customer", description="Whose VAT number to look up (a party document looks up itself)"
    )
    vat_number: str = Field(
        "",
        max_length=40,
        description=(
            "A VAT number with its country prefix instead of the party's, "
            "may be a template: {{ args.vat }}"
        ),
    )


def check_vat_request(country, number):
    envelope = Element(f"{{{SOAP}}}Envelope")
    SubElement(envelope, f"{{{SOAP}}}Header")
    check = SubElement(SubElement(envelope, f"{{{SOAP}}}Body"), f"{{{TYPES}}}checkVat")
    SubElement(check, f"{{{TYPES}}}countryCode").text = country
    SubElement(check, f"{{{TYPES}}}vatNumber").text = number
    return tostring(envelope, encoding="utf-8", xml_declaration=True)


class ViesAnswer:
    def __init__(self, valid=None, name="", address="", fault=""):
        self.valid, self.name, self.address, self.fault = valid, name, address, fault


def parse_answer(content):
    """A ``checkVatResponse`` or a SOAP fault -> ViesAnswer; raises ValueError otherwise."""
    try:
        root = ElementTree.fromstring(content)
    except ElementTree.ParseError as error:
        raise ValueError(f"VIES answered something that is not XML: {error}") from None
    fault = root.find(f".//{{{SOAP}}}Fault")
    if fault is not None:
        return ViesAnswer(fault=(fault.findtext("faultstring") or "").strip() or "UNKNOWN")
    answer = root.find(f".//{{{TYPES}}}checkVatResponse")
    if answer is None:
        raise ValueError("VIES answered without a checkVatResponse")
    valid = (answer.findtext(f"{{{TYPES}}}valid") or "").strip().lower()
    if valid not in ("true", "false"):
        raise ValueError(f"VIES answered valid={valid!r}")
    return ViesAnswer(
        valid=valid == "true",
        name=(answer.findtext(f"{{{TYPES}}}name") or "").strip(),
        address=(answer.findtext(f"{{{TYPES}}}address") or "").strip(),
    )


def vat_number(context):
    """``(prefix, number, whose)`` to look up; prefix and number may be ""."""
    config = context.config
    if config.vat_number.strip():
        text = "".join(config.vat_number.split()).upper()
        return text[:2], text[2:], "The VAT number"
    if context.entry is None:
        return "", "", "The job"
    schema = context.entry.schema
    country, code = party_tax_id(context.data["doc"], schema, config.party)
    prefix = COUNTRY_TO_PREFIX.get(country, country)
    code = "".join(code.split()).upper()
    if code.startswith(prefix):  # GOBL codes have no prefix, but typed ones may
        code = code[len(prefix) :]
    return prefix, code, who(schema, config.party)


@register
class LookUpVies(Action):
    id = "vies.lookup"
    name = "VIES lookup"
    group = "Tax"
    description = (
        "Asks the EU VIES service whether the customer's (or supplier's) VAT number is "
        "registered for intra-EU trade, and with which name and address. When VIES or the "
        "member state's service is unavailable, the step is tried again later."
    )
    schemas = (*PARTY_SCHEMAS, "org/party")
    Config = ViesConfig
    codes = (
        "registered",
        "not_registered",
        "missing_tax_id",
        "not_in_eu",
        "invalid_input",
        "ms_unavailable",
        "service_unavailable",
        "timeout",
        "network",
        "dns",
    )
    max_attempts = 6
    backoff_s = 30.0

    def run(self, context):
        prefix, number, whose = vat_number(context)
        if not number:
            return Outcome.ko("missing_tax_id", f"{whose} has no VAT number to look up.")
        if prefix not in MEMBER_STATES:
            return Outcome.ko(
                "not_in_eu", f"{prefix or 'No country'} is not an EU VAT prefix VIES knows."
            )
        answer = self.ask(prefix, number)
        shown = f"{prefix} {number}"
        if answer.fault in TRANSIENT_FAULTS:
            raise TryLater(answer.fault.lower(), f"VIES: {answer.fault} for {shown}")
        if answer.fault:
            return Outcome.ko(answer.fault.lower(), f"VIES refused {shown}: {answer.fault}")
        if not answer.valid:
            return Outcome.ko("not_registered", f"VIES: {shown} is not registered")
        named = f" ({answer.name})" if answer.name and answer.name != "---" else ""
        return Outcome.ok(
            "registered",
            f"VIES: {shown} is registered{named}",
            vies={
                "vat_number": f"{prefix}{number}",
                "name": answer.name,
                "address": answer.address,
            },
        )

    def ask(self, prefix, number):
        try:
            response = outbound.request(
                "POST",
                settings.VIES_URL,
                allow_private=True,
                content=check_vat_request(prefix, number),
                headers={"Content-Type": "text/xml; charset=utf-8", "SOAPAction": ""},
                timeout=settings.VIES_TIMEOUT,
                max_bytes=1024 * 1024,
            )
        except outbound.OutboundError as error:
            return unanswered(error)
        # A SOAP fault comes with a 500 and says why; a bare 5xx or 429 is the service busy.
        if response.status == 429 or (response.status >= 500 and b"Fault" not in response.body):
            raise TryLater(
                str(response.status),
                f"VIES answered HTTP {response.status}",
                retry_after=response.retry_after,
            )
        try:
            return parse_answer(response.body)
        except ValueError as error:  # a proxy's error page, a cut answer: ask again later
            raise TryLater("invalid_response", str(error)) from None
