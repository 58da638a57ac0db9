"""The DAC7 report as files: a CSV for people and spreadsheets, an XML close to the DPI
schema for the tax office's filing tools, and the CSV of sellers with data missing.

**CSV** (:func:`dac7_csv`): UTF-8 with a BOM, ``;``-separated, ``\\r\\n`` line ends,
amounts in decimal units with a decimal comma (``1234,56``), dates ISO: the project's
spreadsheet conventions (see :mod:`marketplace.payouts.statements`). One row per seller,
per activity line (a category, or one property for immovable property) and per quarter,
all four quarters written even when empty, so a pivot table sums whatever is asked. The
column names are fixed, in English (:data:`CSV_COLUMNS`; README, "DAC7 report").

**XML** (:func:`dac7_xml`): the structure of the OECD/EU DPI XML (``DPI_OECD`` with a
``MessageSpec``, the platform operator, then a ``ReportableSeller`` per seller with its
identity and its ``RelevantActivities``: ``ImmovableProperty/PropertyListing``,
``PersonalServices``, ``SaleOfGoods``, each with ``Consideration``,
``NumberOfActivities``, ``Fees`` and ``Taxes`` per quarter). It follows the element names
of the DPI schema (version 1.0) without validating against the official XSD, which
Comptoir does not ship: check it with the filing tool before sending. A property's
type is given as text (``OtherPropertyType``: the unit's name, pitch, room...), without
the schema's ``PropertyType`` code, which the operator picks in the filing tool. Amounts are decimal
units with a point and the ``currCode`` attribute.

**Missing data** (:func:`dac7_missing_csv`): one row per seller with mandatory data
missing, the fields named, for finance to chase.
"""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET  # noqa: S405 (we write XML, never parse it)

from marketplace.books.dac7 import (
    IMMOVABLE_PROPERTY,
    PERSONAL_SERVICES,
    QUARTERS,
    SALE_OF_GOODS,
    Dac7Report,
    Seller,
)
from marketplace.models import TerritorySettings
from marketplace.payouts.statements import FORMULA_STARTS, decimal_comma

CSV_COLUMNS = (
    "year",
    "quarter",
    "provider_id",
    "legal_form",
    "legal_name",
    "first_names",
    "last_name",
    "birth_date",
    "birth_place",
    "address",
    "postcode",
    "commune",
    "country",
    "tin",
    "tin_country",
    "vat_number",
    "business_registration_number",
    "iban",
    "account_holder",
    "activity",
    "property_id",
    "property_title",
    "property_address",
    "property_type",
    "registration_number",
    "number_of_activities",
    "consideration",
    "fees",
    "taxes",
    "nights",
    "currency",
    "missing",
)
MISSING_COLUMNS = ("provider_id", "name", "legal_form", "email", "missing")


def _text(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _address(provider) -> str:
    return f"{provider.address}, {provider.postcode} {provider.commune}".strip(", ")


def _identity(seller: Seller) -> list[str]:
    provider = seller.provider
    return [
        str(provider.pk),
        provider.legal_form,
        _text(provider.legal_name),
        _text(provider.first_names),
        _text(provider.last_name),
        provider.birth_date.isoformat() if provider.birth_date else "",
        _text(provider.birth_place),
        _text(provider.address),
        _text(provider.postcode),
        _text(provider.commune),
        "FR",
        _text(provider.tax_identifier),
        _text(provider.tax_country),
        _text(provider.vat_number),
        _text(provider.siret),
        _text(seller.iban),
        _text(seller.account_holder),
    ]


def dac7_csv(report: Dac7Report) -> bytes:
    """The report as CSV (see the module's docstring)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for seller in report.sellers:
        identity = _identity(seller)
        missing = ",".join(seller.missing)
        for line in seller.lines:
            is_property = line.category == IMMOVABLE_PROPERTY
            for quarter in QUARTERS:
                figures = line.quarters[quarter]
                writer.writerow(
                    [
                        str(report.year),
                        f"Q{quarter}",
                        *identity,
                        line.category,
                        str(line.offer_id or ""),
                        _text(line.property_title),
                        _text(_address(seller.provider)) if is_property else "",
                        _text(line.property_type),
                        _text(line.registration_number),
                        str(figures.activities),
                        decimal_comma(figures.consideration),
                        decimal_comma(figures.fees),
                        decimal_comma(figures.taxes),
                        str(figures.nights) if is_property else "",
                        report.currency,
                        missing,
                    ]
                )
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def dac7_missing_csv(report: Dac7Report) -> bytes:
    """The sellers with mandatory data missing, one row each."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(MISSING_COLUMNS)
    for seller in report.missing:
        provider = seller.provider
        writer.writerow(
            [
                str(provider.pk),
                _text(provider.name),
                provider.legal_form,
                _text(provider.email),
                ",".join(seller.missing),
            ]
        )
    return ("\ufeff" + out.getvalue()).encode("utf-8")


# --- XML -----------------------------------------------------------------------------------

DPI_NS = "urn:oecd:ties:dpi:v1"
STF_NS = "urn:oecd:ties:dpistf:v1"
XML_CATEGORIES = {PERSONAL_SERVICES: "PersonalServices", SALE_OF_GOODS: "SaleOfGoods"}


def _amount(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    units, rest = divmod(abs(int(cents)), 100)
    return f"{sign}{units}.{rest:02d}"


def _sub(parent, tag: str, text=None, **attrs):
    element = ET.SubElement(parent, f"{{{DPI_NS}}}{tag}", attrs)
    if text is not None:
        element.text = str(text)
    return element


def _address_xml(parent, provider, tag: str = "Address") -> None:
    address = _sub(parent, tag, legalAddressType="OECD301")
    _sub(address, "CountryCode", "FR")
    fix = _sub(address, "AddressFix")
    _sub(fix, "Street", provider.address)
    _sub(fix, "PostCode", provider.postcode)
    _sub(fix, "City", provider.commune)


QUARTER_TAGS = {
    "consideration": ("Consideration", "ConsQ"),
    "activities": ("NumberOfActivities", "NumbQ"),
    "fees": ("Fees", "FeesQ"),
    "taxes": ("Taxes", "TaxQ"),
}


def _quarters(parent, lines, name: str, currency: str) -> None:
    tag, prefix = QUARTER_TAGS[name]
    element = _sub(parent, tag)
    for quarter in QUARTERS:
        value = sum(getattr(line.quarters[quarter], name) for line in lines)
        if name == "activities":
            _sub(element, f"{prefix}{quarter}", value)
        else:
            _sub(element, f"{prefix}{quarter}", _amount(value), currCode=currency)


def _figures(parent, lines, currency: str) -> None:
    for name in QUARTER_TAGS:
        _quarters(parent, lines, name, currency)


def _seller_xml(body, seller: Seller, currency: str) -> None:
    provider = seller.provider
    element = _sub(body, "ReportableSeller")
    identity = _sub(element, "Identity")
    if seller.is_individual:
        standard = _sub(_sub(identity, "IndividualSeller"), "Standard")
        details = _sub(standard, "IndSellerID")
        _sub(details, "ResCountryCode", provider.tax_country or "FR")
        _sub(details, "TIN", provider.tax_identifier or "NOTIN", issuedBy=provider.tax_country)
        name = _sub(details, "Name", nameType="OECD202")
        _sub(name, "FirstName", provider.first_names)
        _sub(name, "LastName", provider.last_name)
        _address_xml(details, provider)
        if provider.birth_date or provider.birth_place:
            birth = _sub(details, "BirthInfo")
            if provider.birth_date:
                _sub(birth, "BirthDate", provider.birth_date.isoformat())
            if provider.birth_place:
                _sub(birth, "City", provider.birth_place)
    else:
        standard = _sub(_sub(identity, "EntitySeller"), "Standard")
        details = _sub(standard, "EntSellerID")
        _sub(details, "ResCountryCode", provider.tax_country or "FR")
        _sub(details, "TIN", provider.tax_identifier or "NOTIN", issuedBy=provider.tax_country)
        if provider.siret:
            _sub(details, "IN", provider.siret, issuedBy="FR", INType="SIRET")
        if provider.vat_number:
            _sub(details, "VAT", provider.vat_number)
        _sub(details, "Name", provider.legal_name)
        _address_xml(details, provider)
    if seller.iban:
        account = _sub(standard, "FinancialIdentifier")
        _sub(account, "Identifier", seller.iban, AccountNumberType="IBAN")
        _sub(account, "AccountHolderName", seller.account_holder)
    activities = _sub(element, "RelevantActivities")
    properties = [line for line in seller.lines if line.category == IMMOVABLE_PROPERTY]
    if properties:
        immovable = _sub(activities, "ImmovableProperty")
        for line in properties:
            listing = _sub(immovable, "PropertyListing")
            _address_xml(listing, provider)
            if line.registration_number:
                _sub(listing, "LandRegistrationNumber", line.registration_number)
            _figures(listing, [line], currency)
            _sub(listing, "OtherPropertyType", line.property_type or line.property_title)
            _sub(listing, "RentedDays", line.total("nights"))
    for category, tag in XML_CATEGORIES.items():
        lines = [line for line in seller.lines if line.category == category]
        if lines:
            _figures(_sub(activities, tag), lines, currency)


def dac7_xml(report: Dac7Report) -> bytes:
    """The report in the DPI XML's structure (see the module's docstring)."""
    ET.register_namespace("dpi", DPI_NS)
    ET.register_namespace("stf", STF_NS)
    territory = TerritorySettings.for_site(report.site)
    root = ET.Element(f"{{{DPI_NS}}}DPI_OECD", version="1.0")
    spec = _sub(root, "MessageSpec")
    _sub(spec, "TransmittingCountry", "FR")
    _sub(spec, "ReceivingCountry", "FR")
    _sub(spec, "MessageType", "DPI")
    _sub(spec, "MessageRefId", f"FR{report.year}-{report.site.pk}-DAC7")
    _sub(spec, "MessageTypeIndic", "DPI401")
    _sub(spec, "ReportingPeriod", f"{report.year}-12-31")
    body = _sub(root, "DPIBody")
    operator = _sub(body, "PlatformOperator")
    _sub(operator, "ResCountryCode", "FR")
    _sub(operator, "VAT", territory.vat_number)
    _sub(operator, "Name", territory.operator_legal_name or report.site.site_name)
    for seller in report.sellers:
        _seller_xml(body, seller, report.currency)
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)
