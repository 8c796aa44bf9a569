"""Suppliers' e-invoices for billing's import tests, made by other tools than the code
under test: CII (EN 16931 or MINIMUM profile) with drafthorse, validated against the
Factur-X XSD as it serialises; Factur-X PDFs with the factur-x package around a blank
page from pypdf; UBL 2.1 from a small template, parsed back by lxml. The totals are
computed here, independently of billing. argv[1] is a JSON spec (kind, number, dates,
seller, buyer, lines as [description, quantity, unit code, net price, VAT rate],
break_total to add 1.00 to the sum of line net amounts); the file goes to stdout.
"""
import io, json, sys
from datetime import date
from decimal import Decimal, ROUND_HALF_UP

spec = json.loads(sys.argv[1])
D = Decimal
cent = D("0.01")
r2 = lambda x: x.quantize(cent, rounding=ROUND_HALF_UP)

lines = [(desc, D(q), unit, D(p), D(rate)) for desc, q, unit, p, rate in spec["lines"]]
nets = [r2(q * p) for _, q, _, p, _ in lines]
per_rate = {}
for (_, _, _, _, rate), net in zip(lines, nets):
    per_rate[rate] = per_rate.get(rate, D(0)) + net
vat = {rate: r2(base * rate / 100) for rate, base in per_rate.items()}
line_total = sum(nets, D(0))
vat_total = sum(vat.values(), D(0))
grand = line_total + vat_total
if spec.get("break_total"):
    line_total += D("1.00")
seller, buyer = spec["seller"], spec["buyer"]
issue = date.fromisoformat(spec["issue_date"])
due = date.fromisoformat(spec["due_date"])

def cii(profile):
    from drafthorse.models.accounting import ApplicableTradeTax
    from drafthorse.models.document import Document
    from drafthorse.models.party import TaxRegistration
    from drafthorse.models.payment import PaymentTerms
    from drafthorse.models.tradelines import LineItem

    doc = Document()
    doc.context.guideline_parameter.id = {
        "en16931": "urn:cen.eu:en16931:2017",
        "minimum": "urn:factur-x.eu:1p0:minimum",
    }[profile]
    doc.header.id = spec["number"]
    doc.header.type_code = "380"
    doc.header.issue_date_time = issue
    for party, who in ((doc.trade.agreement.seller, seller), (doc.trade.agreement.buyer, buyer)):
        party.name = who["name"]
        if who.get("siren"):
            party.legal_organization.id = ("0002", who["siren"])
        if profile != "minimum" or party is doc.trade.agreement.seller:
            party.address.country_id = who["country"]
        if profile != "minimum" and who.get("line1"):
            party.address.line_one = who["line1"]
            party.address.postcode = who["postal_code"]
            party.address.city_name = who["city"]
        if who.get("vat"):
            party.tax_registrations.add(TaxRegistration(id=("VA", who["vat"])))
    doc.trade.settlement.currency_code = "EUR"
    if profile != "minimum":
        for i, ((desc, q, unit, p, rate), net) in enumerate(zip(lines, nets), 1):
            li = LineItem()
            li.document.line_id = str(i)
            li.product.name = desc
            li.agreement.net.amount = p
            li.delivery.billed_quantity = (q, unit)
            li.settlement.trade_tax.type_code = "VAT"
            li.settlement.trade_tax.category_code = "S"
            li.settlement.trade_tax.rate_applicable_percent = rate
            li.settlement.monetary_summation.total_amount = net
            doc.trade.items.add(li)
        for rate in sorted(per_rate, reverse=True):
            tax = ApplicableTradeTax()
            tax.calculated_amount = vat[rate]
            tax.basis_amount = per_rate[rate]
            tax.type_code = "VAT"
            tax.category_code = "S"
            tax.rate_applicable_percent = rate
            doc.trade.settlement.trade_tax.add(tax)
        doc.trade.settlement.terms.add(PaymentTerms(due=due))
        doc.trade.settlement.monetary_summation.line_total = line_total
        doc.trade.settlement.monetary_summation.charge_total = D("0.00")
        doc.trade.settlement.monetary_summation.allowance_total = D("0.00")
    doc.trade.settlement.monetary_summation.tax_basis_total = line_total
    doc.trade.settlement.monetary_summation.tax_total = (vat_total, "EUR")
    doc.trade.settlement.monetary_summation.grand_total = grand
    doc.trade.settlement.monetary_summation.due_amount = grand
    schema = {"en16931": "FACTUR-X_EN16931", "minimum": "FACTUR-X_MINIMUM"}[profile]
    return doc.serialize(schema=schema)

def blank_pdf():
    from pypdf import PdfWriter
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()

def facturx(profile):
    from facturx import generate_from_binary
    return generate_from_binary(blank_pdf(), cii(profile), flavor="factur-x", level=profile, check_xsd=True)

def ubl():
    from xml.sax.saxutils import escape as e
    def party(who):
        vat = (f'<cac:PartyTaxScheme><cbc:CompanyID>{e(who["vat"])}</cbc:CompanyID>'
               '<cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:PartyTaxScheme>') if who.get("vat") else ""
        legal = (f'<cbc:CompanyID schemeID="0002">{who["siren"]}</cbc:CompanyID>') if who.get("siren") else ""
        return (f'<cac:Party><cac:PostalAddress><cbc:StreetName>{e(who.get("line1", ""))}</cbc:StreetName>'
                f'<cbc:CityName>{e(who.get("city", ""))}</cbc:CityName><cbc:PostalZone>{who.get("postal_code", "")}</cbc:PostalZone>'
                f'<cac:Country><cbc:IdentificationCode>{who["country"]}</cbc:IdentificationCode></cac:Country></cac:PostalAddress>'
                f'{vat}<cac:PartyLegalEntity><cbc:RegistrationName>{e(who["name"])}</cbc:RegistrationName>{legal}'
                '</cac:PartyLegalEntity></cac:Party>')
    subtotals = "".join(
        f'<cac:TaxSubtotal><cbc:TaxableAmount currencyID="EUR">{per_rate[r]}</cbc:TaxableAmount>'
        f'<cbc:TaxAmount currencyID="EUR">{vat[r]}</cbc:TaxAmount><cac:TaxCategory><cbc:ID>S</cbc:ID>'
        f'<cbc:Percent>{r}</cbc:Percent><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:TaxCategory></cac:TaxSubtotal>'
        for r in sorted(per_rate, reverse=True))
    invoice_lines = "".join(
        f'<cac:InvoiceLine><cbc:ID>{i}</cbc:ID><cbc:InvoicedQuantity unitCode="{unit}">{q}</cbc:InvoicedQuantity>'
        f'<cbc:LineExtensionAmount currencyID="EUR">{net}</cbc:LineExtensionAmount><cac:Item><cbc:Name>{e(desc)}</cbc:Name>'
        f'<cac:ClassifiedTaxCategory><cbc:ID>S</cbc:ID><cbc:Percent>{rate}</cbc:Percent><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme>'
        f'</cac:ClassifiedTaxCategory></cac:Item><cac:Price><cbc:PriceAmount currencyID="EUR">{p}</cbc:PriceAmount></cac:Price></cac:InvoiceLine>'
        for i, ((desc, q, unit, p, rate), net) in enumerate(zip(lines, nets), 1))
    xml = ('<?xml version="1.0" encoding="UTF-8"?>'
           '<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2" '
           'xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2" '
           'xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">'
           '<cbc:CustomizationID>urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0</cbc:CustomizationID>'
           f'<cbc:ID>{e(spec["number"])}</cbc:ID><cbc:IssueDate>{issue}</cbc:IssueDate><cbc:DueDate>{due}</cbc:DueDate>'
           '<cbc:InvoiceTypeCode>380</cbc:InvoiceTypeCode><cbc:DocumentCurrencyCode>EUR</cbc:DocumentCurrencyCode>'
           f'<cac:AccountingSupplierParty>{party(seller)}</cac:AccountingSupplierParty>'
           f'<cac:AccountingCustomerParty>{party(buyer)}</cac:AccountingCustomerParty>'
           f'<cac:TaxTotal><cbc:TaxAmount currencyID="EUR">{vat_total}</cbc:TaxAmount>{subtotals}</cac:TaxTotal>'
           f'<cac:LegalMonetaryTotal><cbc:LineExtensionAmount currencyID="EUR">{line_total}</cbc:LineExtensionAmount>'
           f'<cbc:TaxExclusiveAmount currencyID="EUR">{line_total}</cbc:TaxExclusiveAmount>'
           f'<cbc:TaxInclusiveAmount currencyID="EUR">{grand}</cbc:TaxInclusiveAmount>'
           f'<cbc:PayableAmount currencyID="EUR">{grand}</cbc:PayableAmount></cac:LegalMonetaryTotal>'
           f'{invoice_lines}</Invoice>')
    from lxml import etree
    etree.fromstring(xml.encode())  # well-formed, or the test's input is at fault
    return xml.encode()

kind = spec["kind"]
out = {"cii": lambda: cii("en16931"), "facturx": lambda: facturx("en16931"),
       "minimum": lambda: cii("minimum"), "facturx-minimum": lambda: facturx("minimum"),
       "ubl": ubl}[kind]()
sys.stdout.buffer.write(out)
