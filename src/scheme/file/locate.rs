//! Where each field of a scheme file is: a tree of key and value byte ranges, built from the
//! TOML parser's spans or by a small scan of JSON text, used to put a line on every error.

use std::ops::Range;

/// One key of the document (the root has an empty key range) and what it holds.
#[derive(Debug, Default)]
pub(super) struct Node {
    key: Range<usize>,
    value: Range<usize>,
    children: Vec<(String, Node)>,
}

/// Nesting deeper than this is not followed (the JSON scan is recursive).
const MAX_DEPTH: usize = 32;

impl Node {
    /// The byte offset of `path`'s key, or of its deepest ancestor present in the file;
    /// `None` when not even the first key is there.
    pub(super) fn offset_of(&self, path: &[&str]) -> Option<usize> {
        let mut node = self;
        let mut found = None;
        for key in path {
            match node.children.iter().find(|(k, _)| k == key) {
                Some((_, child)) => {
                    found = Some(child.key.start);
                    node = child;
                }
                None => break,
            }
        }
        found
    }

    /// The dotted path of the deepest key whose entry (from its key to the end of its value)
    /// contains `offset`.
    pub(super) fn path_at(&self, offset: usize) -> Option<String> {
        let mut best: Option<(usize, Vec<&str>)> = None;
        self.search(offset, &mut Vec::new(), &mut best);
        best.map(|(_, path)| path.join("."))
    }

    fn search<'a>(
        &'a self,
        offset: usize,
        path: &mut Vec<&'a str>,
        best: &mut Option<(usize, Vec<&'a str>)>,
    ) {
        for (key, child) in &self.children {
            path.push(key);
            let start = child.key.start.min(child.value.start);
            let end = child.key.end.max(child.value.end);
            let deeper = best.as_ref().is_none_or(|(depth, _)| path.len() > *depth);
            if start <= offset && offset <= end && deeper {
                *best = Some((path.len(), path.clone()));
            }
            child.search(offset, path, best);
            path.pop();
        }
    }
}

/// 1-based line of a byte offset.
pub(super) fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// Byte offset of a 1-based line and column (as serde_json reports them).
pub(super) fn offset_of_line(text: &str, line: usize, column: usize) -> usize {
    let start: usize = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum();
    (start + column.saturating_sub(1)).min(text.len())
}

/// The tree of a parsed TOML document.
#[cfg(feature = "toml")]
pub(super) fn toml_tree(table: &toml::Spanned<toml::de::DeTable<'_>>) -> Node {
    let mut root = Node {
        key: 0..0,
        value: table.span(),
        children: Vec::new(),
    };
    toml_children(table.get_ref(), &mut root, 0);
    root
}

#[cfg(feature = "toml")]
fn toml_children(table: &toml::de::DeTable<'_>, node: &mut Node, depth: usize) {
    for (key, value) in table.iter() {
        let mut child = Node {
            key: key.span(),
            value: value.span(),
            children: Vec::new(),
        };
        toml_value(value.get_ref(), &mut child, depth + 1);
        node.children.push((key.get_ref().to_string(), child));
    }
}

#[cfg(feature = "toml")]
fn toml_value(value: &toml::de::DeValue<'_>, node: &mut Node, depth: usize) {
    if depth > MAX_DEPTH {
        return;
    }
    match value {
        toml::de::DeValue::Table(table) => toml_children(table, node, depth),
        toml::de::DeValue::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let mut child = Node {
                    key: item.span(),
                    value: item.span(),
                    children: Vec::new(),
                };
                toml_value(item.get_ref(), &mut child, depth + 1);
                node.children.push((i.to_string(), child));
            }
        }
        _ => {}
    }
}

/// The tree of a JSON document. Tolerates malformed text (it stops where it cannot follow);
/// never panics.
pub(super) fn json_tree(text: &str) -> Node {
    let mut scan = Scan {
        text,
        bytes: text.as_bytes(),
        at: 0,
    };
    scan.ws();
    let mut root = Node {
        key: scan.at..scan.at,
        value: scan.at..text.len(),
        children: Vec::new(),
    };
    scan.value(&mut root, 0);
    root
}

struct Scan<'a> {
    text: &'a str,
    bytes: &'a [u8],
    at: usize,
}

impl Scan<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\r' | b'\n')) {
            self.at += 1;
        }
    }

    /// Skips a string starting at its opening quote; returns its decoded text.
    fn string(&mut self) -> String {
        let start = self.at;
        self.at += 1;
        while let Some(b) = self.peek() {
            self.at += 1;
            match b {
                b'\\' => self.at += 1,
                b'"' => break,
                _ => {}
            }
        }
        self.at = self.at.min(self.bytes.len());
        let raw = self.text.get(start..self.at).unwrap_or("");
        serde_json::from_str(raw).unwrap_or_else(|_| raw.trim_matches('"').to_owned())
    }

    fn value(&mut self, node: &mut Node, depth: usize) {
        self.ws();
        match self.peek() {
            Some(b'{') if depth < MAX_DEPTH => self.object(node, depth),
            Some(b'[') if depth < MAX_DEPTH => self.array(node, depth),
            Some(b'"') => {
                self.string();
            }
            Some(_) => {
                while let Some(b) = self.peek() {
                    if matches!(b, b',' | b'}' | b']' | b' ' | b'\t' | b'\r' | b'\n') {
                        break;
                    }
                    self.at += 1;
                }
            }
            None => {}
        }
    }

    /// An object, from its `{`: each member a child keyed by its name.
    fn object(&mut self, node: &mut Node, depth: usize) {
        self.at += 1;
        loop {
            self.ws();
            if self.peek() != Some(b'"') {
                self.at += usize::from(self.peek() == Some(b'}'));
                return;
            }
            let key_start = self.at;
            let key = self.string();
            let key_end = self.at;
            self.ws();
            if self.peek() != Some(b':') {
                return;
            }
            self.at += 1;
            self.ws();
            let mut child = Node {
                key: key_start..key_end,
                value: self.at..self.at,
                children: Vec::new(),
            };
            self.value(&mut child, depth + 1);
            child.value.end = self.at;
            node.children.push((key, child));
            if !self.separator(b'}') {
                return;
            }
        }
    }

    /// An array, from its `[`: each item a child keyed by its index.
    fn array(&mut self, node: &mut Node, depth: usize) {
        self.at += 1;
        let mut index = 0usize;
        loop {
            self.ws();
            if self.peek() == Some(b']') {
                self.at += 1;
                return;
            }
            let start = self.at;
            let mut child = Node {
                key: start..start,
                value: start..start,
                children: Vec::new(),
            };
            self.value(&mut child, depth + 1);
            child.value.end = self.at;
            child.key.end = self.at;
            node.children.push((index.to_string(), child));
            index += 1;
            if self.at == start || !self.separator(b']') {
                return;
            }
        }
    }

    /// After an item: `,` (true, go on) or the closing byte (false, consumed), else false.
    fn separator(&mut self, close: u8) -> bool {
        self.ws();
        match self.peek() {
            Some(b',') => {
                self.at += 1;
                true
            }
            Some(b) if b == close => {
                self.at += 1;
                false
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_paths_and_lines() {
        let text = "{\n  \"a\": 1,\n  \"sig\": {\n    \"header\": \"x\",\n    \"list\": [1, {\"k\": true}]\n  }\n}";
        let tree = json_tree(text);
        let off = tree.offset_of(&["sig", "header"]).unwrap();
        assert_eq!(line_of(text, off), 4);
        assert_eq!(line_of(text, tree.offset_of(&["sig", "nope"]).unwrap()), 3);
        assert_eq!(tree.offset_of(&["nope"]), None);
        assert_eq!(tree.path_at(off + 12).as_deref(), Some("sig.header"));
        assert_eq!(offset_of_line(text, 4, 5), off);
    }

    #[test]
    fn json_scan_survives_garbage() {
        for text in [
            "",
            "{",
            "[",
            "\"",
            "{\"a\"",
            "{\"a\":",
            "{\"a\":[",
            "{\"a\\",
            "[[[[",
            "}}]]",
            "{\"a\":1 \"b\":2}",
            "\u{e9}\"\\",
        ] {
            let tree = json_tree(text);
            let _ = tree.path_at(text.len());
            let _ = tree.offset_of(&["a", "b"]);
        }
        let deep = "[".repeat(10_000);
        let _ = json_tree(&deep);
        let deep = "{\"a\":".repeat(10_000);
        let _ = json_tree(&deep);
    }
}
