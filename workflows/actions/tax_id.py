"""``tax_id.validate``: check the supplier's or customer's tax ID offline with python-stdnum,
by the rules of the tax ID's country (format, length, check digits)."""

from typing import Literal

import stdnum
from pydantic import Field
from stdnum.exceptions import ValidationError

from workflows.actions.base import Action, ActionConfig, Outcome
from workflows.actions.registry import register

PARTY_SCHEMAS = ("bill/invoice", "bill/order", "bill/delivery", "bill/payment")

# GOBL writes Greece as EL (as VAT numbers do) and Northern Ireland as XI; python-stdnum
# files them under gr and gb.
STDNUM_COUNTRY = {"EL": "gr", "XI": "gb"}


class TaxIdConfig(ActionConfig):
    party: Literal["supplier", "customer"] = Field(
        "supplier", description="Whose tax ID to check (a party document checks itself)"
    )


def party_tax_id(doc, schema, party):
    """``(country, code)`` of the party's tax ID in the document body; either may be ""."""
    holder = doc if schema == "org/party" else doc.get(party)
    tax_id = holder.get("tax_id") if isinstance(holder, dict) else None
    if not isinstance(tax_id, dict):
        return "", ""
    country, code = tax_id.get("country"), tax_id.get("code")
    country = country.strip().upper() if isinstance(country, str) else ""
    code = str(code).strip() if isinstance(code, str | int) else ""
    return country, code


def who(schema, party):
    return "The party" if schema == "org/party" else f"The {party}"


def validator(country):
    if len(country) != 2 or not country.isalpha():
        return None
    return stdnum.get_cc_module(STDNUM_COUNTRY.get(country, country.lower()), "vat")


@register
class ValidateTaxId(Action):
    id = "tax_id.validate"
    name = "Validate tax ID"
    group = "Tax"
    description = (
        "Checks the supplier's or customer's tax ID offline by its country's rules "
        "(format, length, check digits) with python-stdnum. Does not say the number is "
        "registered: use VIES lookup for that."
    )
    schemas = (*PARTY_SCHEMAS, "org/party")
    Config = TaxIdConfig
    codes = ("missing_tax_id", "invalid_tax_id", "unsupported_country", "no_entry")
    needs_entry = True

    def run(self, context):
        if context.entry is None:
            return Outcome.ko("no_entry", "This job has no entry whose tax ID to check.")
        schema, party = context.entry.schema, context.config.party
        country, code = party_tax_id(context.data["doc"], schema, party)
        if not code:
            return Outcome.ko("missing_tax_id", f"{who(schema, party)} has no tax ID.")
        module = validator(country)
        if module is None:
            return Outcome.ko(
                "unsupported_country",
                f"Tax IDs of {country or 'no country'} cannot be checked offline.",
            )
        try:
            number = module.validate(code)
        except ValidationError as error:
            return Outcome.ko(
                "invalid_tax_id", f"{who(schema, party)}'s tax ID {country} {code}: {error}"
            )
        return Outcome.ok(
            message=f"{who(schema, party)}'s tax ID {country} {number} is valid",
            tax_id=f"{country}{number}",
        )
