"""One SOAP 1.1 call to the AEAT, and the one place its transport failures are mapped.

Both AEAT services (VERI*FACTU and the VNifV2 census) are SOAP 1.1 over HTTPS with the
issuer's client certificate. ``call`` posts an envelope through ``workflows.outbound``
and returns the answer's body, a SOAP fault included (the caller parses it: a fault
says what the AEAT refused). What is not an answer becomes:

- ``TryLater`` for what waiting fixes: no connection (``network``), a timeout
  (``timeout``), a name that does not resolve (``dns``), a 429 or a 5xx without a SOAP
  fault (``unavailable``: the service down or busy), with the server's ``Retry-After``;
- ``SoapError`` for what waiting does not: the certificate refused at TLS, a 4xx (a
  wrong address, access denied), an answer too large.

The URL is always the operator's (``credentials``), never a workflow's, so the call may
reach a private address (the local AEAT on loopback).
"""

from workflows import outbound
from workflows.actions.base import TryLater

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
MAX_ANSWER_BYTES = 20 * 1024 * 1024  # an answer to 1,000 records is about 1 MB


class SoapError(Exception):
    """The AEAT could not be asked and waiting will not change that."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code
        self.message = message


def call(url, envelope: bytes, *, credentials, soap_action="", timeout=60.0) -> bytes:
    """POST ``envelope`` to ``url`` with the workspace's certificate; the answer's body."""
    try:
        response = outbound.request(
            "POST",
            url,
            allow_private=True,
            headers={"Content-Type": "text/xml; charset=utf-8", "SOAPAction": f'"{soap_action}"'},
            content=envelope,
            timeout=timeout,
            max_bytes=MAX_ANSWER_BYTES,
            client_certificate=credentials.certificate,
            trust=credentials.trust,
        )
    except outbound.OutboundError as error:
        if error.transient:
            raise TryLater(error.code, f"AEAT: {error.message}") from None
        raise SoapError(error.code, f"AEAT: {error.message}") from None
    if response.status == 429:
        raise TryLater(
            "unavailable",
            "The AEAT asked to wait before the next call (429).",
            response.retry_after,
        )
    if 200 <= response.status < 300 or (response.status >= 500 and is_fault(response.body)):
        return response.body
    if response.status >= 500:
        raise TryLater(
            "unavailable",
            f"The AEAT's service answered {response.status} (down or busy).",
            response.retry_after,
        )
    raise SoapError(
        f"http_{response.status}", f"The AEAT answered {response.status} at {response.host}."
    )


def is_fault(body: bytes) -> bool:
    """Whether ``body`` looks like a SOAP fault (the caller parses it properly)."""
    head = body[:4096]
    return b"Fault" in head and SOAP_ENV.encode() in head
