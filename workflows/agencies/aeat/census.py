"""The AEAT's taxpayer census check (VNifV2): is this NIF, with this name, known?

SOAP 1.1: the request ``VNifV2Ent`` holds ``Contribuyente{Nif, Nombre}``; the answer
``VNifV2Sal`` gives each back with the census's name and a ``Resultado``. The service
authenticates by the workspace's certificate like VERI*FACTU does, at the census URL
of the workspace's AEAT environment (``credentials``).
"""

from dataclasses import dataclass
from xml.etree.ElementTree import Element, SubElement, tostring

from defusedxml import ElementTree

from workflows.actions.base import TryLater
from workflows.agencies.aeat import soap

JDIT = (
    "http://www2.agenciatributaria.gob.es/static_files/common/internet/dep/aplicaciones"
    "/es/aeat/burt/jdit/ws/"
)
REQUEST_NS = JDIT + "VNifV2Ent.xsd"
ANSWER_NS = JDIT + "VNifV2Sal.xsd"

# Resultado -> (status, code) of aeat.census. Any other answer is KO "unknown_result".
RESULTS = {
    "IDENTIFICADO": ("OK", "identified"),
    "NO IDENTIFICADO": ("KO", "not_identified"),
    "IDENTIFICADO-BAJA": ("KO", "deregistered"),
    "IDENTIFICADO-REVOCADO": ("KO", "revoked"),
    "NO IDENTIFICADO-SIMILAR": ("KO", "similar"),
}


class CensusError(Exception):
    """The AEAT refused the question (a SOAP fault from the client's side)."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Answer:
    nif: str
    name: str  # the census's name when identified, else the one asked with
    result: str  # the AEAT's Resultado, as it wrote it

    @property
    def outcome(self):
        return RESULTS.get(self.result, ("KO", "unknown_result"))


def request(nif, name) -> bytes:
    envelope = Element(f"{{{soap.SOAP_ENV}}}Envelope")
    SubElement(envelope, f"{{{soap.SOAP_ENV}}}Header")
    body = SubElement(envelope, f"{{{soap.SOAP_ENV}}}Body")
    taxpayer = SubElement(
        SubElement(body, f"{{{REQUEST_NS}}}VNifV2Ent"), f"{{{REQUEST_NS}}}Contribuyente"
    )
    SubElement(taxpayer, f"{{{REQUEST_NS}}}Nif").text = nif
    SubElement(taxpayer, f"{{{REQUEST_NS}}}Nombre").text = name
    return tostring(envelope, encoding="utf-8", xml_declaration=True)


def parse(body: bytes) -> Answer:
    """The first ``Contribuyente`` of a ``VNifV2Sal``. A fault the service blames on
    itself (``Server``) is ``TryLater``; one it blames on the request is
    ``CensusError``; anything else (a proxy's page, a cut answer) is ``TryLater``."""
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError:
        raise TryLater(
            "unavailable", "The AEAT's census answered something that is not XML."
        ) from None
    fault = root.find(f".//{{{soap.SOAP_ENV}}}Fault")
    if fault is not None:
        code = (fault.findtext("faultcode") or "").strip()
        text = (fault.findtext("faultstring") or "").strip() or "no reason given"
        if code.endswith("Server"):
            raise TryLater("unavailable", f"The AEAT's census failed: {text}")
        raise CensusError(f"The AEAT's census refused the question: {text}")
    taxpayer = root.find(f".//{{{ANSWER_NS}}}VNifV2Sal/{{{ANSWER_NS}}}Contribuyente")
    if taxpayer is None:
        raise TryLater("unavailable", "The AEAT's census answered without a Contribuyente.")
    return Answer(
        nif=(taxpayer.findtext(f"{{{ANSWER_NS}}}Nif") or "").strip(),
        name=(taxpayer.findtext(f"{{{ANSWER_NS}}}Nombre") or "").strip(),
        result=" ".join((taxpayer.findtext(f"{{{ANSWER_NS}}}Resultado") or "").split()).upper(),
    )


def check(credentials, nif, name, *, timeout=30.0) -> Answer:
    """Ask the census about one taxpayer. Raises ``TryLater``, ``soap.SoapError`` or
    ``CensusError``."""
    body = soap.call(
        credentials.census_url, request(nif, name), credentials=credentials, timeout=timeout
    )
    return parse(body)
