//! The schema compiler of the fast check (tests only): schema JSON in, the check's
//! [`Schema`] out (leaked, for the tests to run), and the Rust source of `compiled.rs`.
//!
//! A schema with a keyword, type, pattern, `$ref` or literal this module does not know
//! is refused (`None`), which is what keeps the check from half-checking a schema.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::{Number, Value};

use super::{Lit, Node, Num, Pattern, Schema, Sub, Types};

/// The only draft whose semantics the check implements.
const DRAFT: &str = "https://json-schema.org/draft/2020-12/schema";

/// One schema object as written. Unknown keywords fail the parse (`deny_unknown_fields`).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNode<'a> {
    #[serde(rename = "$schema", default, borrow)]
    draft: Option<&'a str>,
    #[serde(rename = "$id", default)]
    _id: Option<IgnoredAny>,
    #[serde(rename = "$defs", default, borrow)]
    defs: BTreeMap<&'a str, RawSub<'a>>,
    #[serde(rename = "$ref", default, borrow)]
    reference: Option<&'a str>,
    #[serde(rename = "title", default)]
    _title: Option<IgnoredAny>,
    #[serde(rename = "description", default)]
    _description: Option<IgnoredAny>,
    #[serde(rename = "default", default)]
    _default: Option<IgnoredAny>,
    #[serde(rename = "format", default)]
    _format: Option<IgnoredAny>,
    #[serde(rename = "type", default)]
    types: Option<TypeNames>,
    #[serde(rename = "enum", default)]
    enumeration: Option<Vec<Value>>,
    #[serde(rename = "const", default)]
    constant: Option<Value>,
    #[serde(default)]
    minimum: Option<Number>,
    #[serde(default)]
    maximum: Option<Number>,
    #[serde(rename = "minLength", default)]
    min_length: Option<u64>,
    #[serde(rename = "maxLength", default)]
    max_length: Option<u64>,
    #[serde(default)]
    pattern: Option<String>,
    #[serde(default, borrow)]
    items: Option<RawSub<'a>>,
    #[serde(default, borrow)]
    properties: BTreeMap<&'a str, RawSub<'a>>,
    #[serde(rename = "additionalProperties", default, borrow)]
    additional: Option<RawSub<'a>>,
    #[serde(default, borrow)]
    required: Vec<&'a str>,
    #[serde(rename = "anyOf", default, borrow)]
    any_of: Option<Vec<RawSub<'a>>>,
    #[serde(rename = "oneOf", default, borrow)]
    one_of: Option<Vec<RawSub<'a>>>,
}

#[derive(Debug)]
enum RawSub<'a> {
    Bool(bool),
    Node(Box<RawNode<'a>>),
}

impl<'de: 'a, 'a> Deserialize<'de> for RawSub<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = RawSub<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a schema (an object or a boolean)")
            }
            fn visit_bool<E: de::Error>(self, b: bool) -> Result<RawSub<'a>, E> {
                Ok(RawSub::Bool(b))
            }
            fn visit_map<M: MapAccess<'de>>(self, m: M) -> Result<RawSub<'a>, M::Error> {
                RawNode::deserialize(de::value::MapAccessDeserializer::new(m))
                    .map(|n| RawSub::Node(Box::new(n)))
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

/// `type`: one name or a list.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum TypeNames {
    One(String),
    Many(Vec<String>),
}

/// Compiles `text`; `None` when it holds anything the check does not know.
pub(crate) fn compile(text: &str) -> Option<Compiled> {
    let root: RawNode<'_> = serde_json::from_str(text).ok()?;
    if root.draft.is_some_and(|d| d != DRAFT) {
        return None;
    }
    let mut c = Compiler {
        raw_defs: &root.defs,
        defs: BTreeMap::new(),
        resolving: Vec::new(),
    };
    let node = c.node(&root)?;
    Some(Compiled {
        schema: Schema { root: node },
        defs: c.defs.into_iter().collect(),
    })
}

/// A compiled schema and its definitions by name (to name them in generated source).
pub(crate) struct Compiled {
    pub(crate) schema: Schema,
    defs: Vec<(String, Sub)>,
}

struct Compiler<'r, 'a> {
    raw_defs: &'r BTreeMap<&'a str, RawSub<'a>>,
    defs: BTreeMap<String, Sub>,
    /// Definitions being compiled: a `$ref` back to one is a cycle, refused.
    resolving: Vec<String>,
}

fn leak<T>(x: T) -> &'static T {
    Box::leak(Box::new(x))
}

fn leak_slice<T>(x: Vec<T>) -> &'static [T] {
    Box::leak(x.into_boxed_slice())
}

fn leak_str(s: &str) -> &'static str {
    Box::leak(s.to_string().into_boxed_str())
}

impl Compiler<'_, '_> {
    fn sub(&mut self, s: &RawSub<'_>) -> Option<Sub> {
        Some(match s {
            RawSub::Bool(b) => Sub::Bool(*b),
            RawSub::Node(n) => Sub::Node(self.node(n)?),
        })
    }

    fn def(&mut self, reference: &str) -> Option<Sub> {
        let name = reference.strip_prefix("#/$defs/")?;
        if let Some(s) = self.defs.get(name) {
            return Some(*s);
        }
        if self.resolving.iter().any(|r| r == name) {
            return None;
        }
        let raw = self.raw_defs.get(name)?;
        self.resolving.push(name.to_string());
        let s = self.sub(raw);
        self.resolving.pop();
        let s = s?;
        self.defs.insert(name.to_string(), s);
        Some(s)
    }

    fn node(&mut self, n: &RawNode<'_>) -> Option<&'static Node> {
        // `$defs` below the root, or a `$schema` there, are not forms this schema uses.
        let subs =
            |c: &mut Self, list: &Option<Vec<RawSub<'_>>>| -> Option<Option<&'static [Sub]>> {
                match list {
                    None => Some(None),
                    Some(l) => Some(Some(leak_slice(
                        l.iter().map(|s| c.sub(s)).collect::<Option<Vec<_>>>()?,
                    ))),
                }
            };
        let types = match &n.types {
            None => None,
            Some(TypeNames::One(t)) => Some(Types::bit(t)?),
            Some(TypeNames::Many(ts)) => Some(
                ts.iter()
                    .try_fold(0, |bits, t| Types::bit(t).map(|b| bits | b))?,
            ),
        };
        let pattern = match &n.pattern {
            None => None,
            Some(p) => Some(Pattern::ALL.iter().find(|(text, _)| text == p)?.1),
        };
        let properties = n
            .properties
            .iter()
            .map(|(k, s)| Some((leak_str(k), self.sub(s)?)))
            .collect::<Option<Vec<_>>>()?;
        Some(leak(Node {
            reference: match n.reference {
                None => None,
                Some(r) => Some(self.def(r)?),
            },
            types,
            enumeration: match &n.enumeration {
                None => None,
                Some(vs) => Some(leak_slice(vs.iter().map(lit).collect::<Option<Vec<_>>>()?)),
            },
            constant: match &n.constant {
                None => None,
                Some(v) => Some(lit(v)?),
            },
            minimum: match &n.minimum {
                None => None,
                Some(x) => Some(num(x)?),
            },
            maximum: match &n.maximum {
                None => None,
                Some(x) => Some(num(x)?),
            },
            min_length: n.min_length,
            max_length: n.max_length,
            pattern,
            items: match &n.items {
                None => None,
                Some(s) => Some(self.sub(s)?),
            },
            properties: leak_slice(properties),
            additional: match &n.additional {
                None => None,
                Some(s) => Some(self.sub(s)?),
            },
            required: leak_slice(n.required.iter().map(|r| leak_str(r)).collect()),
            any_of: subs(self, &n.any_of)?,
            one_of: subs(self, &n.one_of)?,
        }))
    }
}

fn lit(v: &Value) -> Option<Lit> {
    Some(match v {
        Value::Null => Lit::Null,
        Value::Bool(b) => Lit::Bool(*b),
        Value::Number(n) => Lit::Int(n.as_i64()?),
        Value::String(s) => Lit::Str(leak_str(s)),
        Value::Array(_) | Value::Object(_) => return None,
    })
}

fn num(n: &Number) -> Option<Num> {
    match n.as_i64() {
        Some(i) => Some(Num::Int(i)),
        // A u64 past i64 would lose its exactness as a float: not a bound this schema has.
        None if n.is_u64() => None,
        None => n.as_f64().map(Num::Float),
    }
}

// ---------------------------------------------------------------------------------------
// Rust source.

impl Compiled {
    /// `compiled.rs`: the schema as static tables, and the hash of the text it came from.
    pub(crate) fn rust(&self, source_hash: u64) -> String {
        let mut out = String::new();
        out.push_str(
            "//! The spec's JSON Schema compiled for the fast check: GENERATED from\n\
             //! `schemas/topology.schema.json` by `RKV_UPDATE_GOLDEN=1 cargo test --lib spec::fast`.\n\
             //! Do not edit. `SOURCE` is the hash of the schema text it was compiled from; tables\n\
             //! that do not match the committed schema are not used (see the parent module).\n\n\
             use super::{Lit, Node, Num, Pattern, Sub};\n\n",
        );
        let _ = writeln!(out, "pub(super) const SOURCE: u64 = {source_hash:#018x};\n");
        let _ = writeln!(
            out,
            "pub(super) static ROOT: Node = {};",
            self.node_expr(self.schema.root)
        );
        for (i, (name, s)) in self.defs.iter().enumerate() {
            if let Sub::Node(n) = s {
                let _ = writeln!(
                    out,
                    "\n/// `#/$defs/{name}`\nstatic DEF_{i}: Node = {};",
                    self.node_expr(n)
                );
            }
        }
        out
    }

    fn sub_expr(&self, s: Sub) -> String {
        match s {
            Sub::Bool(b) => format!("Sub::Bool({b})"),
            Sub::Node(n) => match self
                .defs
                .iter()
                .position(|(_, d)| matches!(d, Sub::Node(d) if std::ptr::eq(*d, n)))
            {
                Some(i) => format!("Sub::Node(&DEF_{i})"),
                None => format!("Sub::Node(&{})", self.node_expr(n)),
            },
        }
    }

    fn node_expr(&self, n: &Node) -> String {
        let mut f: Vec<String> = Vec::new();
        if let Some(r) = n.reference {
            // A reference to a definition that is `true` or `false` is written inline.
            f.push(format!("reference: Some({})", self.sub_expr(r)));
        }
        if let Some(t) = n.types {
            f.push(format!("types: Some({t})"));
        }
        if let Some(e) = n.enumeration {
            f.push(format!(
                "enumeration: Some(&[{}])",
                e.iter().map(lit_expr).collect::<Vec<_>>().join(", ")
            ));
        }
        if let Some(c) = &n.constant {
            f.push(format!("constant: Some({})", lit_expr(c)));
        }
        if let Some(m) = n.minimum {
            f.push(format!("minimum: Some({})", num_expr(m)));
        }
        if let Some(m) = n.maximum {
            f.push(format!("maximum: Some({})", num_expr(m)));
        }
        if let Some(m) = n.min_length {
            f.push(format!("min_length: Some({m})"));
        }
        if let Some(m) = n.max_length {
            f.push(format!("max_length: Some({m})"));
        }
        if let Some(p) = n.pattern {
            f.push(format!("pattern: Some(Pattern::{p:?})"));
        }
        if let Some(s) = n.items {
            f.push(format!("items: Some({})", self.sub_expr(s)));
        }
        if !n.properties.is_empty() {
            let ps: Vec<String> = n
                .properties
                .iter()
                .map(|(k, s)| format!("({k:?}, {})", self.sub_expr(*s)))
                .collect();
            f.push(format!("properties: &[{}]", ps.join(", ")));
        }
        if let Some(s) = n.additional {
            f.push(format!("additional: Some({})", self.sub_expr(s)));
        }
        if !n.required.is_empty() {
            let rs: Vec<String> = n.required.iter().map(|r| format!("{r:?}")).collect();
            f.push(format!("required: &[{}]", rs.join(", ")));
        }
        for (name, list) in [("any_of", n.any_of), ("one_of", n.one_of)] {
            if let Some(l) = list {
                let bs: Vec<String> = l.iter().map(|s| self.sub_expr(*s)).collect();
                f.push(format!("{name}: Some(&[{}])", bs.join(", ")));
            }
        }
        f.push("..Node::EMPTY".into());
        format!("Node {{ {} }}", f.join(", "))
    }
}

fn lit_expr(l: &Lit) -> String {
    match l {
        Lit::Null => "Lit::Null".into(),
        Lit::Bool(b) => format!("Lit::Bool({b})"),
        Lit::Int(i) => format!("Lit::Int({i})"),
        Lit::Str(s) => format!("Lit::Str({s:?})"),
    }
}

fn num_expr(n: Num) -> String {
    match n {
        Num::Int(i) => format!("Num::Int({i})"),
        Num::Float(f) => format!("Num::Float({f:?})"),
    }
}
