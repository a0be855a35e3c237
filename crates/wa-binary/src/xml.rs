//! XML-like rendering of nodes for logs and tests.
//!
//! `{}` renders on one line, `{:#}` indents children by two spaces. Attribute values and text
//! are escaped; byte content is shown as text when it is printable UTF-8, else as `0x` + hex.

use std::fmt::{self, Display, Formatter, Write as _};

use crate::node::{Content, Node};

impl Display for Node<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let pretty = f.alternate();
        write_node(f, self, 0, pretty)
    }
}

fn write_node(f: &mut Formatter<'_>, node: &Node<'_>, depth: usize, pretty: bool) -> fmt::Result {
    if pretty {
        write!(f, "{:indent$}", "", indent = depth * 2)?;
    }
    write!(f, "<{}", Escaped(node.tag()))?;
    for (key, value) in node.attrs.iter() {
        write!(f, " {}=\"{}\"", Escaped(key), Escaped(&value.to_string()))?;
    }
    match &node.content {
        Content::None => return f.write_str("/>"),
        Content::Nodes(children) if !children.is_empty() => {
            f.write_char('>')?;
            for child in children {
                if pretty {
                    f.write_char('\n')?;
                }
                write_node(f, child, depth + 1, pretty)?;
            }
            if pretty {
                write!(f, "\n{:indent$}", "", indent = depth * 2)?;
            }
        }
        Content::Nodes(_) => f.write_char('>')?,
        Content::Str(text) => write!(f, ">{}", Escaped(text))?,
        Content::Jid(jid) => write!(f, ">{}", Escaped(&jid.to_string()))?,
        Content::Bytes(bytes) => {
            f.write_char('>')?;
            match std::str::from_utf8(bytes) {
                Ok(text) if !text.chars().any(char::is_control) => write!(f, "{}", Escaped(text))?,
                _ => {
                    f.write_str("0x")?;
                    for byte in bytes.iter() {
                        write!(f, "{byte:02x}")?;
                    }
                }
            }
        }
    }
    write!(f, "</{}>", Escaped(node.tag()))
}

/// Text with `& < > " '` escaped.
struct Escaped<'s>(&'s str);

impl Display for Escaped<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        for c in self.0.chars() {
            match c {
                '&' => f.write_str("&amp;")?,
                '<' => f.write_str("&lt;")?,
                '>' => f.write_str("&gt;")?,
                '"' => f.write_str("&quot;")?,
                '\'' => f.write_str("&apos;")?,
                _ => f.write_char(c)?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::{Jid, Node};

    #[test]
    fn renders_compact_and_pretty() {
        let jid: Jid = "15550002222:2@s.whatsapp.net".parse().unwrap();
        let node = Node::new("message")
            .with_attr("id", "a\"<b>")
            .with_children(vec![
                Node::new("to").with_attr("jid", jid),
                Node::new("enc").with_bytes(&[0u8, 0xff][..]),
                Node::new("body").with_bytes(&b"hi & bye"[..]),
                Node::new("list").with_children(vec![]),
            ]);
        assert_eq!(
            node.to_string(),
            "<message id=\"a&quot;&lt;b&gt;\"><to jid=\"15550002222:2@s.whatsapp.net\"/>\
             <enc>0x00ff</enc><body>hi &amp; bye</body><list></list></message>"
        );
        assert_eq!(
            format!("{:#}", Node::new("a").with_children(vec![Node::new("b")])),
            "<a>\n  <b/>\n</a>"
        );
    }
}
