"""A local AEAT: the VERI*FACTU and census services on this machine, for tests and the demo.

It speaks what the AEAT's WSDL describes (SOAP 1.1 over HTTPS, a client certificate
required, signed by its own test CA) and checks what the real service checks, so the
console's code is exercised as it will be against the AEAT:

- every request is validated against the official schemas (``reference/``); a request
  that does not validate gets the AEAT's SOAP fault ``Codigo[4102]``;
- the certificate's holder must be the issuer (``ObligadoEmision``) or its
  ``Representante`` (else ``4112``);
- each issuer's chain is checked, recomputing every fingerprint here, independently of
  the conversion: a duplicate is ``3000`` with ``RegistroDuplicado``, a wrong previous
  record ``1180``/``1174``/``1175``, a fingerprint that does not match ``2000``
  (accepted with errors, as the AEAT does), a cancellation of an unknown record
  ``3002``, of a cancelled one ``3001``;
- ``TiempoEsperaEnvio`` is enforced per issuer: a submission of fewer than 1,000
  records before the wait is over is refused (HTTP 429, ``Retry-After``; the AEAT's
  error list has no code for it);
- the census (VNifV2) answers from what it was told (``census``) and otherwise
  ``IDENTIFICADO`` for a NIF whose check digit is right, ``NO IDENTIFICADO`` if not.

It can be told to fail (``fail``: down, slow, a given code for a given invoice) and says
what it holds (``records``), in process (``with LocalAEAT() as aeat``) or, for
``manage.py local_aeat``, over HTTPS at ``/control/`` (JSON; any certificate of its CA).
What it holds lives in a SQLite file in its state directory, so the demo's chain
survives a restart.
"""

import contextlib
import hashlib
import http.server
import json
import secrets
import shutil
import sqlite3
import ssl
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from lxml import etree

from workflows.agencies.aeat.certificates import ORGANIZATION_IDENTIFIER, nif_of
from workflows.agencies.aeat.credentials import CENSUS_PATH, VERIFACTU_PATH

REFERENCE = Path(__file__).parent / "reference"
WS = "https://www2.agenciatributaria.gob.es/static_files/common/internet/dep/aplicaciones/es/aeat/tike/cont/ws/"
SF = WS + "SuministroInformacion.xsd"
SFLR = WS + "SuministroLR.xsd"
SFR = WS + "RespuestaSuministro.xsd"
SFLRC = WS + "ConsultaLR.xsd"
SFLRRC = WS + "RespuestaConsultaLR.xsd"
JDIT = "http://www2.agenciatributaria.gob.es/static_files/common/internet/dep/aplicaciones/es/aeat/burt/jdit/ws/"
VNIF_IN = JDIT + "VNifV2Ent.xsd"
VNIF_OUT = JDIT + "VNifV2Sal.xsd"
SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
XMLDSIG_URL = "http://www.w3.org/TR/xmldsig-core/xmldsig-core-schema.xsd"

MAX_RECORDS = 1000
MAX_REQUEST_BYTES = 30 * 1024 * 1024
CENSUS_RESULTS = (
    "IDENTIFICADO",
    "NO IDENTIFICADO",
    "IDENTIFICADO-BAJA",
    "IDENTIFICADO-REVOCADO",
    "NO IDENTIFICADO-SIMILAR",
)


def error_texts():
    """Code -> text from ``errores.properties`` (the server's own reading of it)."""
    texts = {}
    for line in (REFERENCE / "errores.properties").read_text(encoding="utf-8").splitlines():
        code, sep, text = line.partition("=")
        if sep and code.strip().isdigit():
            texts[code.strip()] = text.strip()
    return texts


ERRORS = error_texts()


def accepted_with_errors(code):
    """The file's last block (2000-2999) accepts the record, to be corrected later."""
    return str(code).startswith("2") and len(str(code)) == 4


class _Resolver(etree.Resolver):
    """The schemas import xmldsig from the W3C's site: read the copy beside them."""

    def resolve(self, url, public_id, context):
        if url == XMLDSIG_URL or url.endswith("xmldsig-core-schema.xsd"):
            return self.resolve_filename(str(REFERENCE / "xmldsig-core-schema.xsd"), context)
        return None


def _schema(name):
    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    parser.resolvers.add(_Resolver())
    document = etree.parse(str(REFERENCE / name), parser)
    return etree.XMLSchema(document)


_SCHEMAS = {}
_SCHEMAS_LOCK = threading.Lock()


def schema(name):
    with _SCHEMAS_LOCK:
        if name not in _SCHEMAS:
            _SCHEMAS[name] = _schema(name)
        return _SCHEMAS[name]


def fingerprint_alta(record):
    """The ``Huella`` of a ``RegistroAlta`` as the reference README gives it, from the
    values exactly as written in the XML."""
    previous = record.findtext(f"{{{SF}}}Encadenamiento/{{{SF}}}RegistroAnterior/{{{SF}}}Huella")
    fields = [
        ("IDEmisorFactura", _text(record, "IDFactura/IDEmisorFactura")),
        ("NumSerieFactura", _text(record, "IDFactura/NumSerieFactura")),
        ("FechaExpedicionFactura", _text(record, "IDFactura/FechaExpedicionFactura")),
        ("TipoFactura", _text(record, "TipoFactura")),
        ("CuotaTotal", _text(record, "CuotaTotal")),
        ("ImporteTotal", _text(record, "ImporteTotal")),
        ("Huella", (previous or "").strip()),
        ("FechaHoraHusoGenRegistro", _text(record, "FechaHoraHusoGenRegistro")),
    ]
    return _sha256(fields)


def fingerprint_anulacion(record):
    previous = record.findtext(f"{{{SF}}}Encadenamiento/{{{SF}}}RegistroAnterior/{{{SF}}}Huella")
    fields = [
        ("IDEmisorFacturaAnulada", _text(record, "IDFactura/IDEmisorFacturaAnulada")),
        ("NumSerieFacturaAnulada", _text(record, "IDFactura/NumSerieFacturaAnulada")),
        ("FechaExpedicionFacturaAnulada", _text(record, "IDFactura/FechaExpedicionFacturaAnulada")),
        ("Huella", (previous or "").strip()),
        ("FechaHoraHusoGenRegistro", _text(record, "FechaHoraHusoGenRegistro")),
    ]
    return _sha256(fields)


def _sha256(fields):
    text = "&".join(f"{name}={value}" for name, value in fields)
    return hashlib.sha256(text.encode("utf-8")).hexdigest().upper()


def _text(element, path):
    found = element.find("/".join(f"{{{SF}}}{step}" for step in path.split("/")))
    return (found.text or "").strip() if found is not None else ""


class Fault(Exception):
    """A request refused as a whole: a SOAP fault, as the AEAT answers one."""

    def __init__(self, code, detail="", status=500, retry_after=None):
        if str(code).isdigit():
            text = ERRORS.get(str(code), "")
            super().__init__(f"Codigo[{code}].{text}{': ' + detail if detail else ''}")
        else:
            super().__init__(f"{code}: {detail}")
        self.code = str(code)
        self.status = status
        self.retry_after = retry_after


class LocalAEAT:
    """The local AEAT. ``LocalAEAT(state_dir=None, wait_seconds=60)``; ``start()`` /
    ``stop()`` or ``with``. Without a state directory it keeps everything in a temporary
    one removed at ``stop``."""

    def __init__(self, state_dir=None, *, host="127.0.0.1", port=0, wait_seconds=60):
        self._temporary = state_dir is None
        self.state_dir = Path(state_dir or tempfile.mkdtemp(prefix="local-aeat-"))
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.host, self.port = host, port
        self.wait_seconds = wait_seconds
        self._lock = threading.RLock()
        self._stopping = threading.Event()
        self._failures = {"down": False, "slow": 0.0, "codes": {}}
        self._server = None
        self._thread = None
        self._db = sqlite3.connect(
            self.state_dir / "aeat.sqlite3", check_same_thread=False, isolation_level=None
        )
        self._db.row_factory = sqlite3.Row
        self._create_tables()
        self._ca_key, self._ca = self._load_or_create_ca()

    # ---- lifecycle -----------------------------------------------------------------

    def start(self):
        server_file, key_file = self._server_certificate()
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(server_file, key_file)
        context.load_verify_locations(cafile=self.ca_file)
        context.verify_mode = ssl.CERT_REQUIRED
        self._stopping.clear()
        self._server = _Server((self.host, self.port), _Handler, self, context)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="local-aeat", daemon=True
        )
        self._thread.start()
        return self

    def stop(self):
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=10)
            self._server = None
        with self._lock:  # every use of the database holds it: none is half done
            self._db.close()
        if self._temporary:
            shutil.rmtree(self.state_dir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def url(self):
        """By address, not "localhost": a name may resolve to ::1 first, where this
        server does not listen. Its certificate names 127.0.0.1 and localhost."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"https://{host}:{self.port}"

    @property
    def verifactu_url(self):
        return self.url + VERIFACTU_PATH

    @property
    def census_url(self):
        return self.url + CENSUS_PATH

    @property
    def ca_file(self):
        return str(self.state_dir / "ca.pem")

    # ---- certificates --------------------------------------------------------------

    def _load_or_create_ca(self):
        key_path, cert_path = self.state_dir / "ca-key.pem", self.state_dir / "ca.pem"
        if key_path.exists() and cert_path.exists():
            key = serialization.load_pem_private_key(key_path.read_bytes(), None)
            return key, x509.load_pem_x509_certificate(cert_path.read_bytes())
        key, certificate = _new_ca("Local test AEAT CA")
        _write_private(key_path, _key_pem(key))
        cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
        return key, certificate

    def _server_certificate(self):
        cert_path, key_path = self.state_dir / "server.pem", self.state_dir / "server-key.pem"
        if not (cert_path.exists() and key_path.exists()):
            key = ec.generate_private_key(ec.SECP256R1())
            names = [x509.DNSName("localhost"), x509.IPAddress(_ip("127.0.0.1"))]
            if self.host not in ("127.0.0.1", "localhost", "0.0.0.0"):  # noqa: S104
                try:
                    names.append(x509.IPAddress(_ip(self.host)))
                except ValueError:
                    names.append(x509.DNSName(self.host))
            certificate = self._issue(
                key.public_key(),
                x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]),
                days=825,
                extensions=[
                    (x509.SubjectAlternativeName(names), False),
                    (x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False),
                ],
            )
            _write_private(key_path, _key_pem(key))
            cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
        return str(cert_path), str(key_path)

    def _issue(self, public_key, subject, *, days, extensions, issuer=None, not_before=None):
        issuer_key, issuer_cert = issuer or (self._ca_key, self._ca)
        start = not_before or datetime.now(UTC) - timedelta(minutes=5)
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(issuer_cert.subject)
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(start)
            .not_valid_after(start + timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        )
        for extension, critical in extensions:
            builder = builder.add_extension(extension, critical=critical)
        return builder.sign(issuer_key, hashes.SHA256())

    def client_p12(self, nif, name, *, password="local-aeat", days=365, foreign=False):  # noqa: S107
        """A PKCS#12 (certificate, key, CA) naming ``nif`` as a company seal
        certificate does (``organizationIdentifier=VATES-<nif>``). ``foreign=True``
        signs it with another CA, which this server refuses at TLS; a negative
        ``days`` gives an expired one."""
        key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name(
            [
                x509.NameAttribute(NameOID.COUNTRY_NAME, "ES"),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, name),
                x509.NameAttribute(ORGANIZATION_IDENTIFIER, f"VATES-{nif}"),
                x509.NameAttribute(NameOID.COMMON_NAME, f"{name} - {nif}"),
            ]
        )
        issuer = _new_ca("Someone else's CA") if foreign else (self._ca_key, self._ca)
        not_before = datetime.now(UTC) - timedelta(days=2 - min(days, 0))
        certificate = self._issue(
            key.public_key(),
            subject,
            days=abs(days) if days > 0 else 1,
            issuer=issuer,
            not_before=not_before if days <= 0 else None,
            extensions=[
                (x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), False),
            ],
        )
        return pkcs12.serialize_key_and_certificates(
            name.encode(),
            key,
            certificate,
            [issuer[1]],
            serialization.BestAvailableEncryption(password.encode())
            if password
            else serialization.NoEncryption(),
        )

    # ---- control -------------------------------------------------------------------

    def fail(self, kind, *, seconds=0.0, code="", invoice=""):
        """``fail("down")``: 503 to every SOAP call; ``fail("slow", seconds=5)``: answer
        that much later; ``fail("code", code="1104", invoice="F-001")``: that record
        gets that code (``2xxx`` accepted with errors, others rejected);
        ``fail("clear")``: back to normal."""
        with self._lock:
            if kind == "down":
                self._failures["down"] = True
            elif kind == "slow":
                self._failures["slow"] = float(seconds)
            elif kind == "code":
                if not str(code).isdigit() or not invoice:
                    raise ValueError("fail('code') needs a numeric code and an invoice number")
                self._failures["codes"][invoice] = str(code)
            elif kind == "clear":
                self._failures = {"down": False, "slow": 0.0, "codes": {}}
            else:
                raise ValueError(f"unknown failure {kind!r}: down, slow, code or clear")

    def recover(self):
        self.fail("clear")

    def set_census(self, nif, name, result="IDENTIFICADO"):
        """What the census answers for ``nif`` (``result`` one of ``CENSUS_RESULTS``)."""
        if result not in CENSUS_RESULTS:
            raise ValueError(f"result is one of {', '.join(CENSUS_RESULTS)}")
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO census (nif, name, result) VALUES (?, ?, ?)",
                (nif.strip().upper(), name, result),
            )

    def elapse_wait(self, issuer=None):
        """Let the next submission in now, as if ``TiempoEsperaEnvio`` had passed."""
        with self._lock:
            if issuer:
                self._db.execute("DELETE FROM waits WHERE issuer = ?", (issuer,))
            else:
                self._db.execute("DELETE FROM waits")

    def records(self, issuer=None):
        """Every record received, in order: dicts with issuer, num_series, issue_date
        (dd-mm-yyyy), kind, state (Correcto, AceptadoConErrores, Incorrecto), code,
        fingerprint, previous (fingerprint), submission, cancelled, xml."""
        query = "SELECT * FROM records"
        arguments = ()
        if issuer:
            query, arguments = query + " WHERE issuer = ?", (issuer,)
        with self._lock:
            rows = self._db.execute(query + " ORDER BY id", arguments).fetchall()
        return [dict(row) for row in rows]

    def held(self, issuer=None):
        """The registrations the AEAT holds (accepted, with or without errors; not
        replaced by a correction), each once; ``cancelled`` says if one was cancelled."""
        return [
            r
            for r in self.records(issuer)
            if r["kind"] == "alta" and r["state"] != "Incorrecto" and not r["superseded"]
        ]

    def submissions(self):
        with self._lock:
            return self._db.execute("SELECT COUNT(*) FROM submissions").fetchone()[0]

    def status(self):
        with self._lock:
            failures = json.loads(json.dumps(self._failures))
        return {
            "url": self.url,
            "wait_seconds": self.wait_seconds,
            "failures": failures,
            "records": len(self.records()),
            "submissions": self.submissions(),
        }

    # ---- storage -------------------------------------------------------------------

    def _create_tables(self):
        self._db.executescript(
            """
            CREATE TABLE IF NOT EXISTS records (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                submission TEXT NOT NULL, issuer TEXT NOT NULL, num_series TEXT NOT NULL,
                issue_date TEXT NOT NULL, kind TEXT NOT NULL, state TEXT NOT NULL,
                code TEXT NOT NULL DEFAULT '', description TEXT NOT NULL DEFAULT '',
                fingerprint TEXT NOT NULL, previous TEXT NOT NULL DEFAULT '',
                cancelled INTEGER NOT NULL DEFAULT 0, chained INTEGER NOT NULL DEFAULT 0,
                superseded INTEGER NOT NULL DEFAULT 0,
                received_at TEXT NOT NULL,
                xml TEXT NOT NULL);
            CREATE INDEX IF NOT EXISTS records_invoice ON records (issuer, num_series, issue_date);
            CREATE INDEX IF NOT EXISTS records_fingerprint ON records (issuer, fingerprint);
            CREATE TABLE IF NOT EXISTS heads (
                issuer TEXT PRIMARY KEY, num_series TEXT, issue_date TEXT, fingerprint TEXT);
            CREATE TABLE IF NOT EXISTS waits (issuer TEXT PRIMARY KEY, until REAL);
            CREATE TABLE IF NOT EXISTS submissions (
                id TEXT PRIMARY KEY, issuer TEXT, received_at TEXT, records INTEGER);
            CREATE TABLE IF NOT EXISTS census (nif TEXT PRIMARY KEY, name TEXT, result TEXT);
            """
        )

    @contextlib.contextmanager
    def _transaction(self):
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # ---- the services --------------------------------------------------------------

    def handle_soap(self, path, body, holder_nif):
        """``(status, headers, body)`` for one SOAP request (called by the handler)."""
        with self._lock:
            down, slow = self._failures["down"], self._failures["slow"]
        if slow:
            self._stopping.wait(slow)
        if down or self._stopping.is_set():
            return 503, {"Retry-After": "30"}, b"<html><body>Servicio no disponible</body></html>"
        try:
            operation = _operation(body)
            if path == VERIFACTU_PATH and operation.tag == f"{{{SFLR}}}RegFactuSistemaFacturacion":
                _validate(operation, "SuministroLR.xsd")
                answer = self._register(operation, holder_nif)
            elif (
                path == VERIFACTU_PATH
                and operation.tag == f"{{{SFLRC}}}ConsultaFactuSistemaFacturacion"
            ):
                _validate(operation, "ConsultaLR.xsd")
                answer = self._query(operation, holder_nif)
            elif path == CENSUS_PATH and operation.tag == f"{{{VNIF_IN}}}VNifV2Ent":
                _validate(operation, "VNifV2Ent.xsd")
                answer = self._census(operation)
            else:
                raise Fault(4102, f"operación desconocida {etree.QName(operation).localname}")
        except Fault as fault:
            headers = {"Retry-After": str(int(fault.retry_after))} if fault.retry_after else {}
            return fault.status, headers, _fault_envelope(fault)
        except sqlite3.ProgrammingError:  # stopped while this request was in flight
            return 503, {"Retry-After": "30"}, b"<html><body>Servicio detenido</body></html>"
        return 200, {}, _envelope(answer)

    def _register(self, operation, holder_nif):
        head = operation.find(f"{{{SFLR}}}Cabecera")
        issuer = _text(head, "ObligadoEmision/NIF")
        issuer_name = _text(head, "ObligadoEmision/NombreRazon")
        representative = _text(head, "Representante/NIF")
        if holder_nif not in (issuer, representative):
            raise Fault(4112, f"el certificado es de {holder_nif or 'un titular sin NIF'}")
        registros = operation.findall(f"{{{SFLR}}}RegistroFactura")
        if len(registros) > MAX_RECORDS:
            raise Fault(4113)
        now = time.time()
        with self._lock:
            row = self._db.execute("SELECT until FROM waits WHERE issuer = ?", (issuer,)).fetchone()
            if row and row["until"] > now and len(registros) < MAX_RECORDS:
                remaining = row["until"] - now
                raise Fault(
                    "TiempoEsperaEnvio",
                    f"faltan {remaining:.0f} s de TiempoEsperaEnvio para el siguiente envío",
                    status=429,
                    retry_after=max(1, int(remaining + 0.999)),
                )
            submission = uuid.uuid4().hex[:20].upper()
            received = datetime.now(UTC).astimezone().isoformat(timespec="seconds")
            with self._transaction():  # a submission is held whole or not at all
                lines = [
                    self._record(registro[0], issuer, submission, received)
                    for registro in registros
                ]
                self._db.execute(
                    "INSERT INTO submissions (id, issuer, received_at, records) "
                    "VALUES (?, ?, ?, ?)",
                    (submission, issuer, received, len(lines)),
                )
                self._db.execute(
                    "INSERT OR REPLACE INTO waits (issuer, until) VALUES (?, ?)",
                    (issuer, now + self.wait_seconds),
                )
        states = {line["state"] for line in lines}
        overall = (
            "Correcto"
            if states <= {"Correcto"}
            else "Incorrecto"
            if states == {"Incorrecto"}
            else "ParcialmenteCorrecto"
        )
        return _submission_answer(
            head, issuer, issuer_name, holder_nif, submission, received,
            self.wait_seconds, overall, lines,
        )  # fmt: skip

    def _record(self, record, issuer, submission, received):
        """Check one record, store it, and say how it went (one ``RespuestaLinea``)."""
        kind = "alta" if etree.QName(record).localname == "RegistroAlta" else "anulacion"
        suffix = "" if kind == "alta" else "Anulada"
        emitter = _text(record, f"IDFactura/IDEmisorFactura{suffix}")
        number = _text(record, f"IDFactura/NumSerieFactura{suffix}")
        date = _text(record, f"IDFactura/FechaExpedicionFactura{suffix}")
        given = _text(record, "Huella")
        computed = fingerprint_alta(record) if kind == "alta" else fingerprint_anulacion(record)
        previous = _text(record, "Encadenamiento/RegistroAnterior/Huella")
        line = {
            "issuer": emitter,
            "num_series": number,
            "issue_date": date,
            "kind": kind,
            "state": "Correcto",
            "code": "",
            "description": "",
            "duplicate": None,
            "chained": 0,
        }
        held = self._db.execute(
            "SELECT * FROM records WHERE issuer = ? AND num_series = ? AND issue_date = ? "
            "AND kind = 'alta' AND state != 'Incorrecto' AND superseded = 0 "
            "ORDER BY id DESC LIMIT 1",
            (emitter, number, date),
        ).fetchone()
        resent = self._db.execute(
            "SELECT 1 FROM records WHERE issuer = ? AND fingerprint = ? AND chained = 1 LIMIT 1",
            (emitter, given),
        ).fetchone()

        def reject(code, detail=""):
            text = ERRORS.get(code, "")
            line.update(
                state="Incorrecto", code=code, description=text + (f" {detail}" if detail else "")
            )
            return line

        if emitter != issuer:
            return self._store(reject("1108"), submission, received, given, previous, record)
        if kind == "alta" and held is not None and _text(record, "Subsanacion") != "S":
            reject("3000")
            line["duplicate"] = {
                "id": held["submission"],
                "state": _duplicate_state(held),
                "code": held["code"],
                "description": held["description"],
            }
            return line  # a duplicate is not stored again
        if kind == "anulacion":
            if held is None:
                return self._store(reject("3002"), submission, received, given, previous, record)
            if held["cancelled"]:
                return self._store(reject("3001"), submission, received, given, previous, record)
        if not resent:  # an exact resend of a rejected record was chain-checked before
            problem = self._chain_problem(record, emitter)
            if problem:
                return self._store(reject(*problem), submission, received, given, previous, record)
            self._db.execute(
                "INSERT OR REPLACE INTO heads (issuer, num_series, issue_date, fingerprint) "
                "VALUES (?, ?, ?, ?)",
                (emitter, number, date, given),
            )
        line["chained"] = 1
        with self._lock:
            forced = self._failures["codes"].get(number)
        if forced and not accepted_with_errors(forced):
            return self._store(reject(forced), submission, received, given, previous, record)
        if forced or given != computed:
            code = forced or "2000"
            line.update(state="AceptadoConErrores", code=code, description=ERRORS.get(code, ""))
        if kind == "anulacion":
            self._db.execute("UPDATE records SET cancelled = 1 WHERE id = ?", (held["id"],))
        elif held is not None:  # a correction (Subsanacion S) replaces what was held
            self._db.execute("UPDATE records SET superseded = 1 WHERE id = ?", (held["id"],))
        return self._store(line, submission, received, given, previous, record)

    def _chain_problem(self, record, issuer):
        """``(code, detail)`` when the record does not chain to the issuer's last one."""
        head = self._db.execute("SELECT * FROM heads WHERE issuer = ?", (issuer,)).fetchone()
        first = _text(record, "Encadenamiento/PrimerRegistro") == "S"
        if first:
            if head is not None:
                last = head["num_series"]
                return "1180", f"PrimerRegistro=S pero el emisor ya tiene el registro {last}."
            return None
        if head is None:
            return "1180", "RegistroAnterior informado pero no hay registros anteriores del emisor."
        anterior = "Encadenamiento/RegistroAnterior/"
        if _text(record, anterior + "IDEmisorFactura") != issuer:
            return "1180", "el IDEmisorFactura del registro anterior no es el del emisor."
        if _text(record, anterior + "NumSerieFactura") != head["num_series"]:
            return "1175", f"el último registro recibido es {head['num_series']}."
        if _text(record, anterior + "FechaExpedicionFactura") != head["issue_date"]:
            return "1174", f"el último registro recibido es del {head['issue_date']}."
        if _text(record, anterior + "Huella") != head["fingerprint"]:
            return "1180", "la Huella del registro anterior no es la del último registro recibido."
        return None

    def _store(self, line, submission, received, given, previous, record):
        self._db.execute(
            "INSERT INTO records (submission, issuer, num_series, issue_date, kind, state, code,"
            " description, fingerprint, previous, chained, received_at, xml)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                submission,
                line["issuer"],
                line["num_series"],
                line["issue_date"],
                line["kind"],
                line["state"],
                line["code"],
                line["description"],
                given,
                previous,
                line["chained"],
                received,
                etree.tostring(record, encoding="unicode"),
            ),
        )
        return line

    def _query(self, operation, holder_nif):
        head = operation.find(f"{{{SFLRC}}}Cabecera")
        issuer = _text(head, "ObligadoEmision/NIF")
        if holder_nif != issuer:
            raise Fault(4132 if not issuer else 4112, f"el certificado es de {holder_nif}")
        period = operation.find(f"{{{SFLRC}}}FiltroConsulta/{{{SFLRC}}}PeriodoImputacion")
        year, month = _text(period, "Ejercicio"), _text(period, "Periodo")
        number = (
            operation.findtext(f"{{{SFLRC}}}FiltroConsulta/{{{SFLRC}}}NumSerieFactura") or ""
        ).strip()
        with self._lock:
            rows = self._db.execute(
                "SELECT * FROM records WHERE issuer = ? AND kind = 'alta' "
                "AND state != 'Incorrecto' AND superseded = 0 AND issue_date LIKE ? ORDER BY id",
                (issuer, f"%-{month}-{year}"),
            ).fetchall()
        rows = [r for r in rows if not number or r["num_series"] == number]
        return _query_answer(head, year, month, rows, holder_nif)

    def _census(self, operation):
        answer = etree.Element(f"{{{VNIF_OUT}}}VNifV2Sal", nsmap={"VNifV2Sal": VNIF_OUT})
        for taxpayer in operation.findall(f"{{{VNIF_IN}}}Contribuyente"):
            nif = (taxpayer.findtext(f"{{{VNIF_IN}}}Nif") or "").strip().upper()
            name = (taxpayer.findtext(f"{{{VNIF_IN}}}Nombre") or "").strip()
            with self._lock:
                known = self._db.execute("SELECT * FROM census WHERE nif = ?", (nif,)).fetchone()
            if known is not None:
                found_name, result = known["name"], known["result"]
            else:
                found_name, result = (
                    name.upper(),
                    "IDENTIFICADO" if _valid_nif(nif) else ("NO IDENTIFICADO"),
                )
            out = etree.SubElement(answer, f"{{{VNIF_OUT}}}Contribuyente")
            etree.SubElement(out, f"{{{VNIF_OUT}}}Nif").text = nif
            etree.SubElement(out, f"{{{VNIF_OUT}}}Nombre").text = (
                found_name if result.startswith("IDENTIFICADO") else name
            )
            etree.SubElement(out, f"{{{VNIF_OUT}}}Resultado").text = result
        return answer

    # ---- the control interface (HTTP, for manage.py local_aeat) --------------------

    def handle_control(self, method, path, query, body):
        """``(status, json)`` for ``/control/...``."""
        try:
            data = json.loads(body or b"{}") if method == "POST" else {}
            if method == "GET" and path == "/control/status":
                return 200, self.status()
            if method == "GET" and path == "/control/records":
                issuer = query.get("issuer", [""])[0]
                return 200, {"records": self.records(issuer or None)}
            if method == "POST" and path == "/control/fail":
                self.fail(
                    data.get("kind", ""),
                    seconds=data.get("seconds", 0),
                    code=str(data.get("code", "")),
                    invoice=data.get("invoice", ""),
                )
                return 200, self.status()
            if method == "POST" and path == "/control/census":
                result = data.get("result", "IDENTIFICADO")
                self.set_census(data["nif"], data.get("name", ""), result)
                return 200, {"ok": True}
            if method == "POST" and path == "/control/wait":
                if "seconds" in data:
                    self.wait_seconds = float(data["seconds"])
                if data.get("elapse"):
                    self.elapse_wait(data.get("issuer"))
                return 200, self.status()
        except (ValueError, KeyError, TypeError) as error:
            return 400, {"error": str(error)}
        except sqlite3.ProgrammingError:  # stopped while this request was in flight
            return 503, {"error": "stopped"}
        return 404, {"error": f"no control {method} {path}"}


# ---- building answers ------------------------------------------------------------------


def _operation(body):
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    try:
        root = etree.fromstring(body, parser)
    except etree.XMLSyntaxError as error:
        raise Fault(4103, str(error)) from None
    if root.tag != f"{{{SOAP}}}Envelope":
        raise Fault(4102, "no es un sobre SOAP 1.1")
    soap_body = root.find(f"{{{SOAP}}}Body")
    children = [c for c in (soap_body if soap_body is not None else []) if isinstance(c.tag, str)]
    if len(children) != 1:
        raise Fault(4102, "el Body del sobre SOAP debe tener una operación")
    return children[0]


def _validate(element, schema_name):
    standalone = etree.fromstring(etree.tostring(element))
    checker = schema(schema_name)
    if not checker.validate(standalone):
        first = checker.error_log.filter_from_errors()[0]
        raise Fault(4102, f"línea {first.line}: {first.message}")


def _envelope(answer):
    envelope = etree.Element(f"{{{SOAP}}}Envelope", nsmap={"env": SOAP})
    etree.SubElement(envelope, f"{{{SOAP}}}Header")
    etree.SubElement(envelope, f"{{{SOAP}}}Body").append(answer)
    etree.cleanup_namespaces(envelope)
    return etree.tostring(envelope, xml_declaration=True, encoding="UTF-8")


def _fault_envelope(fault):
    envelope = etree.Element(f"{{{SOAP}}}Envelope", nsmap={"env": SOAP})
    body = etree.SubElement(envelope, f"{{{SOAP}}}Body")
    element = etree.SubElement(body, f"{{{SOAP}}}Fault")
    etree.SubElement(element, "faultcode").text = "env:Client"
    etree.SubElement(element, "faultstring").text = str(fault)
    return etree.tostring(envelope, xml_declaration=True, encoding="UTF-8")


def _sub(parent, namespace, name, text=None):
    element = etree.SubElement(parent, f"{{{namespace}}}{name}")
    if text is not None:
        element.text = str(text)
    return element


def _copy_cabecera(parent, namespace, head):
    cabecera = _sub(parent, namespace, "Cabecera")
    for child in head:
        cabecera.append(_clone(child))
    return cabecera


def _clone(element):
    return etree.fromstring(etree.tostring(element))


def _submission_answer(
    head, issuer, issuer_name, holder, submission, received, wait, overall, lines
):
    answer = etree.Element(
        f"{{{SFR}}}RespuestaRegFactuSistemaFacturacion", nsmap={"tikR": SFR, "tik": SF}
    )
    if overall != "Incorrecto":
        _sub(answer, SFR, "CSV", secrets.token_hex(8).upper())
        presentation = _sub(answer, SFR, "DatosPresentacion")
        _sub(presentation, SF, "NIFPresentador", holder)
        _sub(presentation, SF, "TimestampPresentacion", received)
    _copy_cabecera(answer, SFR, head)
    _sub(answer, SFR, "TiempoEsperaEnvio", int(wait))
    _sub(answer, SFR, "EstadoEnvio", overall)
    for line in lines:
        out = _sub(answer, SFR, "RespuestaLinea")
        invoice = _sub(out, SFR, "IDFactura")
        _sub(invoice, SF, "IDEmisorFactura", line["issuer"])
        _sub(invoice, SF, "NumSerieFactura", line["num_series"])
        _sub(invoice, SF, "FechaExpedicionFactura", line["issue_date"])
        operation = _sub(out, SFR, "Operacion")
        _sub(operation, SF, "TipoOperacion", "Alta" if line["kind"] == "alta" else "Anulacion")
        _sub(out, SFR, "EstadoRegistro", line["state"])
        if line["code"]:
            _sub(out, SFR, "CodigoErrorRegistro", line["code"])
            _sub(out, SFR, "DescripcionErrorRegistro", line["description"][:1500])
        if line["duplicate"]:
            duplicate = _sub(out, SFR, "RegistroDuplicado")
            _sub(duplicate, SF, "IdPeticionRegistroDuplicado", line["duplicate"]["id"])
            _sub(duplicate, SF, "EstadoRegistroDuplicado", line["duplicate"]["state"])
            if line["duplicate"]["code"]:
                _sub(duplicate, SF, "CodigoErrorRegistro", line["duplicate"]["code"])
                text = line["duplicate"]["description"][:500]
                _sub(duplicate, SF, "DescripcionErrorRegistro", text)
    return answer


def _duplicate_state(held):
    if held["cancelled"]:
        return "Anulada"
    return "AceptadaConErrores" if held["state"] == "AceptadoConErrores" else "Correcta"


def _query_answer(head, year, month, rows, holder):
    answer = etree.Element(
        f"{{{SFLRRC}}}RespuestaConsultaFactuSistemaFacturacion",
        nsmap={"tikLRRC": SFLRRC, "tik": SF},
    )
    _copy_cabecera(answer, SFLRRC, head)
    period = _sub(answer, SFLRRC, "PeriodoImputacion")
    _sub(period, SFLRRC, "Ejercicio", year)
    _sub(period, SFLRRC, "Periodo", month)
    _sub(answer, SFLRRC, "IndicadorPaginacion", "N")
    _sub(answer, SFLRRC, "ResultadoConsulta", "ConDatos" if rows else "SinDatos")
    for row in rows:
        record = etree.fromstring(row["xml"])
        out = _sub(answer, SFLRRC, "RegistroRespuestaConsultaFactuSistemaFacturacion")
        invoice = _sub(out, SFLRRC, "IDFactura")
        _sub(invoice, SF, "IDEmisorFactura", row["issuer"])
        _sub(invoice, SF, "NumSerieFactura", row["num_series"])
        _sub(invoice, SF, "FechaExpedicionFactura", row["issue_date"])
        data = _sub(out, SFLRRC, "DatosRegistroFacturacion")
        for name in ("TipoFactura", "CuotaTotal", "ImporteTotal"):
            if _text(record, name):
                _sub(data, SFLRRC, name, _text(record, name))
        chain = record.find(f"{{{SF}}}Encadenamiento")
        if chain is not None:
            copied = _sub(data, SFLRRC, "Encadenamiento")
            for child in chain:
                copied.append(_clone(child))
        _sub(data, SFLRRC, "FechaHoraHusoGenRegistro", _text(record, "FechaHoraHusoGenRegistro"))
        _sub(data, SFLRRC, "TipoHuella", _text(record, "TipoHuella") or "01")
        _sub(data, SFLRRC, "Huella", row["fingerprint"])
        presentation = _sub(out, SFLRRC, "DatosPresentacion")
        _sub(presentation, SF, "NIFPresentador", holder)
        _sub(presentation, SF, "TimestampPresentacion", row["received_at"])
        _sub(presentation, SF, "IdPeticion", row["submission"])
        state = _sub(out, SFLRRC, "EstadoRegistro")
        _sub(state, SFLRRC, "TimestampUltimaModificacion", row["received_at"])
        _sub(
            state,
            SFLRRC,
            "EstadoRegistro",
            "Anulado" if row["cancelled"] else row["state"],
        )
        if row["code"]:
            _sub(state, SFLRRC, "CodigoErrorRegistro", row["code"])
            _sub(state, SFLRRC, "DescripcionErrorRegistro", row["description"][:500])
    return answer


def _valid_nif(nif):
    from stdnum.es import nif as spanish_nif

    return spanish_nif.is_valid(nif)


# ---- certificates ------------------------------------------------------------------------


def _ip(text):
    import ipaddress

    return ipaddress.ip_address(text)


def _key_pem(key):
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _write_private(path, data):
    path.touch(mode=0o600, exist_ok=True)
    path.write_bytes(data)


def _new_ca(name):
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    start = datetime.now(UTC) - timedelta(days=1)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    return key, certificate


# ---- HTTP ------------------------------------------------------------------------------


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address, handler, aeat, context):
        self.aeat, self.context = aeat, context
        super().__init__(address, handler)

    def finish_request(self, request, client_address):
        """The TLS handshake here, in the request's thread, so a slow or refused client
        never holds up the others. A client without a certificate of our CA fails it."""
        request.settimeout(30)
        try:
            secured = self.context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return
        try:
            super().finish_request(secured, client_address)
        finally:
            with contextlib.suppress(OSError):
                secured.close()

    def handle_error(self, request, client_address):
        pass  # a client that went away mid-answer: nothing to report


class _Handler(http.server.BaseHTTPRequestHandler):
    server_version = "LocalAEAT/1.0"
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):  # noqa: A002 - BaseHTTPRequestHandler's name
        pass

    def _holder_nif(self):
        der = self.connection.getpeercert(binary_form=True)
        return nif_of(x509.load_der_x509_certificate(der)) if der else ""

    def _body(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_REQUEST_BYTES:
            raise ValueError("too large")
        return self.rfile.read(length)

    def _answer(self, status, headers, body, content_type):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):  # noqa: N802 - BaseHTTPRequestHandler's name
        aeat = self.server.aeat
        split = urlsplit(self.path)
        try:
            body = self._body()
        except ValueError:
            self._answer(413, {}, b"", "text/plain")
            return
        if split.path.startswith("/control/"):
            status, data = aeat.handle_control("POST", split.path, parse_qs(split.query), body)
            self._answer(status, {}, json.dumps(data).encode(), "application/json")
            return
        if split.path not in (VERIFACTU_PATH, CENSUS_PATH):
            self._answer(404, {}, b"Not found", "text/plain")
            return
        status, headers, answer = aeat.handle_soap(split.path, body, self._holder_nif())
        self._answer(status, headers, answer, "text/xml; charset=utf-8")

    def do_GET(self):  # noqa: N802
        split = urlsplit(self.path)
        if split.path.startswith("/control/"):
            status, data = self.server.aeat.handle_control(
                "GET", split.path, parse_qs(split.query), b""
            )
            self._answer(status, {}, json.dumps(data).encode(), "application/json")
            return
        self._answer(404, {}, b"Not found", "text/plain")
