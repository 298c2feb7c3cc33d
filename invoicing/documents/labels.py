"""The words printed on an invoice, in the languages we print in.

A plain table rather than gettext catalogues: the document language is the
customer's, not the signed-in user's, and these few dozen words are all a
document needs. Languages without a table print in English.
"""

from __future__ import annotations

from typing import Final

from invoicing.documents.model import DocumentKind, TaxCategory

EN: Final = {
    "title.invoice": "Invoice",
    "title.credit_memo": "Credit memo",
    "title.debit_memo": "Debit memo",
    "number.invoice": "Invoice no.",
    "number.credit_memo": "Credit memo no.",
    "number.debit_memo": "Debit memo no.",
    "issue_date": "Date",
    "due_date": "Due date",
    "delivery_date": "Delivery date",
    "service_period": "Service period",
    "customer_number": "Customer no.",
    "buyer_reference": "Your reference",
    "purchase_order": "Your order",
    "buyer_vat_id": "Your VAT ID",
    "preceding_invoice": "Refers to invoice",
    "of_date": "of",
    "position": "Pos.",
    "description": "Description",
    "quantity": "Quantity",
    "unit": "Unit",
    "unit_price": "Unit price",
    "discount": "Disc.",
    "vat": "VAT",
    "amount": "Amount",
    "net_total": "Net total",
    "vat_on": "VAT {rate} on {base}",
    "gross_total": "Total",
    "prepaid": "Already paid",
    "amount_due": "Amount due",
    "credit_total": "Total credit",
    "base_total": "Total in {currency}: {amount} at 1 {document_currency} = {rate} {currency}"
    " ({date})",
    "payment": "Payment",
    "payment_terms": "Terms",
    "early_payment_discount": "Early payment",
    "please_pay": "Please transfer {amount} by {date} to the account below, quoting the reference.",
    "please_pay_undated": "Please transfer {amount} to the account below, quoting the reference.",
    "credited": "This amount will be credited to your customer account.",
    "nothing_due": "Nothing is due on this document.",
    "payment_schedule": "Payment schedule",
    "installment": "Installment",
    "first_installment": "First installment",
    "please_pay_schedule": "Please transfer each installment of the payment schedule by its due"
    " date to the account below, quoting the reference.",
    "schedule_terms": "Payment schedule: {items}",
    "schedule_item": "{amount} due {date}",
    "account_holder": "Account holder",
    "iban": "IBAN",
    "bic": "BIC",
    "bank": "Bank",
    "reference": "Reference",
    "scan_to_pay": "Scan with your banking app to pay",
    "page": "Page",
    "page_of": "of",
    "vat_id": "VAT ID",
    "tax_number": "Tax no.",
    "registration": "Registered",
    "phone": "Phone",
    "email": "E-mail",
    "web": "Web",
    "notes": "Notes",
    "category.S": "VAT",
    "category.Z": "Zero-rated",
    "category.E": "Exempt",
    "category.AE": "Reverse charge",
    "category.K": "Intra-Community supply",
    "category.G": "Export",
    "legal.AE": "Reverse charge: the VAT is payable by the recipient"
    " (Art. 196 Council Directive 2006/112/EC).",
    "legal.K": "VAT-exempt intra-Community supply (Art. 138 Council Directive 2006/112/EC).",
    "legal.G": "VAT-exempt export supply (Art. 146 Council Directive 2006/112/EC).",
    "unit.C62": "pc",
    "unit.H87": "pc",
    "unit.EA": "ea",
    "unit.HUR": "h",
    "unit.MIN": "min",
    "unit.DAY": "days",
    "unit.WEE": "weeks",
    "unit.MON": "months",
    "unit.ANN": "years",
    "unit.KGM": "kg",
    "unit.TNE": "t",
    "unit.MTR": "m",
    "unit.KMT": "km",
    "unit.MTK": "m²",
    "unit.MTQ": "m³",
    "unit.LTR": "l",
    "unit.KWH": "kWh",
    "unit.SET": "sets",
    "unit.LS": "lump sum",
    "unit.XPK": "packs",
}

DE: Final = {
    "title.invoice": "Rechnung",
    "title.credit_memo": "Gutschrift",
    "title.debit_memo": "Belastungsanzeige",
    "number.invoice": "Rechnungsnr.",
    "number.credit_memo": "Gutschriftsnr.",
    "number.debit_memo": "Belegnr.",
    "issue_date": "Datum",
    "due_date": "Fällig am",
    "delivery_date": "Lieferdatum",
    "service_period": "Leistungszeitraum",
    "customer_number": "Kundennr.",
    "buyer_reference": "Ihre Referenz",
    "purchase_order": "Ihre Bestellung",
    "buyer_vat_id": "Ihre USt-IdNr.",
    "preceding_invoice": "Bezug: Rechnung",
    "of_date": "vom",
    "position": "Pos.",
    "description": "Beschreibung",
    "quantity": "Menge",
    "unit": "Einheit",
    "unit_price": "Einzelpreis",
    "discount": "Rabatt",
    "vat": "USt.",
    "amount": "Betrag",
    "net_total": "Nettobetrag",
    "vat_on": "USt. {rate} auf {base}",
    "gross_total": "Gesamtbetrag",
    "prepaid": "Bereits bezahlt",
    "amount_due": "Zu zahlen",
    "credit_total": "Gutschriftsbetrag",
    "base_total": "Gesamtbetrag in {currency}: {amount} zum Kurs 1 {document_currency}"
    " = {rate} {currency} ({date})",
    "payment": "Zahlung",
    "payment_terms": "Zahlungsbedingungen",
    "early_payment_discount": "Skonto",
    "please_pay": "Bitte überweisen Sie {amount} bis zum {date} unter Angabe der Referenz"
    " auf das folgende Konto.",
    "please_pay_undated": "Bitte überweisen Sie {amount} unter Angabe der Referenz"
    " auf das folgende Konto.",
    "credited": "Der Betrag wird Ihrem Kundenkonto gutgeschrieben.",
    "nothing_due": "Aus diesem Beleg ist nichts zu zahlen.",
    "payment_schedule": "Zahlungsplan",
    "installment": "Rate",
    "first_installment": "Erste Rate",
    "please_pay_schedule": "Bitte überweisen Sie jede Rate des Zahlungsplans bis zu ihrem"
    " Fälligkeitsdatum unter Angabe der Referenz auf das folgende Konto.",
    "schedule_terms": "Zahlungsplan: {items}",
    "schedule_item": "{amount} fällig am {date}",
    "account_holder": "Kontoinhaber",
    "iban": "IBAN",
    "bic": "BIC",
    "bank": "Bank",
    "reference": "Verwendungszweck",
    "scan_to_pay": "Mit Ihrer Banking-App scannen und bezahlen",
    "page": "Seite",
    "page_of": "von",
    "vat_id": "USt-IdNr.",
    "tax_number": "Steuernr.",
    "registration": "Registergericht",
    "phone": "Tel.",
    "email": "E-Mail",
    "web": "Web",
    "notes": "Hinweise",
    "category.S": "USt.",
    "category.Z": "Nullsatz",
    "category.E": "Steuerfrei",
    "category.AE": "Reverse Charge",
    "category.K": "Innergem. Lieferung",
    "category.G": "Ausfuhr",
    "legal.AE": "Steuerschuldnerschaft des Leistungsempfängers (Reverse Charge,"
    " § 13b UStG, Art. 196 MwStSystRL).",
    "legal.K": "Steuerfreie innergemeinschaftliche Lieferung (§ 4 Nr. 1b UStG,"
    " Art. 138 MwStSystRL).",
    "legal.G": "Steuerfreie Ausfuhrlieferung (§ 4 Nr. 1a UStG, Art. 146 MwStSystRL).",
    "unit.C62": "Stk.",
    "unit.H87": "Stk.",
    "unit.EA": "Stk.",
    "unit.HUR": "Std.",
    "unit.MIN": "Min.",
    "unit.DAY": "Tage",
    "unit.WEE": "Wochen",
    "unit.MON": "Monate",
    "unit.ANN": "Jahre",
    "unit.SET": "Satz",
    "unit.LS": "pauschal",
    "unit.XPK": "Pack.",
}

FR: Final = {
    "title.invoice": "Facture",
    "title.credit_memo": "Avoir",
    "title.debit_memo": "Note de débit",
    "number.invoice": "N° de facture",
    "number.credit_memo": "N° d'avoir",
    "number.debit_memo": "N° de note de débit",
    "issue_date": "Date",
    "due_date": "Échéance",
    "delivery_date": "Date de livraison",
    "service_period": "Période de prestation",
    "customer_number": "N° client",
    "buyer_reference": "Votre référence",
    "purchase_order": "Votre commande",
    "buyer_vat_id": "Votre n° TVA",
    "preceding_invoice": "Facture d'origine",
    "of_date": "du",
    "position": "N°",
    "description": "Désignation",
    "quantity": "Qté",
    "unit": "Unité",
    "unit_price": "Prix unitaire HT",
    "discount": "Remise",
    "vat": "TVA",
    "amount": "Montant HT",
    "net_total": "Total HT",
    "vat_on": "TVA {rate} sur {base}",
    "gross_total": "Total TTC",
    "prepaid": "Déjà payé",
    "amount_due": "Net à payer",
    "credit_total": "Montant de l'avoir",
    "base_total": "Total en {currency} : {amount} au taux 1 {document_currency}"
    " = {rate} {currency} ({date})",
    "payment": "Paiement",
    "payment_terms": "Conditions",
    "early_payment_discount": "Escompte",
    "please_pay": "Merci de virer {amount} avant le {date} sur le compte ci-dessous,"
    " en indiquant la référence.",
    "please_pay_undated": "Merci de virer {amount} sur le compte ci-dessous,"
    " en indiquant la référence.",
    "credited": "Ce montant sera porté au crédit de votre compte client.",
    "nothing_due": "Aucun montant n'est dû au titre de ce document.",
    "payment_schedule": "Échéancier",
    "installment": "Versement",
    "first_installment": "1re échéance",
    "please_pay_schedule": "Merci de virer chaque échéance de l'échéancier avant sa date"
    " sur le compte ci-dessous, en indiquant la référence.",
    "schedule_terms": "Échéancier : {items}",
    "schedule_item": "{amount} au {date}",
    "account_holder": "Titulaire",
    "iban": "IBAN",
    "bic": "BIC",
    "bank": "Banque",
    "reference": "Référence",
    "scan_to_pay": "Scannez avec votre application bancaire pour payer",
    "page": "Page",
    "page_of": "sur",
    "vat_id": "N° TVA",
    "tax_number": "N° fiscal",
    "registration": "RCS",
    "phone": "Tél.",
    "email": "E-mail",
    "web": "Web",
    "notes": "Remarques",
    "category.S": "TVA",
    "category.Z": "Taux zéro",
    "category.E": "Exonéré",
    "category.AE": "Autoliquidation",
    "category.K": "Livraison intracommunautaire",
    "category.G": "Exportation",
    "legal.AE": "Autoliquidation : TVA due par le preneur"
    " (art. 283-2 du CGI, art. 196 de la directive 2006/112/CE).",
    "legal.K": "Exonération de TVA, article 262 ter I du CGI (livraison intracommunautaire).",
    "legal.G": "Exonération de TVA, article 262 I du CGI (exportation).",
    "unit.C62": "pce",
    "unit.H87": "pce",
    "unit.EA": "pce",
    "unit.DAY": "jours",
    "unit.WEE": "semaines",
    "unit.MON": "mois",
    "unit.ANN": "ans",
    "unit.SET": "lots",
    "unit.LS": "forfait",
    "unit.XPK": "paq.",
}

_TABLES: Final = {"en": EN, "de": DE, "fr": FR}


class Labels:
    """``labels["due_date"]`` in the document's language, English where a word is missing."""

    def __init__(self, locale: str) -> None:
        self.language = locale.replace("-", "_").split("_")[0].lower()
        self._table = _TABLES.get(self.language, EN)

    def __getitem__(self, key: str) -> str:
        return self._table.get(key) or EN[key]

    def title(self, kind: DocumentKind) -> str:
        return self[f"title.{kind.value}"]

    def number(self, kind: DocumentKind) -> str:
        return self[f"number.{kind.value}"]

    def unit(self, code: str) -> str:
        key = f"unit.{code}"
        return self._table.get(key) or EN.get(key) or code

    def category(self, category: TaxCategory) -> str:
        return self[f"category.{category.value}"]

    def legal_note(self, category: TaxCategory) -> str:
        return self._table.get(f"legal.{category.value}") or EN.get(f"legal.{category.value}", "")
