//! A YAML document as a tree of nodes that remember where they were written.
//!
//! In: the text of one spec file. Out: a [`Tree`] — the document as JSON (what the
//! schema and serde see) plus an index from each JSON pointer to its line and column.
//! Invariant: the walk refuses, instead of expanding, any alias use that would make
//! the document larger than [`MAX_NODES`], so an alias bomb costs microseconds.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

use serde_json::{Map, Number, Value};
use serde_saphyr::granit_parser::{Event, Options, Parser, ScalarStyle, ScanError, Span};

/// Largest document, in nodes after alias expansion, that the loader accepts.
pub const MAX_NODES: usize = 100_000;
/// Deepest nesting the loader accepts.
const MAX_DEPTH: usize = 64;

pub use crate::diag::Pos;

/// Where `span` starts, 1-based.
fn pos_of(span: &Span) -> Pos {
    Pos {
        line: span.start.line(),
        column: span.start.col() + 1,
    }
}

/// Where a value and, for a mapping entry, its key were written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Place {
    pub value: Pos,
    pub key: Option<Pos>,
}

/// A parsed document: the data and where each part of it came from.
#[derive(Debug, Clone)]
pub struct Tree {
    pub value: Value,
    /// JSON pointer (`/spec/shape/cluster/shards`) to source position.
    pub places: BTreeMap<String, Place>,
}

impl Tree {
    /// The position of the value at `pointer`, or of its nearest ancestor that was written.
    pub fn pos(&self, pointer: &str) -> Pos {
        let mut p = pointer;
        loop {
            if let Some(place) = self.places.get(p) {
                return place.value;
            }
            match p.rfind('/') {
                Some(i) => p = &p[..i],
                None => return Pos { line: 1, column: 1 },
            }
        }
    }

    /// The position of the key that names `pointer`, else of its value.
    pub fn key_pos(&self, pointer: &str) -> Pos {
        match self.places.get(pointer) {
            Some(Place { key: Some(k), .. }) => *k,
            _ => self.pos(pointer),
        }
    }
}

/// Why a text is not a YAML document rkv can read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TreeError {
    /// The text is not YAML.
    #[error("{message}")]
    Syntax { pos: Pos, message: String },
    /// The file holds no document, or only comments.
    #[error("the file is empty")]
    Empty,
    /// More than one `---` document.
    #[error("the file holds more than one YAML document")]
    MultipleDocuments { pos: Pos },
    /// A mapping names the same key twice.
    #[error("duplicate key `{key}`")]
    DuplicateKey { key: String, pos: Pos, first: Pos },
    /// Aliases would expand the document beyond [`MAX_NODES`].
    #[error("aliases would expand the document beyond {MAX_NODES} nodes")]
    AliasExpansion { pos: Pos },
    /// Nesting deeper than the loader accepts.
    #[error("the document nests deeper than {MAX_DEPTH} levels")]
    TooDeep { pos: Pos },
    /// A mapping key that is not a plain scalar.
    #[error("mapping keys must be plain strings")]
    ComplexKey { pos: Pos },
}

impl TreeError {
    pub fn pos(&self) -> Pos {
        match self {
            TreeError::Syntax { pos, .. }
            | TreeError::MultipleDocuments { pos }
            | TreeError::DuplicateKey { pos, .. }
            | TreeError::AliasExpansion { pos }
            | TreeError::TooDeep { pos }
            | TreeError::ComplexKey { pos } => *pos,
            TreeError::Empty => Pos { line: 1, column: 1 },
        }
    }
}

/// A node with its source position; `places` is filled when the tree is flattened.
#[derive(Debug, Clone)]
enum Node {
    Scalar(Value, Pos),
    Seq(Vec<Node>, Pos),
    Map(Vec<(String, Pos, Node)>, Pos),
}

impl Node {
    fn pos(&self) -> Pos {
        match self {
            Node::Scalar(_, p) | Node::Seq(_, p) | Node::Map(_, p) => *p,
        }
    }
}

/// Parse one YAML document.
pub fn parse(text: &str) -> Result<Tree, TreeError> {
    let mut options = Options::default();
    options.set_emit_comments(false);
    let parser = Parser::new_from_str_with_options(text, options);
    let mut b = Builder {
        parser,
        anchors: HashMap::new(),
        nodes: 0,
    };
    let mut root = None;
    loop {
        let (ev, span) = b.next()?;
        match ev {
            Event::StreamStart | Event::DocumentEnd => {}
            Event::StreamEnd => break,
            Event::DocumentStart(..) => {
                if root.is_some() {
                    return Err(TreeError::MultipleDocuments { pos: pos_of(&span) });
                }
                root = Some(b.node(0)?);
            }
            _ => {}
        }
    }
    let root = match root {
        Some(Node::Scalar(Value::Null, _)) | None => return Err(TreeError::Empty),
        Some(n) => n,
    };
    let mut places = BTreeMap::new();
    let value = flatten(root, &mut String::new(), None, &mut places);
    Ok(Tree { value, places })
}

struct Builder<'a> {
    parser: Parser<'a, serde_saphyr::granit_parser::StrInput<'a>>,
    anchors: HashMap<usize, (Node, usize)>,
    nodes: usize,
}

impl<'a> Builder<'a> {
    fn next(&mut self) -> Result<(Event<'a>, Span), TreeError> {
        loop {
            match self.parser.next_event() {
                None => {
                    return Err(TreeError::Syntax {
                        pos: Pos { line: 1, column: 1 },
                        message: "unexpected end of input".into(),
                    });
                }
                Some(Err(e)) => return Err(syntax(&e)),
                #[allow(unreachable_patterns)]
                Some(Ok((ev, span))) => match ev {
                    Event::Anchor(..) => continue,
                    ev => return Ok((ev, span)),
                },
            }
        }
    }

    fn count(&mut self, n: usize, pos: Pos) -> Result<(), TreeError> {
        self.nodes = self.nodes.saturating_add(n);
        if self.nodes > MAX_NODES {
            return Err(TreeError::AliasExpansion { pos });
        }
        Ok(())
    }

    /// Read the node whose first event comes next.
    fn node(&mut self, depth: usize) -> Result<Node, TreeError> {
        let (ev, span) = self.next()?;
        self.node_from(ev, span, depth)
    }

    fn node_from(&mut self, ev: Event<'a>, span: Span, depth: usize) -> Result<Node, TreeError> {
        let pos = pos_of(&span);
        if depth > MAX_DEPTH {
            return Err(TreeError::TooDeep { pos });
        }
        match ev {
            Event::Scalar(text, style, anchor, tag) => {
                self.count(1, pos)?;
                let tag = tag.map(|t| t.to_string());
                let node = Node::Scalar(scalar(&text, style, tag.as_deref()), pos);
                self.remember(anchor, &node, 1);
                Ok(node)
            }
            Event::Alias(id) => {
                let Some((node, size)) = self.anchors.get(&id).cloned() else {
                    return Err(TreeError::Syntax {
                        pos,
                        message: "unknown alias".into(),
                    });
                };
                // Count before cloning: a refused alias is never expanded.
                self.count(size, pos)?;
                Ok(node)
            }
            Event::SequenceStart(_, anchor, _) => {
                let start = self.nodes;
                self.count(1, pos)?;
                let mut items = Vec::new();
                loop {
                    let (ev, span) = self.next()?;
                    if matches!(ev, Event::SequenceEnd) {
                        break;
                    }
                    items.push(self.node_from(ev, span, depth + 1)?);
                }
                let node = Node::Seq(items, pos);
                self.remember(anchor, &node, self.nodes - start);
                Ok(node)
            }
            Event::MappingStart(_, anchor, _) => {
                let start = self.nodes;
                self.count(1, pos)?;
                let mut entries: Vec<(String, Pos, Node)> = Vec::new();
                loop {
                    let (ev, span) = self.next()?;
                    if matches!(ev, Event::MappingEnd) {
                        break;
                    }
                    let kpos = pos_of(&span);
                    let key = match self.node_from(ev, span, depth + 1)? {
                        Node::Scalar(Value::String(s), _) => s,
                        Node::Scalar(Value::Null, _) => "null".to_string(),
                        Node::Scalar(v, _) => v.to_string(),
                        _ => return Err(TreeError::ComplexKey { pos: kpos }),
                    };
                    if let Some((_, first, _)) = entries.iter().find(|(k, _, _)| *k == key) {
                        return Err(TreeError::DuplicateKey {
                            key,
                            pos: kpos,
                            first: *first,
                        });
                    }
                    let value = self.node(depth + 1)?;
                    entries.push((key, kpos, value));
                }
                let node = Node::Map(entries, pos);
                self.remember(anchor, &node, self.nodes - start);
                Ok(node)
            }
            _ => Err(TreeError::Syntax {
                pos,
                message: "unexpected YAML event".into(),
            }),
        }
    }

    fn remember(&mut self, anchor: usize, node: &Node, size: usize) {
        if anchor != 0 {
            self.anchors.insert(anchor, (node.clone(), size));
        }
    }
}

fn syntax(e: &ScanError) -> TreeError {
    let m = e.marker();
    TreeError::Syntax {
        pos: Pos {
            line: m.line().max(1),
            column: m.col() + 1,
        },
        message: e.info().to_string(),
    }
}

/// Resolve a scalar with the YAML 1.2 core schema: `yes` and `on` stay strings.
fn scalar(text: &str, style: ScalarStyle, tag: Option<&str>) -> Value {
    if style != ScalarStyle::Plain {
        return Value::String(text.to_string());
    }
    if let Some(tag) = tag
        && (tag.ends_with(":str") || tag == "!!str")
    {
        return Value::String(text.to_string());
    }
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        _ => {}
    }
    if let Ok(i) = text.parse::<i64>() {
        return Value::Number(i.into());
    }
    let looks_numeric = text
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_digit() || c == '-' || c == '+' || c == '.');
    if looks_numeric
        && text
            .chars()
            .all(|c| c.is_ascii_digit() || "+-.eE".contains(c))
        && let Some(n) = text.parse::<f64>().ok().and_then(Number::from_f64)
    {
        return Value::Number(n);
    }
    Value::String(text.to_string())
}

fn flatten(
    node: Node,
    pointer: &mut String,
    key: Option<Pos>,
    places: &mut BTreeMap<String, Place>,
) -> Value {
    places.insert(
        pointer.clone(),
        Place {
            value: node.pos(),
            key,
        },
    );
    // One buffer for every pointer: each child appends its segment and truncates back.
    let len = pointer.len();
    match node {
        Node::Scalar(v, _) => v,
        Node::Seq(items, _) => Value::Array(
            items
                .into_iter()
                .enumerate()
                .map(|(i, n)| {
                    let _ = write!(pointer, "/{i}");
                    let v = flatten(n, pointer, None, places);
                    pointer.truncate(len);
                    v
                })
                .collect(),
        ),
        Node::Map(entries, _) => {
            let mut map = Map::with_capacity(entries.len());
            for (k, kpos, n) in entries {
                pointer.push('/');
                push_escaped(pointer, &k);
                let v = flatten(n, pointer, Some(kpos), places);
                pointer.truncate(len);
                map.insert(k, v);
            }
            Value::Object(map)
        }
    }
}

/// Append `segment` to `out`, escaped as a JSON pointer segment (RFC 6901).
fn push_escaped(out: &mut String, segment: &str) {
    if segment.contains(['~', '/']) {
        out.push_str(&escape(segment));
    } else {
        out.push_str(segment);
    }
}

/// Escape one JSON pointer segment (RFC 6901).
pub fn escape(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based() {
        let t = parse("a:\n  b: 3\n").unwrap();
        assert_eq!(t.value["a"]["b"], 3);
        assert_eq!(t.places["/a/b"].value, Pos { line: 2, column: 6 });
        assert_eq!(t.places["/a/b"].key, Some(Pos { line: 2, column: 3 }));
    }

    #[test]
    fn yaml_11_booleans_stay_strings() {
        let t = parse("a: yes\nb: on\nc: 'true'\nd: true\ne: 1_000\n").unwrap();
        assert_eq!(t.value["a"], "yes");
        assert_eq!(t.value["b"], "on");
        assert_eq!(t.value["c"], "true");
        assert_eq!(t.value["d"], true);
        assert_eq!(t.value["e"], "1_000");
    }

    #[test]
    fn duplicate_keys_are_refused() {
        let e = parse("a: 1\nb: 2\na: 3\n").unwrap_err();
        assert!(
            matches!(e, TreeError::DuplicateKey { ref key, pos: Pos { line: 3, column: 1 }, .. } if key == "a")
        );
    }

    #[test]
    fn alias_bomb_is_refused_without_expanding() {
        let mut s = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..30 {
            s.push_str(&format!("a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n", p = i - 1));
        }
        assert!(matches!(parse(&s), Err(TreeError::AliasExpansion { .. })));
    }

    #[test]
    fn small_aliases_expand() {
        let t = parse("a: &x {b: 1}\nc: *x\n").unwrap();
        assert_eq!(t.value["c"]["b"], 1);
    }
}
