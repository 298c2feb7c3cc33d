"""Rendering of invoices, credit memos and debit memos, independent of the models.

The invoicing services build one ``model.InvoiceDocument`` (plain frozen
dataclasses) and hand it to the renderers:

- ``pdf.render_invoice_pdf(doc) -> bytes``: the branded PDF/A-3b document;
- ``facturx.facturx_xml(doc)`` and ``facturx.render_facturx_pdf(doc)``:
  Factur-X / ZUGFeRD (EN 16931 CII), the XML alone or embedded in the PDF;
- ``ubl.ubl_xml(doc)``: UBL 2.1 in the Peppol BIS Billing 3.0 shape.

``model.validate_document`` checks that the figures add up before any of them
prints; ``model.make_document`` computes subtotals and totals from the lines.
Nothing is imported here, so reading the model does not load WeasyPrint.
"""
