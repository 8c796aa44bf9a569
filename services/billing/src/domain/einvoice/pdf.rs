//! The invoice XML inside a Factur-X / ZUGFeRD / XRechnung PDF: the file specification
//! named `factur-x.xml`, `zugferd-invoice.xml` or `xrechnung.xml`, found in the
//! catalogue's embedded-files name tree or in its associated files (`/AF`), read with
//! lopdf from memory. Decompression is capped at the import limit, so a small PDF with a
//! huge compressed stream costs no more than a large file would.

use lopdf::{Dictionary, Document, LoadOptions, Object, decode_text_string};

use super::Refusal;

/// The names an embedded invoice goes by (Factur-X 1.0, ZUGFeRD 2, XRechnung).
const INVOICE_NAMES: [&str; 3] = ["factur-x.xml", "zugferd-invoice.xml", "xrechnung.xml"];
/// Deepest name tree walked.
const MAX_TREE_DEPTH: usize = 16;

/// The embedded invoice XML of the PDF `bytes`, at most `max_bytes` once decompressed.
pub(crate) fn embedded_invoice(bytes: &[u8], max_bytes: usize) -> Result<Vec<u8>, Refusal> {
    let unreadable = |err: lopdf::Error| Refusal::UnreadablePdf(err.to_string());
    let document =
        Document::load_mem_with_options(bytes, LoadOptions::with_max_decompressed_size(max_bytes))
            .map_err(unreadable)?;
    let catalog = document.catalog().map_err(unreadable)?;
    let mut specifications = Vec::new();
    if let Ok(tree) = catalog
        .get_deref(b"Names", &document)
        .and_then(Object::as_dict)
        .and_then(|names| names.get_deref(b"EmbeddedFiles", &document))
        .and_then(Object::as_dict)
    {
        walk(&document, tree, 0, &mut specifications);
    }
    if let Ok(associated) = catalog
        .get_deref(b"AF", &document)
        .and_then(Object::as_array)
    {
        specifications.extend(associated.iter().filter_map(|o| dict(&document, o)));
    }
    for specification in specifications {
        let name = [b"UF".as_slice(), b"F"]
            .iter()
            .find_map(|key| specification.get_deref(key, &document).ok())
            .and_then(|name| decode_text_string(name).ok())
            .unwrap_or_default();
        if !INVOICE_NAMES
            .iter()
            .any(|known| name.eq_ignore_ascii_case(known))
        {
            continue;
        }
        let stream = specification
            .get_deref(b"EF", &document)
            .and_then(Object::as_dict)
            .and_then(|files| files.get_deref(b"F", &document))
            .and_then(Object::as_stream)
            .map_err(unreadable)?;
        return stream
            .decompressed_content_with_limit(max_bytes)
            .or_else(|err| {
                // An uncompressed stream has no filter to undo.
                if stream.filters().is_ok_and(|f| f.is_empty()) {
                    Ok(stream.content.clone())
                } else {
                    Err(err)
                }
            })
            .map_err(unreadable);
    }
    Err(Refusal::NoEmbeddedInvoice)
}

/// The dictionary `object` is or refers to.
fn dict<'a>(document: &'a Document, object: &'a Object) -> Option<&'a Dictionary> {
    document
        .dereference(object)
        .ok()
        .and_then(|(_, o)| o.as_dict().ok())
}

/// Collects the file specifications of a name tree node: its `/Names` pairs and, below,
/// its `/Kids`.
fn walk<'a>(
    document: &'a Document,
    node: &'a Dictionary,
    depth: usize,
    into: &mut Vec<&'a Dictionary>,
) {
    if depth > MAX_TREE_DEPTH {
        return;
    }
    if let Ok(names) = node
        .get_deref(b"Names", document)
        .and_then(Object::as_array)
    {
        into.extend(
            names
                .chunks(2)
                .filter_map(|pair| pair.get(1))
                .filter_map(|value| dict(document, value)),
        );
    }
    if let Ok(kids) = node.get_deref(b"Kids", document).and_then(Object::as_array) {
        for kid in kids {
            if let Some(kid) = dict(document, kid) {
                walk(document, kid, depth + 1, into);
            }
        }
    }
}
