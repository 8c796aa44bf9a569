//! The Factur-X invoice: the printed invoice as a PDF/A-3b ([`pdf::render_pdfa3`]) with
//! its CII XML embedded as `factur-x.xml` (relationship Data), and the XMP metadata
//! Factur-X 1.07 requires: the `fx:` properties (DocumentType INVOICE, DocumentFileName,
//! Version 1.0, ConformanceLevel of the profile) and their schema in the PDF/A extension
//! schemas.
//!
//! krilla writes the document's XMP packet itself, with no hook for another schema. So
//! the `fx:` properties and their extension schema are written by `xmp-writer` (the
//! crate krilla writes its packet with) into a packet of their own, and merged into
//! krilla's, element by element, with `quick-xml`: the schema joins krilla's
//! `pdfaExtension:schemas` bag (a property appears once per resource), the properties
//! follow in their own `rdf:Description` of the same document. `lopdf` then puts the
//! merged packet in place of the catalog's metadata stream and writes the file again.

use quick_xml::Reader;
use quick_xml::Writer;
use quick_xml::events::{BytesEnd, BytesStart, Event};
use xmp_writer::{CustomNamespace, Namespace, XmpWriter};

use super::{EInvoiceError, Profile, cii, prepare};
use crate::domain::pdf::{self, PrintedInvoice, RenderError};

/// The name of the embedded XML, as Factur-X requires it.
pub(crate) const XML_NAME: &str = "factur-x.xml";
/// The Factur-X XMP namespace.
pub(crate) const FX_NAMESPACE: &str = "urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#";

/// Why a Factur-X invoice could not be written.
#[derive(Debug, thiserror::Error)]
pub(crate) enum FacturXError {
    #[error(transparent)]
    EInvoice(#[from] EInvoiceError),
    #[error(transparent)]
    Pdf(#[from] RenderError),
}

fn metadata_error(what: impl std::fmt::Display) -> FacturXError {
    FacturXError::Pdf(RenderError(format!(
        "the Factur-X metadata could not be written: {what}"
    )))
}

/// `invoice` as a Factur-X PDF of `profile`.
pub(crate) fn render(invoice: &PrintedInvoice, profile: Profile) -> Result<Vec<u8>, FacturXError> {
    let einvoice = prepare(invoice).map_err(EInvoiceError::from)?;
    let xml = cii::write(&einvoice, profile).map_err(EInvoiceError::from)?;
    let pdf = pdf::render_pdfa3(invoice, XML_NAME, "Factur-X invoice (UN/CEFACT CII)", xml)?;
    with_factur_x_metadata(&pdf, profile)
}

/// `pdf` with the Factur-X properties and schema merged into its XMP metadata.
fn with_factur_x_metadata(pdf: &[u8], profile: Profile) -> Result<Vec<u8>, FacturXError> {
    let mut document = lopdf::Document::load_mem(pdf).map_err(metadata_error)?;
    let metadata_id = document
        .catalog()
        .and_then(|catalog| catalog.get(b"Metadata"))
        .and_then(lopdf::Object::as_reference)
        .map_err(metadata_error)?;
    let stream = document
        .get_object_mut(metadata_id)
        .and_then(lopdf::Object::as_stream_mut)
        .map_err(metadata_error)?;
    if stream.dict.has(b"Filter") {
        return Err(metadata_error("the XMP packet is compressed"));
    }
    let merged = merge_xmp(&stream.content, profile).map_err(metadata_error)?;
    stream.set_content(merged);
    let mut out = Vec::with_capacity(pdf.len() + 4096);
    document.save_to(&mut out).map_err(metadata_error)?;
    Ok(out)
}

/// A packet of the Factur-X properties of `profile` and their extension schema.
fn factur_x_packet(profile: Profile) -> String {
    let fx = || {
        Namespace::Custom(Box::new(CustomNamespace::new(
            "Factur-X PDFA Extension",
            "fx",
            FX_NAMESPACE,
        )))
    };
    let mut xmp = XmpWriter::new();
    xmp.element("DocumentType", fx()).value("INVOICE");
    xmp.element("DocumentFileName", fx()).value(XML_NAME);
    xmp.element("Version", fx()).value("1.0");
    xmp.element("ConformanceLevel", fx())
        .value(profile.conformance_level());
    let mut schemas = xmp.extension_schemas();
    let mut schema = schemas.add_schema();
    schema.namespace(fx());
    let mut properties = schema.properties();
    for (name, description) in [
        ("DocumentFileName", "The name of the embedded XML document"),
        (
            "DocumentType",
            "The type of the hybrid document in capital letters, e.g. INVOICE or ORDER",
        ),
        (
            "Version",
            "The actual version of the standard applying to the embedded XML document",
        ),
        (
            "ConformanceLevel",
            "The conformance level of the embedded XML document",
        ),
    ] {
        properties
            .add_property()
            .name(name)
            .value_type("Text")
            .category(false)
            .description(description);
    }
    drop(properties);
    drop(schema);
    drop(schemas);
    xmp.finish(None)
}

/// What the Factur-X packet adds: the events of its schema (the `rdf:li` of the
/// extension schemas' bag) and of its `fx:` properties.
struct Additions {
    schema: Vec<Event<'static>>,
    properties: Vec<Event<'static>>,
}

fn additions(packet: &str) -> Result<Additions, quick_xml::Error> {
    let mut reader = Reader::from_str(packet);
    let mut path: Vec<String> = Vec::new();
    let mut schema = Vec::new();
    let mut properties = Vec::new();
    loop {
        let event = reader.read_event()?;
        let (name, closes) = match &event {
            Event::Start(start) => (Some(start.name().into_inner().to_owned()), false),
            Event::End(end) => (Some(end.name().into_inner().to_owned()), true),
            Event::Empty(start) => (Some(start.name().into_inner().to_owned()), true),
            Event::Eof => break,
            _ => (None, false),
        };
        if let (Event::Start(_) | Event::Empty(_), Some(name)) = (&event, &name) {
            path.push(name.clone());
        }
        // The packet is x:xmpmeta / rdf:RDF / rdf:Description / property: the items of
        // the pdfaExtension:schemas bag, and the fx: properties.
        let property = path.get(3).map(String::as_str);
        if path.len() >= 6
            && property == Some("pdfaExtension:schemas")
            && path.get(4).is_some_and(|n| n == "rdf:Bag")
        {
            schema.push(event.clone().into_owned());
        } else if property.is_some_and(|p| p.starts_with("fx:")) {
            properties.push(event.clone().into_owned());
        }
        if closes {
            path.pop();
        }
    }
    Ok(Additions { schema, properties })
}

/// krilla's packet `xmp` with the Factur-X schema and properties of `profile` merged in.
fn merge_xmp(xmp: &[u8], profile: Profile) -> Result<Vec<u8>, quick_xml::Error> {
    let Additions { schema, properties } = additions(&factur_x_packet(profile))?;
    let mut reader = Reader::from_reader(xmp);
    let mut writer = Writer::new(Vec::with_capacity(xmp.len() + 4096));
    let mut path: Vec<String> = Vec::new();
    let mut buffer = Vec::new();
    let mut schema_added = false;
    loop {
        let event = reader.read_event_into(&mut buffer)?;
        match &event {
            Event::Start(start) => path.push(start.name().into_inner().to_owned()),
            Event::End(end) => {
                let closing_bag = end.name().into_inner() == "rdf:Bag"
                    && path.len() >= 2
                    && path[path.len() - 2] == "pdfaExtension:schemas";
                if closing_bag && !schema_added {
                    for event in &schema {
                        writer.write_event(event.clone())?;
                    }
                    schema_added = true;
                }
                if end.name().into_inner() == "rdf:RDF" {
                    let description = BytesStart::new("rdf:Description")
                        .with_attributes([("rdf:about", ""), ("xmlns:fx", FX_NAMESPACE)]);
                    writer.write_event(Event::Start(description))?;
                    for event in &properties {
                        writer.write_event(event.clone())?;
                    }
                    writer.write_event(Event::End(BytesEnd::new("rdf:Description")))?;
                }
                path.pop();
            }
            Event::Eof => break,
            _ => {}
        }
        writer.write_event(event)?;
        buffer.clear();
    }
    if !schema_added {
        return Err(quick_xml::Error::Io(std::sync::Arc::new(
            std::io::Error::other("krilla's packet has no PDF/A extension schemas"),
        )));
    }
    Ok(writer.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_factur_x_schema_and_properties_are_merged_into_krillas_packet() {
        let mut krilla = XmpWriter::new();
        krilla.title([(None, "Facture F-1")]);
        let mut schemas = krilla.extension_schemas();
        schemas.pdf().properties().describe_all();
        drop(schemas);
        krilla.pdfa_part(3);
        let packet = krilla.finish(None);
        let merged =
            String::from_utf8(merge_xmp(packet.as_bytes(), Profile::Basic).unwrap()).unwrap();
        for expected in [
            "<fx:DocumentType>INVOICE</fx:DocumentType>",
            "<fx:DocumentFileName>factur-x.xml</fx:DocumentFileName>",
            "<fx:Version>1.0</fx:Version>",
            "<fx:ConformanceLevel>BASIC</fx:ConformanceLevel>",
            "<pdfaSchema:namespaceURI>urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#</pdfaSchema:namespaceURI>",
            "<pdfaSchema:prefix>fx</pdfaSchema:prefix>",
            "<pdfaProperty:name>ConformanceLevel</pdfaProperty:name>",
            "xmlns:fx=\"urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#\"",
            "<dc:title>",
        ] {
            assert!(
                merged.contains(expected),
                "`{expected}` missing from\n{merged}"
            );
        }
        // One bag of schemas: krilla's, holding both.
        assert_eq!(merged.matches("<pdfaExtension:schemas>").count(), 1);
        assert_eq!(merged.matches("<pdfaSchema:prefix>").count(), 2);
    }
}
