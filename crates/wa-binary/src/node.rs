//! The node tree: a tag, ordered attributes and content.
//!
//! One type serves both directions. `Node<'a>` may borrow from the bytes it was decoded from
//! (or from the caller's buffers when building a stanza); [`Node::into_owned`] turns it into a
//! `Node<'static>` that owns everything but dictionary tokens, which stay `&'static str`.

use std::borrow::Cow;

use crate::jid::Jid;
use crate::text::Text;

/// A binary XML node.
///
/// ```
/// use wa_binary::{Jid, Node};
/// let to: Jid = "15550002222@s.whatsapp.net".parse()?;
/// let node = Node::new("message")
///     .with_attr("id", "3EB0A1B2C3D4E5F6A7B8C9")
///     .with_attr("to", to.clone())
///     .with_children(vec![Node::new("enc").with_attr("v", "2").with_bytes(&b"..."[..])]);
/// assert_eq!(node.attr_str("id"), Some("3EB0A1B2C3D4E5F6A7B8C9"));
/// assert_eq!(node.attr_jid("to"), Some(to));
/// assert_eq!(node.child("enc").and_then(|n| n.bytes()), Some(&b"..."[..]));
/// # Ok::<(), wa_binary::JidError>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Node<'a> {
    /// The tag (`message`, `iq`, ...); never empty on the wire.
    pub tag: Text<'a>,
    /// The attributes, in the order they are written.
    pub attrs: Attrs<'a>,
    /// The content.
    pub content: Content<'a>,
}

/// Attributes in insertion order (the wire order; Baileys' vectors depend on it).
///
/// Keys are not deduplicated by [`Attrs::push`] (a decoded node keeps what the peer sent);
/// [`Attrs::set`] replaces the first entry with the key, or appends.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Attrs<'a>(Vec<(Text<'a>, AttrValue<'a>)>);

/// An attribute value: a string, or a JID (written as JID_PAIR / AD_JID / FB_JID /
/// INTEROP_JID).
///
/// A string that contains `@` and parses as a [`Jid`] is also written as a JID (as Baileys
/// does), and decodes as [`AttrValue::Jid`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AttrValue<'a> {
    /// A string.
    Str(Text<'a>),
    /// A JID.
    Jid(Jid),
}

/// A node's content.
///
/// On the wire, raw (non-token, non-packed, non-JID) string content is indistinguishable from
/// bytes: [`Content::Str`] `"hello"` is written as BINARY_8 and decodes as [`Content::Bytes`]
/// (as in Baileys). Token, packed and JID strings decode as [`Content::Str`] /
/// [`Content::Jid`]. An empty child list is written as LIST_EMPTY. Empty string content is
/// the dictionary's empty string: in v2 that is LIST_EMPTY too, read back as an empty child
/// list; in v3 it is `FC 00`, read back as empty bytes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Content<'a> {
    /// No content.
    #[default]
    None,
    /// Raw bytes (BINARY_8/20/32).
    Bytes(Cow<'a, [u8]>),
    /// A string, written by the string rules.
    Str(Text<'a>),
    /// A JID.
    Jid(Jid),
    /// Child nodes.
    Nodes(Vec<Node<'a>>),
}

impl<'a> Node<'a> {
    /// A node with a tag, no attributes and no content.
    #[must_use]
    pub fn new(tag: impl Into<Text<'a>>) -> Self {
        Self {
            tag: tag.into(),
            attrs: Attrs::new(),
            content: Content::None,
        }
    }

    /// Appends an attribute.
    #[must_use]
    pub fn with_attr(mut self, key: impl Into<Text<'a>>, value: impl Into<AttrValue<'a>>) -> Self {
        self.attrs.push(key, value);
        self
    }

    /// Sets the content.
    #[must_use]
    pub fn with_content(mut self, content: impl Into<Content<'a>>) -> Self {
        self.content = content.into();
        self
    }

    /// Sets child nodes as the content.
    #[must_use]
    pub fn with_children(self, children: Vec<Node<'a>>) -> Self {
        self.with_content(Content::Nodes(children))
    }

    /// Sets bytes as the content.
    #[must_use]
    pub fn with_bytes(self, bytes: impl Into<Cow<'a, [u8]>>) -> Self {
        self.with_content(Content::Bytes(bytes.into()))
    }

    /// The tag.
    #[must_use]
    pub fn tag(&self) -> &str {
        &self.tag
    }

    /// The first attribute named `key`.
    #[must_use]
    pub fn attr(&self, key: &str) -> Option<&AttrValue<'a>> {
        self.attrs.get(key)
    }

    /// The first attribute named `key`, if it is a string.
    #[must_use]
    pub fn attr_str(&self, key: &str) -> Option<&str> {
        self.attr(key).and_then(AttrValue::as_str)
    }

    /// The first attribute named `key` as a JID (a JID value, or a string that parses as one).
    #[must_use]
    pub fn attr_jid(&self, key: &str) -> Option<Jid> {
        self.attr(key).and_then(AttrValue::to_jid)
    }

    /// The child nodes (empty unless the content is [`Content::Nodes`]).
    #[must_use]
    pub fn children(&self) -> &[Node<'a>] {
        match &self.content {
            Content::Nodes(children) => children,
            _ => &[],
        }
    }

    /// The first child with this tag.
    #[must_use]
    pub fn child(&self, tag: &str) -> Option<&Node<'a>> {
        self.children().iter().find(|c| c.tag() == tag)
    }

    /// The children with this tag.
    pub fn children_with_tag<'s>(&'s self, tag: &'s str) -> impl Iterator<Item = &'s Node<'a>> {
        self.children().iter().filter(move |c| c.tag() == tag)
    }

    /// The content bytes, if the content is [`Content::Bytes`].
    #[must_use]
    pub fn bytes(&self) -> Option<&[u8]> {
        match &self.content {
            Content::Bytes(bytes) => Some(bytes),
            _ => None,
        }
    }

    /// A node that borrows nothing (tokens stay static; everything else is copied once).
    #[must_use]
    pub fn into_owned(self) -> Node<'static> {
        Node {
            tag: self.tag.into_owned(),
            attrs: self.attrs.into_owned(),
            content: self.content.into_owned(),
        }
    }
}

impl<'a> Attrs<'a> {
    /// No attributes.
    #[must_use]
    pub const fn new() -> Self {
        Self(Vec::new())
    }

    /// No attributes, with room for `n`.
    #[must_use]
    pub fn with_capacity(n: usize) -> Self {
        Self(Vec::with_capacity(n))
    }

    /// How many.
    #[must_use]
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The first value with this key.
    #[must_use]
    pub fn get(&self, key: &str) -> Option<&AttrValue<'a>> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// Appends an attribute (even if the key exists).
    pub fn push(&mut self, key: impl Into<Text<'a>>, value: impl Into<AttrValue<'a>>) {
        self.0.push((key.into(), value.into()));
    }

    /// Replaces the value of the first attribute with this key, or appends one.
    pub fn set(&mut self, key: impl Into<Text<'a>>, value: impl Into<AttrValue<'a>>) {
        let key = key.into();
        let value = value.into();
        match self.0.iter_mut().find(|(k, _)| *k == key) {
            Some((_, slot)) => *slot = value,
            None => self.0.push((key, value)),
        }
    }

    /// Removes every attribute with this key and returns the first value.
    pub fn remove(&mut self, key: &str) -> Option<AttrValue<'a>> {
        let index = self.0.iter().position(|(k, _)| k == key)?;
        let (_, first) = self.0.remove(index);
        self.0.retain(|(k, _)| k != key);
        Some(first)
    }

    /// The attributes in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &AttrValue<'a>)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// Attributes that borrow nothing.
    #[must_use]
    pub fn into_owned(self) -> Attrs<'static> {
        Attrs(
            self.0
                .into_iter()
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }
}

impl<'a, K: Into<Text<'a>>, V: Into<AttrValue<'a>>> FromIterator<(K, V)> for Attrs<'a> {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        Self(
            iter.into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        )
    }
}

impl<'a> IntoIterator for Attrs<'a> {
    type Item = (Text<'a>, AttrValue<'a>);
    type IntoIter = std::vec::IntoIter<(Text<'a>, AttrValue<'a>)>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'a> AttrValue<'a> {
    /// The string, if this is a string value.
    #[must_use]
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Self::Str(s) => Some(s),
            Self::Jid(_) => None,
        }
    }

    /// The JID, if this is a JID value.
    #[must_use]
    pub fn as_jid(&self) -> Option<&Jid> {
        match self {
            Self::Jid(jid) => Some(jid),
            Self::Str(_) => None,
        }
    }

    /// The JID, also from a string value that parses as one.
    #[must_use]
    pub fn to_jid(&self) -> Option<Jid> {
        match self {
            Self::Jid(jid) => Some(jid.clone()),
            Self::Str(s) => s.parse().ok(),
        }
    }

    /// A value that borrows nothing.
    #[must_use]
    pub fn into_owned(self) -> AttrValue<'static> {
        match self {
            Self::Str(s) => AttrValue::Str(s.into_owned()),
            Self::Jid(jid) => AttrValue::Jid(jid),
        }
    }
}

impl std::fmt::Display for AttrValue<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Str(s) => f.write_str(s),
            Self::Jid(jid) => std::fmt::Display::fmt(jid, f),
        }
    }
}

impl<'a> From<&'a str> for AttrValue<'a> {
    fn from(s: &'a str) -> Self {
        Self::Str(Text::from(s))
    }
}

impl From<String> for AttrValue<'_> {
    fn from(s: String) -> Self {
        Self::Str(Text::from(s))
    }
}

impl<'a> From<Text<'a>> for AttrValue<'a> {
    fn from(s: Text<'a>) -> Self {
        Self::Str(s)
    }
}

impl From<Jid> for AttrValue<'_> {
    fn from(jid: Jid) -> Self {
        Self::Jid(jid)
    }
}

impl From<&Jid> for AttrValue<'_> {
    fn from(jid: &Jid) -> Self {
        Self::Jid(jid.clone())
    }
}

impl Content<'_> {
    /// Content that borrows nothing.
    #[must_use]
    pub fn into_owned(self) -> Content<'static> {
        match self {
            Self::None => Content::None,
            Self::Bytes(bytes) => Content::Bytes(Cow::Owned(bytes.into_owned())),
            Self::Str(s) => Content::Str(s.into_owned()),
            Self::Jid(jid) => Content::Jid(jid),
            Self::Nodes(nodes) => Content::Nodes(nodes.into_iter().map(Node::into_owned).collect()),
        }
    }

    /// Whether there is no content.
    #[must_use]
    pub fn is_none(&self) -> bool {
        matches!(self, Self::None)
    }
}

impl<'a> From<Vec<Node<'a>>> for Content<'a> {
    fn from(nodes: Vec<Node<'a>>) -> Self {
        Self::Nodes(nodes)
    }
}

impl From<Vec<u8>> for Content<'_> {
    fn from(bytes: Vec<u8>) -> Self {
        Self::Bytes(Cow::Owned(bytes))
    }
}

impl<'a> From<&'a [u8]> for Content<'a> {
    fn from(bytes: &'a [u8]) -> Self {
        Self::Bytes(Cow::Borrowed(bytes))
    }
}

impl<'a> From<&'a str> for Content<'a> {
    fn from(s: &'a str) -> Self {
        Self::Str(Text::from(s))
    }
}

impl From<String> for Content<'_> {
    fn from(s: String) -> Self {
        Self::Str(Text::from(s))
    }
}

impl From<Jid> for Content<'_> {
    fn from(jid: Jid) -> Self {
        Self::Jid(jid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attrs_keep_order_and_set_replaces_in_place() {
        let mut attrs = Attrs::new();
        attrs.push("b", "1");
        attrs.push("a", "2");
        attrs.set("b", "3");
        attrs.set("c", "4");
        let keys: Vec<_> = attrs.iter().map(|(k, v)| format!("{k}={v}")).collect();
        assert_eq!(keys, ["b=3", "a=2", "c=4"]);
        attrs.push("a", "5");
        assert_eq!(
            attrs
                .remove("a")
                .and_then(|v| v.as_str().map(str::to_owned)),
            Some("2".into())
        );
        assert_eq!(attrs.len(), 2);
    }

    #[test]
    fn into_owned_outlives_the_source() {
        let source = String::from("payload");
        let node = Node::new("enc")
            .with_attr("v", source.as_str())
            .with_bytes(source.as_bytes());
        let owned: Node<'static> = node.clone().into_owned();
        drop(node);
        drop(source);
        assert_eq!(owned.attr_str("v"), Some("payload"));
        assert_eq!(owned.bytes(), Some(&b"payload"[..]));
    }

    #[test]
    fn accessors() {
        let node = Node::new("iq").with_children(vec![
            Node::new("a"),
            Node::new("b").with_attr("jid", "1@s.whatsapp.net"),
            Node::new("a"),
        ]);
        assert_eq!(node.children_with_tag("a").count(), 2);
        assert_eq!(
            node.child("b")
                .and_then(|b| b.attr_jid("jid"))
                .map(|j| j.to_string()),
            Some("1@s.whatsapp.net".to_owned())
        );
        assert!(node.child("c").is_none());
        assert!(node.bytes().is_none());
        assert!(Node::new("x").children().is_empty());
    }
}
