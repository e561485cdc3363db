"""The AEAT's official VERI*FACTU schemas, loaded offline from ``reference/``.

``SuministroInformacion.xsd`` imports the XML signature schema from the W3C's web site;
a resolver answers that import with the copy in ``reference/``, so validation never
touches the network (a user's machine may have none). One compiled schema knows every
element of the service: a request (``RegFactuSistemaFacturacion``,
``ConsultaFactuSistemaFacturacion``), an answer, or a single ``RegistroAlta`` /
``RegistroAnulacion``. A SOAP envelope is validated by its body's element.
"""

import functools
import re
import threading
from pathlib import Path

from lxml import etree

_NAMESPACE = re.compile(r"\{[^}]*\}")
REFERENCE = Path(__file__).resolve().parent / "reference"
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
XMLDSIG_URL = "http://www.w3.org/TR/xmldsig-core/xmldsig-core-schema.xsd"

# Every schema with a global element a caller may validate.
_ENTRY_POINTS = {
    "SuministroLR.xsd": "SuministroLR.xsd",
    "ConsultaLR.xsd": "ConsultaLR.xsd",
    "RespuestaSuministro.xsd": "RespuestaSuministro.xsd",
    "RespuestaConsultaLR.xsd": "RespuestaConsultaLR.xsd",
}
_NS_BASE = (
    "https://www2.agenciatributaria.gob.es/static_files/common/internet/dep/aplicaciones/"
    "es/aeat/tike/cont/ws/"
)


class _Offline(etree.Resolver):
    """Answers the W3C signature schema import with the local copy, and nothing else."""

    def resolve(self, url, public_id, context):
        if url == XMLDSIG_URL or url.endswith("/xmldsig-core-schema.xsd"):
            return self.resolve_filename(str(REFERENCE / "xmldsig-core-schema.xsd"), context)
        return None


def _schema_parser():
    # Our own files: internal entities (the signature schema uses them) are fine, but
    # no network and no external DTD.
    parser = etree.XMLParser(no_network=True, load_dtd=False, resolve_entities=True)
    parser.resolvers.add(_Offline())
    return parser


@functools.cache
def schema():
    """The compiled schema of the whole service (built once per process)."""
    imports = "".join(
        f'<xs:import namespace="{_NS_BASE}{name}" schemaLocation="{(REFERENCE / name).as_uri()}"/>'
        for name in _ENTRY_POINTS
    )
    wrapper = (
        '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" '
        f'targetNamespace="urn:workflow-console:aeat-all">{imports}</xs:schema>'
    )
    document = etree.fromstring(
        wrapper.encode(), _schema_parser(), base_url=(REFERENCE / "all.xsd").as_uri()
    )
    return etree.XMLSchema(document)


_threads = threading.local()  # an lxml parser is not shared between threads


def parser():
    """A parser for XML from outside (requests, answers): no entities, no network."""
    if not hasattr(_threads, "parser"):
        _threads.parser = etree.XMLParser(
            no_network=True, load_dtd=False, resolve_entities=False, huge_tree=False
        )
    return _threads.parser


def parse(xml):
    """Parse ``xml`` (bytes) safely; raises ``etree.XMLSyntaxError`` when malformed."""
    return etree.fromstring(xml, parser())


def body_element(root):
    """The element to validate: a SOAP envelope's body content, or ``root`` itself."""
    if root.tag == f"{{{SOAP_ENV}}}Envelope":
        body = root.find(f"{{{SOAP_ENV}}}Body")
        if body is None:
            return None
        return next((child for child in body if isinstance(child.tag, str)), None)
    return root


def validate(xml):
    """Schema errors of ``xml`` (bytes: an envelope or an element); empty when valid.

    Each error reads ``line N: message`` as libxml2 words it, which names the element
    and what it expected.
    """
    try:
        root = parse(xml)
    except etree.XMLSyntaxError as error:
        return [f"not well-formed XML: {error}"]
    element = body_element(root)
    if element is None:
        return ["the SOAP envelope has no body element"]
    return validate_element(element)


def validate_element(element):
    """Schema errors of a parsed (or built) lxml element; empty when valid."""
    compiled = schema()
    if compiled.validate(element):
        return []
    return [
        f"line {error.line}: {_NAMESPACE.sub('', error.message)}" for error in compiled.error_log
    ]
