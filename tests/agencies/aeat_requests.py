"""Hand-built AEAT requests for the local AEAT's tests, independent of the conversion
(workflows/agencies/aeat/verifactu.py): a record here is the AEAT's own example with
the values a test chooses, and its fingerprint is computed from the README's formula
written out by hand."""

import hashlib

SF = (
    "https://www2.agenciatributaria.gob.es/static_files/common/internet/dep/aplicaciones"
    "/es/aeat/tike/cont/ws/SuministroInformacion.xsd"
)
SFLR = SF.replace("SuministroInformacion.xsd", "SuministroLR.xsd")
SFLRC = SF.replace("SuministroInformacion.xsd", "ConsultaLR.xsd")
VNIF = (
    "http://www2.agenciatributaria.gob.es/static_files/common/internet/dep/aplicaciones"
    "/es/aeat/burt/jdit/ws/VNifV2Ent.xsd"
)
GENERATED = "2024-09-13T19:20:30+01:00"


def huella(issuer, number, date, previous, *, kind="F1", cuota="21.4", total="131.4"):
    text = (
        f"IDEmisorFactura={issuer}&NumSerieFactura={number}&FechaExpedicionFactura={date}"
        f"&TipoFactura={kind}&CuotaTotal={cuota}&ImporteTotal={total}&Huella={previous}"
        f"&FechaHoraHusoGenRegistro={GENERATED}"
    )
    return hashlib.sha256(text.encode()).hexdigest().upper()


def alta(issuer, number, *, date="13-09-2024", previous=None, fingerprint=None, extra=""):
    """``(xml, fingerprint)`` of a RegistroAlta; ``previous`` is ``(number, date,
    fingerprint)`` of the record it chains to, None for the issuer's first."""
    if previous is None:
        chain = "<sf:PrimerRegistro>S</sf:PrimerRegistro>"
        previous_fingerprint = ""
    else:
        chain = (
            f"<sf:RegistroAnterior><sf:IDEmisorFactura>{issuer}</sf:IDEmisorFactura>"
            f"<sf:NumSerieFactura>{previous[0]}</sf:NumSerieFactura>"
            f"<sf:FechaExpedicionFactura>{previous[1]}</sf:FechaExpedicionFactura>"
            f"<sf:Huella>{previous[2]}</sf:Huella></sf:RegistroAnterior>"
        )
        previous_fingerprint = previous[2]
    fingerprint = fingerprint or huella(issuer, number, date, previous_fingerprint)
    xml = f"""<sf:RegistroAlta xmlns:sf="{SF}">
  <sf:IDVersion>1.0</sf:IDVersion>
  <sf:IDFactura><sf:IDEmisorFactura>{issuer}</sf:IDEmisorFactura>
    <sf:NumSerieFactura>{number}</sf:NumSerieFactura>
    <sf:FechaExpedicionFactura>{date}</sf:FechaExpedicionFactura></sf:IDFactura>
  <sf:NombreRazonEmisor>Emisor de prueba</sf:NombreRazonEmisor>{extra}
  <sf:TipoFactura>F1</sf:TipoFactura>
  <sf:DescripcionOperacion>Servicios</sf:DescripcionOperacion>
  <sf:Destinatarios><sf:IDDestinatario><sf:NombreRazon>Cliente</sf:NombreRazon>
    <sf:NIF>B12345674</sf:NIF></sf:IDDestinatario></sf:Destinatarios>
  <sf:Desglose>
    <sf:DetalleDesglose><sf:ClaveRegimen>01</sf:ClaveRegimen>
      <sf:CalificacionOperacion>S1</sf:CalificacionOperacion><sf:TipoImpositivo>4</sf:TipoImpositivo>
      <sf:BaseImponibleOimporteNoSujeto>10</sf:BaseImponibleOimporteNoSujeto>
      <sf:CuotaRepercutida>0.4</sf:CuotaRepercutida></sf:DetalleDesglose>
    <sf:DetalleDesglose><sf:ClaveRegimen>01</sf:ClaveRegimen>
      <sf:CalificacionOperacion>S1</sf:CalificacionOperacion><sf:TipoImpositivo>21</sf:TipoImpositivo>
      <sf:BaseImponibleOimporteNoSujeto>100</sf:BaseImponibleOimporteNoSujeto>
      <sf:CuotaRepercutida>21</sf:CuotaRepercutida></sf:DetalleDesglose>
  </sf:Desglose>
  <sf:CuotaTotal>21.4</sf:CuotaTotal>
  <sf:ImporteTotal>131.4</sf:ImporteTotal>
  <sf:Encadenamiento>{chain}</sf:Encadenamiento>
  <sf:SistemaInformatico><sf:NombreRazon>Workflow console</sf:NombreRazon>
    <sf:NIF>B12345674</sf:NIF>
    <sf:NombreSistemaInformatico>Workflow console</sf:NombreSistemaInformatico>
    <sf:IdSistemaInformatico>WC</sf:IdSistemaInformatico><sf:Version>0.1.0</sf:Version>
    <sf:NumeroInstalacion>1</sf:NumeroInstalacion>
    <sf:TipoUsoPosibleSoloVerifactu>S</sf:TipoUsoPosibleSoloVerifactu>
    <sf:TipoUsoPosibleMultiOT>S</sf:TipoUsoPosibleMultiOT>
    <sf:IndicadorMultiplesOT>N</sf:IndicadorMultiplesOT></sf:SistemaInformatico>
  <sf:FechaHoraHusoGenRegistro>{GENERATED}</sf:FechaHoraHusoGenRegistro>
  <sf:TipoHuella>01</sf:TipoHuella>
  <sf:Huella>{fingerprint}</sf:Huella>
</sf:RegistroAlta>"""
    return xml, fingerprint


def submission(issuer, name, records):
    body = "".join(f"<lr:RegistroFactura>{xml}</lr:RegistroFactura>" for xml in records)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"
    xmlns:lr="{SFLR}" xmlns:sf="{SF}"><soapenv:Header/><soapenv:Body>
  <lr:RegFactuSistemaFacturacion><lr:Cabecera><sf:ObligadoEmision>
    <sf:NombreRazon>{name}</sf:NombreRazon><sf:NIF>{issuer}</sf:NIF>
  </sf:ObligadoEmision></lr:Cabecera>{body}</lr:RegFactuSistemaFacturacion>
</soapenv:Body></soapenv:Envelope>""".encode()


def query(issuer, name, year, month, number=""):
    filter_number = f"<lrc:NumSerieFactura>{number}</lrc:NumSerieFactura>" if number else ""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"
    xmlns:lrc="{SFLRC}" xmlns:sf="{SF}"><soapenv:Body>
  <lrc:ConsultaFactuSistemaFacturacion><lrc:Cabecera><sf:IDVersion>1.0</sf:IDVersion>
    <sf:ObligadoEmision><sf:NombreRazon>{name}</sf:NombreRazon><sf:NIF>{issuer}</sf:NIF>
    </sf:ObligadoEmision></lrc:Cabecera>
    <lrc:FiltroConsulta><lrc:PeriodoImputacion><sf:Ejercicio>{year}</sf:Ejercicio>
      <sf:Periodo>{month}</sf:Periodo></lrc:PeriodoImputacion>{filter_number}</lrc:FiltroConsulta>
  </lrc:ConsultaFactuSistemaFacturacion></soapenv:Body></soapenv:Envelope>""".encode()


def census(nif, name):
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"
    xmlns:vnif="{VNIF}"><soapenv:Header/><soapenv:Body><vnif:VNifV2Ent>
  <vnif:Contribuyente><vnif:Nif>{nif}</vnif:Nif><vnif:Nombre>{name}</vnif:Nombre>
  </vnif:Contribuyente></vnif:VNifV2Ent></soapenv:Body></soapenv:Envelope>""".encode()


def anulacion(issuer, number, *, date="13-09-2024", previous):
    """``(xml, fingerprint)`` of a RegistroAnulacion of ``number``, chained to
    ``previous`` ``(number, date, fingerprint)``."""
    text = (
        f"IDEmisorFacturaAnulada={issuer}&NumSerieFacturaAnulada={number}"
        f"&FechaExpedicionFacturaAnulada={date}&Huella={previous[2]}"
        f"&FechaHoraHusoGenRegistro={GENERATED}"
    )
    fingerprint = hashlib.sha256(text.encode()).hexdigest().upper()
    xml = f"""<sf:RegistroAnulacion xmlns:sf="{SF}">
  <sf:IDVersion>1.0</sf:IDVersion>
  <sf:IDFactura><sf:IDEmisorFacturaAnulada>{issuer}</sf:IDEmisorFacturaAnulada>
    <sf:NumSerieFacturaAnulada>{number}</sf:NumSerieFacturaAnulada>
    <sf:FechaExpedicionFacturaAnulada>{date}</sf:FechaExpedicionFacturaAnulada></sf:IDFactura>
  <sf:Encadenamiento><sf:RegistroAnterior><sf:IDEmisorFactura>{issuer}</sf:IDEmisorFactura>
    <sf:NumSerieFactura>{previous[0]}</sf:NumSerieFactura>
    <sf:FechaExpedicionFactura>{previous[1]}</sf:FechaExpedicionFactura>
    <sf:Huella>{previous[2]}</sf:Huella></sf:RegistroAnterior></sf:Encadenamiento>
  <sf:SistemaInformatico><sf:NombreRazon>Workflow console</sf:NombreRazon>
    <sf:NIF>B12345674</sf:NIF>
    <sf:NombreSistemaInformatico>Workflow console</sf:NombreSistemaInformatico>
    <sf:IdSistemaInformatico>WC</sf:IdSistemaInformatico><sf:Version>0.1.0</sf:Version>
    <sf:NumeroInstalacion>1</sf:NumeroInstalacion>
    <sf:TipoUsoPosibleSoloVerifactu>S</sf:TipoUsoPosibleSoloVerifactu>
    <sf:TipoUsoPosibleMultiOT>S</sf:TipoUsoPosibleMultiOT>
    <sf:IndicadorMultiplesOT>N</sf:IndicadorMultiplesOT></sf:SistemaInformatico>
  <sf:FechaHoraHusoGenRegistro>{GENERATED}</sf:FechaHoraHusoGenRegistro>
  <sf:TipoHuella>01</sf:TipoHuella>
  <sf:Huella>{fingerprint}</sf:Huella>
</sf:RegistroAnulacion>"""
    return xml, fingerprint
