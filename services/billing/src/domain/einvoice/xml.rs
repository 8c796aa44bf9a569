//! A small read-only tree of an XML document, built with quick-xml, that the CII and UBL
//! readers walk by local names. Namespaces are resolved for the root only (that is how a
//! format is recognised); below it the two syntaxes never reuse a local name with
//! another meaning where the readers look, so paths of local names are enough.
//!
//! Safety: quick-xml expands no entity but the five predefined ones and character
//! references (an unknown entity, hence any DTD trick, is refused), and the depth is
//! capped, so a hostile file costs at most its own size.

use quick_xml::XmlVersion;
use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::Event;
use quick_xml::name::ResolveResult;
use quick_xml::reader::NsReader;

/// Deepest nesting accepted; EN 16931 documents stay under 15.
const MAX_DEPTH: usize = 64;

/// One element: its namespace (root only), local name, attributes and text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Element {
    /// The namespace URI, resolved for every element.
    pub(crate) namespace: String,
    /// The local name, without prefix.
    pub(crate) name: String,
    /// Attributes by local name.
    pub(crate) attributes: Vec<(String, String)>,
    /// The text directly inside, entities resolved, trimmed.
    pub(crate) text: String,
    /// The child elements, in order.
    pub(crate) children: Vec<Element>,
}

/// Why a document is not well-formed XML.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum XmlError {
    /// quick-xml's refusal, or ours (depth, entities, no root).
    #[error("{0}")]
    Malformed(String),
}

impl Element {
    /// The first child named `name`.
    pub(crate) fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    /// Every child named `name`.
    pub(crate) fn children_named<'a>(
        &'a self,
        name: &'a str,
    ) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// The element at `path` (local names, one per level), first match at each level.
    pub(crate) fn at(&self, path: &[&str]) -> Option<&Element> {
        path.iter()
            .try_fold(self, |element, name| element.child(name))
    }

    /// The text at `path`, trimmed; empty when absent.
    pub(crate) fn text_at(&self, path: &[&str]) -> &str {
        self.at(path).map(|e| e.text.as_str()).unwrap_or("")
    }

    /// An attribute by local name.
    pub(crate) fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }
}

/// Parses `text` into its root element.
pub(crate) fn parse(text: &str) -> Result<Element, XmlError> {
    let malformed = |e: &dyn std::fmt::Display| XmlError::Malformed(e.to_string());
    let mut reader = NsReader::from_str(text);
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    loop {
        let (namespace, event) = reader.read_resolved_event().map_err(|e| malformed(&e))?;
        let namespace = match namespace {
            ResolveResult::Bound(ns) => ns.as_ref().to_owned(),
            _ => String::new(),
        };
        match event {
            Event::Start(_) | Event::Empty(_) if root.is_some() => {
                return Err(XmlError::Malformed("content after the root element".into()));
            }
            Event::Start(ref start) | Event::Empty(ref start) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(XmlError::Malformed(format!(
                        "elements nested deeper than {MAX_DEPTH} levels"
                    )));
                }
                let mut attributes = Vec::new();
                for attribute in start.attributes() {
                    let attribute = attribute.map_err(|e| malformed(&e))?;
                    let value = attribute
                        .normalized_value(XmlVersion::Implicit1_0)
                        .map_err(|e| malformed(&e))?;
                    attributes.push((
                        attribute.key.local_name().as_ref().to_owned(),
                        value.trim().to_owned(),
                    ));
                }
                let element = Element {
                    namespace,
                    name: start.local_name().as_ref().to_owned(),
                    attributes,
                    ..Element::default()
                };
                if matches!(event, Event::Empty(_)) {
                    close(&mut stack, &mut root, element);
                } else {
                    stack.push(element);
                }
            }
            Event::End(_) => {
                let element = stack
                    .pop()
                    .ok_or_else(|| XmlError::Malformed("unbalanced end tag".into()))?;
                close(&mut stack, &mut root, element);
            }
            Event::Text(text) => {
                if let Some(open) = stack.last_mut() {
                    open.text.push_str(&text.xml10_content());
                }
            }
            Event::CData(data) => {
                if let Some(open) = stack.last_mut() {
                    open.text.push_str(&data.xml10_content());
                }
            }
            Event::GeneralRef(reference) => {
                let resolved = match reference.resolve_char_ref().map_err(|e| malformed(&e))? {
                    Some(c) => c.to_string(),
                    None => {
                        let name = reference.xml10_content();
                        resolve_predefined_entity(&name)
                            .ok_or_else(|| XmlError::Malformed(format!("unknown entity &{name};")))?
                            .to_owned()
                    }
                };
                if let Some(open) = stack.last_mut() {
                    open.text.push_str(&resolved);
                }
            }
            Event::Eof => break,
            Event::Comment(_) | Event::Decl(_) | Event::PI(_) | Event::DocType(_) => {}
        }
    }
    if !stack.is_empty() {
        return Err(XmlError::Malformed(format!(
            "element <{}> is not closed",
            stack.last().map(|e| e.name.as_str()).unwrap_or_default()
        )));
    }
    let mut root = root.ok_or_else(|| XmlError::Malformed("no root element".into()))?;
    trim(&mut root);
    Ok(root)
}

/// Attaches a closed element to its parent, or makes it the root.
fn close(stack: &mut [Element], root: &mut Option<Element>, element: Element) {
    match stack.last_mut() {
        Some(parent) => parent.children.push(element),
        None => *root = Some(element),
    }
}

/// Trims every element's text (text split by references was joined untrimmed).
fn trim(element: &mut Element) {
    let mut pending = vec![element];
    while let Some(element) = pending.pop() {
        let trimmed = element.text.trim();
        if trimmed.len() != element.text.len() {
            element.text = trimmed.to_owned();
        }
        pending.extend(element.children.iter_mut());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_document_reads_as_a_tree_of_local_names() {
        let root = parse(
            r#"<?xml version="1.0"?><a:Root xmlns:a="urn:x" xmlns:b="urn:y">
                <b:Item b:code="C62"> 3 &amp; 4 &#x41;</b:Item><b:Empty/></a:Root>"#,
        )
        .unwrap();
        assert_eq!(root.namespace, "urn:x");
        assert_eq!(root.name, "Root");
        let item = root.child("Item").unwrap();
        assert_eq!(item.text, "3 & 4 A");
        assert_eq!(item.attribute("code"), Some("C62"));
        assert!(root.child("Empty").is_some());
        assert_eq!(root.text_at(&["Item"]), "3 & 4 A");
        assert_eq!(root.text_at(&["Missing"]), "");
    }

    #[test]
    fn unknown_entities_deep_nesting_and_broken_documents_are_refused() {
        assert!(parse("<!DOCTYPE a [<!ENTITY e \"x\">]><a>&e;</a>").is_err());
        let deep = "<a>".repeat(100) + &"</a>".repeat(100);
        assert!(parse(&deep).is_err());
        assert!(parse("<a><b></a>").is_err());
        assert!(parse("").is_err());
        assert!(parse("<a/><b/>").is_err());
    }
}
