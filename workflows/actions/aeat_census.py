"""``aeat.census``: ask the AEAT's census (VNifV2) whether a Spanish NIF is known.

Where VIES says whether an EU VAT number is registered for intra-EU trade, the AEAT's
census says whether a Spanish NIF exists with that name, and whether it was
deregistered or revoked. It is called with the workspace's AEAT certificate
(Settings > AEAT), at the workspace's AEAT environment; the address is the operator's.
"""

from typing import Literal

from django.conf import settings
from pydantic import Field

from workflows.actions.base import Action, ActionConfig, Outcome
from workflows.actions.registry import register
from workflows.actions.tax_id import PARTY_SCHEMAS, who
from workflows.agencies.aeat import census, credentials, soap

# (code, what it means) for the condition popover and docs/agencies.md.
ANSWERS = {
    "identified": "IDENTIFICADO: the NIF is in the census with this name",
    "not_identified": "NO IDENTIFICADO: no taxpayer with this NIF and name",
    "deregistered": "IDENTIFICADO-BAJA: known, but deregistered",
    "revoked": "IDENTIFICADO-REVOCADO: known, but its NIF was revoked",
    "similar": "NO IDENTIFICADO-SIMILAR: the NIF exists with a different name",
    "unknown_result": "an answer this console does not know (the message has it)",
}


class CensusConfig(ActionConfig):
    party: Literal["supplier", "customer"] = Field(
        "customer", description="Whose NIF to look up (a party document looks up itself)"
    )
    nif: str = Field(
        "",
        max_length=20,
        description="A NIF instead of the party's, may be a template: {{ args.nif }}",
    )
    name: str = Field(
        "",
        max_length=120,
        description="The name to check with the NIF instead of the party's",
    )


def taxpayer(context):
    """``(country, nif, name, whose)`` to look up; any may be ""."""
    config = context.config
    if config.nif.strip():
        nif = "".join(config.nif.split()).upper().removeprefix("ES")
        return "ES", nif, config.name.strip(), "The NIF"
    if context.entry is None:
        return "", "", "", "The job"
    schema = context.entry.schema
    doc = context.data["doc"]
    holder = doc if schema == "org/party" else doc.get(config.party)
    holder = holder if isinstance(holder, dict) else {}
    tax_id = holder.get("tax_id") if isinstance(holder.get("tax_id"), dict) else {}
    country = str(tax_id.get("country") or "").strip().upper()
    nif = "".join(str(tax_id.get("code") or "").split()).upper().removeprefix("ES")
    name = config.name.strip() or str(holder.get("name") or "").strip()
    return country, nif, name, who(schema, config.party)


@register
class LookUpAeatCensus(Action):
    id = "aeat.census"
    name = "AEAT census lookup"
    group = "Tax agencies"
    description = (
        "Asks the AEAT's taxpayer census (VNifV2) whether the customer's (or supplier's) "
        "Spanish NIF exists with that name: OK 'identified'; KO 'not_identified', "
        "'deregistered', 'revoked' or 'similar' (known under another name). Uses the "
        "workspace's AEAT certificate (Settings > AEAT); when the AEAT is down, the step "
        "is tried again later."
    )
    schemas = (*PARTY_SCHEMAS, "org/party")
    Config = CensusConfig
    codes = (
        *ANSWERS,
        "missing_tax_id",
        "not_spanish",
        "not_configured",
        "refused",
        "certificate_refused",
        "unavailable",
        "timeout",
        "network",
        "dns",
    )
    # Shown beside each code in the condition popover and the catalogue.
    code_descriptions = ANSWERS
    max_attempts = 6
    backoff_s = 30.0

    def run(self, context):
        country, nif, name, whose = taxpayer(context)
        if not nif:
            return Outcome.ko("missing_tax_id", f"{whose} has no NIF to look up.")
        if country != "ES":
            return Outcome.ko(
                "not_spanish",
                f"{whose}'s tax ID is from {country or 'no country'}: the AEAT's census "
                "knows Spanish NIFs only (use VIES lookup for EU numbers).",
            )
        try:
            found = credentials.for_workspace(context.workspace)
        except credentials.NotConfigured as error:
            return Outcome.ko("not_configured", error.message)
        try:
            answer = census.check(found, nif, name, timeout=settings.AEAT_TIMEOUT)
        except soap.SoapError as error:
            return Outcome.ko(error.code, error.message)
        except census.CensusError as error:
            return Outcome.ko("refused", error.message)
        status, code = answer.outcome
        named = f" as {answer.name}" if answer.name else ""
        message = f"AEAT census: {nif} {answer.result or 'without a result'}{named}"
        changes = {"aeat_census": {"nif": nif, "name": answer.name, "result": answer.result}}
        if status == "OK":
            return Outcome.ok(code, message, **changes)
        return Outcome.ko(code, message, **changes)
