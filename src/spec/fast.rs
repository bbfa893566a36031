//! The structural check of a spec without building the JSON Schema validator.
//!
//! In: a spec as JSON (the value of the spanned tree). Out: whether it satisfies the
//! spec's JSON Schema — a yes or a no, without findings. [`super::load`] asks here
//! first and builds the `jsonschema` validator (about 13 M instructions, most of a
//! one-profile render) only when the answer is no, to report every finding with its
//! position.
//!
//! Invariant: [`accepts`] says yes exactly when the `jsonschema` validator of
//! [`super::load::schema`] finds no error; a property test over mutated specs holds the
//! two to it (`tests` below). The check interprets the committed schema
//! (`schemas/topology.schema.json`, which a test keeps equal to the generated one) and
//! knows the keywords and patterns that schema uses. Anything else — a new keyword, a
//! new pattern, a `$ref` it cannot resolve — makes it say no, so the full validator
//! decides: a gap here can cost time, never let through a spec the schema refuses.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::{Number, Value};

/// The spec's JSON Schema as committed; `rkv schema --check` and a test keep it equal to
/// the schema generated from the types.
const SCHEMA_TEXT: &str = include_str!("../../schemas/topology.schema.json");

/// The only draft whose semantics this module implements.
const DRAFT: &str = "https://json-schema.org/draft/2020-12/schema";

/// Deepest schema nesting followed while checking one value (a `$ref` cycle stops here).
const MAX_DEPTH: usize = 256;

/// Whether `value` satisfies the spec's JSON Schema. No means "not known to": the caller
/// then runs the full validator, which reports why (or accepts after all).
pub fn accepts(value: &Value) -> bool {
    static SCHEMA: OnceLock<Option<Schema<'static>>> = OnceLock::new();
    SCHEMA
        .get_or_init(|| Schema::parse(SCHEMA_TEXT))
        .as_ref()
        .is_some_and(|s| s.accepts(value))
}

/// A JSON Schema in the subset of draft 2020-12 the spec's schema uses.
#[derive(Debug)]
pub(crate) struct Schema<'a> {
    root: Node<'a>,
}

impl<'a> Schema<'a> {
    /// `None` when the text is not a schema this module understands in full.
    pub(crate) fn parse(text: &'a str) -> Option<Schema<'a>> {
        let root: Node<'a> = serde_json::from_str(text).ok()?;
        if root.draft.is_some_and(|d| d != DRAFT) {
            return None;
        }
        Some(Schema { root })
    }

    pub(crate) fn accepts(&self, value: &Value) -> bool {
        self.node(&self.root, value, 0)
    }

    fn check(&self, s: &Sub<'a>, v: &Value, depth: usize) -> bool {
        match s {
            Sub::Bool(b) => *b,
            Sub::Node(n) => self.node(n, v, depth),
        }
    }

    fn node(&self, n: &Node<'a>, v: &Value, depth: usize) -> bool {
        if depth > MAX_DEPTH {
            return false;
        }
        let depth = depth + 1;
        // In 2020-12 a `$ref` applies beside its sibling keywords, not instead of them.
        if let Some(r) = n.reference {
            let target = r
                .strip_prefix("#/$defs/")
                .and_then(|name| self.root.defs.get(name));
            match target {
                Some(t) if self.check(t, v, depth) => {}
                _ => return false,
            }
        }
        if let Some(t) = n.types
            && !t.matches(v)
        {
            return false;
        }
        if let Some(options) = &n.enumeration
            && !options.iter().any(|o| json_eq(o, v))
        {
            return false;
        }
        if let Some(c) = &n.constant
            && !json_eq(c, v)
        {
            return false;
        }
        let ok = match v {
            Value::Number(x) => {
                n.minimum.as_ref().is_none_or(|m| !num_lt(x, m))
                    && n.maximum.as_ref().is_none_or(|m| !num_lt(m, x))
            }
            Value::String(s) => {
                let chars = || s.chars().count() as u64;
                n.min_length.is_none_or(|m| chars() >= m)
                    && n.max_length.is_none_or(|m| chars() <= m)
                    && n.pattern.is_none_or(|p| p.matches(s))
            }
            Value::Array(items) => n
                .items
                .as_ref()
                .is_none_or(|s| items.iter().all(|i| self.check(s, i, depth))),
            Value::Object(m) => {
                n.required.iter().all(|k| m.contains_key(*k))
                    && m.iter().all(|(k, val)| match n.properties.get(k.as_str()) {
                        Some(p) => self.check(p, val, depth),
                        None => n
                            .additional
                            .as_ref()
                            .is_none_or(|a| self.check(a, val, depth)),
                    })
            }
            Value::Null | Value::Bool(_) => true,
        };
        if !ok {
            return false;
        }
        if let Some(branches) = &n.any_of
            && !branches.iter().any(|b| self.check(b, v, depth))
        {
            return false;
        }
        if let Some(branches) = &n.one_of {
            let mut valid = branches.iter().filter(|b| self.check(b, v, depth));
            if valid.next().is_none() || valid.next().is_some() {
                return false;
            }
        }
        true
    }
}

/// One schema object. Unknown keywords fail the parse (`deny_unknown_fields`), so a
/// schema that grew a keyword this module does not check is never half-checked.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Node<'a> {
    #[serde(rename = "$schema", default, borrow)]
    draft: Option<&'a str>,
    #[serde(rename = "$id", default)]
    _id: Option<IgnoredAny>,
    #[serde(rename = "$defs", default, borrow)]
    defs: BTreeMap<&'a str, Sub<'a>>,
    #[serde(rename = "$ref", default, borrow)]
    reference: Option<&'a str>,
    // Annotations: no effect on validity. `format` asserts nothing in 2020-12 unless a
    // validator is told to, and the schema's formats (`uint32`, `uint16`) are not ones
    // `jsonschema` knows.
    #[serde(rename = "title", default)]
    _title: Option<IgnoredAny>,
    #[serde(rename = "description", default)]
    _description: Option<IgnoredAny>,
    #[serde(rename = "default", default)]
    _default: Option<IgnoredAny>,
    #[serde(rename = "format", default)]
    _format: Option<IgnoredAny>,
    #[serde(rename = "type", default)]
    types: Option<Types>,
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
    pattern: Option<Pattern>,
    #[serde(default, borrow)]
    items: Option<Sub<'a>>,
    #[serde(default, borrow)]
    properties: BTreeMap<&'a str, Sub<'a>>,
    #[serde(rename = "additionalProperties", default, borrow)]
    additional: Option<Sub<'a>>,
    #[serde(default, borrow)]
    required: Vec<&'a str>,
    #[serde(rename = "anyOf", default, borrow)]
    any_of: Option<Vec<Sub<'a>>>,
    #[serde(rename = "oneOf", default, borrow)]
    one_of: Option<Vec<Sub<'a>>>,
}

/// A subschema: `true`, `false` or a schema object.
#[derive(Debug)]
enum Sub<'a> {
    Bool(bool),
    Node(Box<Node<'a>>),
}

impl<'de: 'a, 'a> Deserialize<'de> for Sub<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Sub<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a schema (an object or a boolean)")
            }
            fn visit_bool<E: de::Error>(self, b: bool) -> Result<Sub<'a>, E> {
                Ok(Sub::Bool(b))
            }
            fn visit_map<M: MapAccess<'de>>(self, m: M) -> Result<Sub<'a>, M::Error> {
                Node::deserialize(de::value::MapAccessDeserializer::new(m))
                    .map(|n| Sub::Node(Box::new(n)))
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

/// The JSON types a `type` keyword allows, as bits.
#[derive(Debug, Clone, Copy)]
struct Types(u8);

impl Types {
    const NULL: u8 = 1;
    const BOOLEAN: u8 = 2;
    const INTEGER: u8 = 4;
    const NUMBER: u8 = 8;
    const STRING: u8 = 16;
    const ARRAY: u8 = 32;
    const OBJECT: u8 = 64;

    fn bit(name: &str) -> Option<u8> {
        Some(match name {
            "null" => Self::NULL,
            "boolean" => Self::BOOLEAN,
            "integer" => Self::INTEGER,
            "number" => Self::NUMBER,
            "string" => Self::STRING,
            "array" => Self::ARRAY,
            "object" => Self::OBJECT,
            _ => return None,
        })
    }

    fn matches(self, v: &Value) -> bool {
        let has = |bit| self.0 & bit != 0;
        match v {
            Value::Null => has(Self::NULL),
            Value::Bool(_) => has(Self::BOOLEAN),
            Value::Number(n) => has(Self::NUMBER) || (has(Self::INTEGER) && is_integer(n)),
            Value::String(_) => has(Self::STRING),
            Value::Array(_) => has(Self::ARRAY),
            Value::Object(_) => has(Self::OBJECT),
        }
    }
}

impl<'de> Deserialize<'de> for Types {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum OneOrMany<'a> {
            One(#[serde(borrow)] Cow<'a, str>),
            Many(#[serde(borrow)] Vec<Cow<'a, str>>),
        }
        let names = match OneOrMany::deserialize(d)? {
            OneOrMany::One(n) => vec![n],
            OneOrMany::Many(ns) => ns,
        };
        names
            .iter()
            .try_fold(0, |bits, n| Types::bit(n).map(|b| bits | b))
            .map(Types)
            .ok_or_else(|| de::Error::custom("a type this check does not know"))
    }
}

/// In 2020-12 (and for `jsonschema`) `3.0` is an integer.
fn is_integer(n: &Number) -> bool {
    n.is_i64() || n.is_u64() || n.as_f64().is_some_and(|f| f.fract() == 0.0)
}

/// `a < b`, exactly for integers, in `f64` otherwise.
fn num_lt(a: &Number, b: &Number) -> bool {
    match (exact(a), exact(b)) {
        (Some(x), Some(y)) => x < y,
        _ => match (a.as_f64(), b.as_f64()) {
            (Some(x), Some(y)) => x < y,
            _ => false,
        },
    }
}

fn exact(n: &Number) -> Option<i128> {
    n.as_i64()
        .map(i128::from)
        .or_else(|| n.as_u64().map(i128::from))
}

/// JSON equality as JSON Schema defines it: `1` and `1.0` are the same number.
fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => !num_lt(x, y) && !num_lt(y, x),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| json_eq(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| json_eq(v, w)))
        }
        _ => a == b,
    }
}

/// The `pattern`s of the spec's schema, matched by hand: compiling them as regular
/// expressions would cost more than checking the whole spec. A pattern not listed here
/// fails the parse of the schema (see the module invariant).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pattern {
    /// `^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`: a DNS-1123 label's characters.
    Name,
    /// `^[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E|m)?$`: a Kubernetes quantity.
    Quantity,
    /// `^[0-9]+([kKmMgG][bB]?)?$`: a Redis size.
    RedisBytes,
    /// `^(auto|[0-9]+([kKmMgG][bB]?)?)$`: `maxmemory`.
    AutoOrRedisBytes,
    /// `^[0-9]+ [0-9]+$`: an RDB save rule.
    SaveRule,
}

impl Pattern {
    const ALL: [(&'static str, Pattern); 5] = [
        ("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", Pattern::Name),
        (
            r"^[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E|m)?$",
            Pattern::Quantity,
        ),
        (r"^[0-9]+([kKmMgG][bB]?)?$", Pattern::RedisBytes),
        (
            r"^(auto|[0-9]+([kKmMgG][bB]?)?)$",
            Pattern::AutoOrRedisBytes,
        ),
        (r"^[0-9]+ [0-9]+$", Pattern::SaveRule),
    ];

    fn matches(self, s: &str) -> bool {
        let b = s.as_bytes();
        match self {
            Pattern::Name => {
                let inner = |c: &u8| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-';
                !b.is_empty()
                    && b.iter().all(inner)
                    && b.first() != Some(&b'-')
                    && b.last() != Some(&b'-')
            }
            Pattern::Quantity => {
                let rest = digits(b);
                let rest = match rest {
                    Some([b'.', frac @ ..]) => digits(frac),
                    r => r,
                };
                rest.is_some_and(|r| {
                    matches!(
                        r,
                        b"" | b"Ki"
                            | b"Mi"
                            | b"Gi"
                            | b"Ti"
                            | b"Pi"
                            | b"Ei"
                            | b"k"
                            | b"M"
                            | b"G"
                            | b"T"
                            | b"P"
                            | b"E"
                            | b"m"
                    )
                })
            }
            Pattern::RedisBytes => redis_bytes(b),
            Pattern::AutoOrRedisBytes => s == "auto" || redis_bytes(b),
            Pattern::SaveRule => {
                matches!(digits(b), Some([b' ', rest @ ..]) if digits(rest) == Some(&[][..]))
            }
        }
    }
}

/// The rest of `b` after one or more ASCII digits, or `None` when it does not start with one.
fn digits(b: &[u8]) -> Option<&[u8]> {
    let n = b.iter().take_while(|c| c.is_ascii_digit()).count();
    (n > 0).then(|| &b[n..])
}

fn redis_bytes(b: &[u8]) -> bool {
    matches!(
        digits(b),
        Some([] | [b'k' | b'K' | b'm' | b'M' | b'g' | b'G'])
            | Some([b'k' | b'K' | b'm' | b'M' | b'g' | b'G', b'b' | b'B'])
    )
}

impl<'de> Deserialize<'de> for Pattern {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = Cow::<'de, str>::deserialize(d)?;
        Pattern::ALL
            .iter()
            .find(|(p, _)| *p == text)
            .map(|(_, p)| *p)
            .ok_or_else(|| de::Error::custom(format!("a pattern this check does not know: {text}")))
    }
}

#[cfg(test)]
mod tests;
