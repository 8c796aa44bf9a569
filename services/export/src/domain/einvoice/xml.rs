//! The few writing helpers both syntaxes share, over `quick-xml`'s writer: an element
//! with escaped text, with attributes, or holding others.

use std::io;

use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesText, Event};

pub(crate) type Xml = Writer<Vec<u8>>;

/// A writer with the XML declaration written, indenting by two spaces.
pub(crate) fn start() -> io::Result<Xml> {
    let mut writer = Writer::new_with_indent(Vec::new(), b' ', 2);
    writer.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    Ok(writer)
}

/// `<name>text</name>`, the text escaped.
pub(crate) fn leaf(w: &mut Xml, name: &str, text: &str) -> io::Result<()> {
    w.create_element(name)
        .write_text_content(BytesText::new(text))?;
    Ok(())
}

/// `<name a="v">text</name>`, the text and attribute values escaped.
pub(crate) fn leaf_with(
    w: &mut Xml,
    name: &str,
    attributes: &[(&str, &str)],
    text: &str,
) -> io::Result<()> {
    w.create_element(name)
        .with_attributes(attributes.iter().copied())
        .write_text_content(BytesText::new(text))?;
    Ok(())
}

/// `<name>` holding what `inner` writes.
pub(crate) fn node(
    w: &mut Xml,
    name: &str,
    inner: impl FnOnce(&mut Xml) -> io::Result<()>,
) -> io::Result<()> {
    w.create_element(name).write_inner_content(inner)?;
    Ok(())
}

/// `<name a="v">` holding what `inner` writes.
pub(crate) fn node_with(
    w: &mut Xml,
    name: &str,
    attributes: &[(&str, &str)],
    inner: impl FnOnce(&mut Xml) -> io::Result<()>,
) -> io::Result<()> {
    w.create_element(name)
        .with_attributes(attributes.iter().copied())
        .write_inner_content(inner)?;
    Ok(())
}
