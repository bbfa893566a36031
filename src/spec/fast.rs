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
//! two to it (`tests` below). The check walks the committed schema
//! (`schemas/topology.schema.json`, which a test keeps equal to the generated one),
//! compiled into static tables (`compiled.rs`, generated from the schema by the tests:
//! reading the schema's 37 KB of JSON cost more than checking a spec). It knows the
//! keywords and patterns that schema uses; a schema with anything else — a new keyword,
//! a new pattern, a `$ref` it cannot resolve — cannot be compiled, and tables compiled
//! from another text than the committed schema are not used: then every spec takes the
//! full validator. A gap here can cost time, never let through a spec the schema refuses.

use serde_json::{Number, Value};

/// The spec's JSON Schema as committed; `rkv schema --check` and a test keep it equal to
/// the schema generated from the types.
const SCHEMA_TEXT: &str = include_str!("../../schemas/topology.schema.json");

/// Deepest schema nesting followed while checking one value (a `$ref` cycle stops here).
const MAX_DEPTH: usize = 256;

// Generated (see `compiled.rs`); rustfmt would rewrap it and the tests compare it byte for byte.
#[rustfmt::skip]
mod compiled;
#[cfg(test)]
mod raw;

/// 64-bit FNV-1a, at compile time: which schema text the static tables were compiled from.
const fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut i = 0;
    while i < bytes.len() {
        h ^= bytes[i] as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
        i += 1;
    }
    h
}

/// Whether `value` satisfies the spec's JSON Schema. No means "not known to": the caller
/// then runs the full validator, which reports why (or accepts after all).
pub fn accepts(value: &Value) -> bool {
    // Tables compiled from another text (the schema changed, the tables were not
    // regenerated) would check the wrong schema: say no, so the full validator decides.
    const CURRENT: bool = compiled::SOURCE == fnv1a(SCHEMA_TEXT.as_bytes());
    CURRENT && Schema::COMPILED.accepts(value)
}

/// A JSON Schema in the subset of draft 2020-12 the spec's schema uses, with every
/// `$ref` resolved to the definition it names.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Schema {
    root: &'static Node,
}

impl Schema {
    const COMPILED: Schema = Schema {
        root: &compiled::ROOT,
    };

    pub(crate) fn accepts(&self, value: &Value) -> bool {
        node(self.root, value, 0)
    }
}

fn check(s: Sub, v: &Value, depth: usize) -> bool {
    match s {
        Sub::Bool(b) => b,
        Sub::Node(n) => node(n, v, depth),
    }
}

fn node(n: &Node, v: &Value, depth: usize) -> bool {
    if depth > MAX_DEPTH {
        return false;
    }
    let depth = depth + 1;
    // In 2020-12 a `$ref` applies beside its sibling keywords, not instead of them.
    if let Some(r) = n.reference
        && !check(r, v, depth)
    {
        return false;
    }
    if let Some(t) = n.types
        && !Types(t).matches(v)
    {
        return false;
    }
    if let Some(options) = n.enumeration
        && !options.iter().any(|o| o.eq_value(v))
    {
        return false;
    }
    if let Some(c) = &n.constant
        && !c.eq_value(v)
    {
        return false;
    }
    let ok = match v {
        Value::Number(x) => {
            n.minimum.is_none_or(|m| !m.gt_number(x)) && n.maximum.is_none_or(|m| !m.lt_number(x))
        }
        Value::String(s) => {
            let chars = || s.chars().count() as u64;
            n.min_length.is_none_or(|m| chars() >= m)
                && n.max_length.is_none_or(|m| chars() <= m)
                && n.pattern.is_none_or(|p| p.matches(s))
        }
        Value::Array(items) => n
            .items
            .is_none_or(|s| items.iter().all(|i| check(s, i, depth))),
        Value::Object(m) => {
            n.required.iter().all(|k| m.contains_key(*k))
                && m.iter().all(|(k, val)| {
                    match n.properties.iter().find(|(name, _)| *name == k.as_str()) {
                        Some((_, p)) => check(*p, val, depth),
                        None => n.additional.is_none_or(|a| check(a, val, depth)),
                    }
                })
        }
        Value::Null | Value::Bool(_) => true,
    };
    if !ok {
        return false;
    }
    if let Some(branches) = n.any_of
        && !branches.iter().any(|b| check(*b, v, depth))
    {
        return false;
    }
    if let Some(branches) = n.one_of {
        let mut valid = branches.iter().filter(|b| check(**b, v, depth));
        if valid.next().is_none() || valid.next().is_some() {
            return false;
        }
    }
    true
}

/// One schema object, with the keywords that assert something. Annotations (`title`,
/// `description`, `default`, `format`: `format` asserts nothing in 2020-12 unless a
/// validator is told to, and `uint32`/`uint16` are not formats `jsonschema` knows) are
/// left out when compiling.
#[derive(Debug)]
pub(crate) struct Node {
    /// The definition a `$ref` names.
    reference: Option<Sub>,
    /// [`Types`] bits.
    types: Option<u8>,
    enumeration: Option<&'static [Lit]>,
    constant: Option<Lit>,
    minimum: Option<Num>,
    maximum: Option<Num>,
    min_length: Option<u64>,
    max_length: Option<u64>,
    pattern: Option<Pattern>,
    items: Option<Sub>,
    properties: &'static [(&'static str, Sub)],
    additional: Option<Sub>,
    required: &'static [&'static str],
    any_of: Option<&'static [Sub]>,
    one_of: Option<&'static [Sub]>,
}

impl Node {
    /// The schema `{}`: every value.
    const EMPTY: Node = Node {
        reference: None,
        types: None,
        enumeration: None,
        constant: None,
        minimum: None,
        maximum: None,
        min_length: None,
        max_length: None,
        pattern: None,
        items: None,
        properties: &[],
        additional: None,
        required: &[],
        any_of: None,
        one_of: None,
    };
}

/// A subschema: `true`, `false` or a schema object.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Sub {
    Bool(bool),
    Node(&'static Node),
}

/// A value of `enum` or `const` (the schema's are strings; lists and objects there
/// cannot be compiled).
// Which variants the tables use depends on the schema of the day.
#[allow(dead_code)]
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Lit {
    Null,
    Bool(bool),
    Int(i64),
    Str(&'static str),
}

impl Lit {
    /// JSON equality as JSON Schema defines it: `1` and `1.0` are the same number.
    fn eq_value(&self, v: &Value) -> bool {
        match (self, v) {
            (Lit::Null, Value::Null) => true,
            (Lit::Bool(a), Value::Bool(b)) => a == b,
            (Lit::Int(a), Value::Number(n)) => {
                let a = Num::Int(*a);
                !a.lt_number(n) && !a.gt_number(n)
            }
            (Lit::Str(a), Value::String(b)) => a == b,
            _ => false,
        }
    }
}

/// A `minimum` or `maximum`.
#[allow(dead_code)]
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Num {
    Int(i64),
    Float(f64),
}

impl Num {
    /// `self < n`: exactly for integers, in `f64` otherwise.
    fn lt_number(self, n: &Number) -> bool {
        match (self, exact(n)) {
            (Num::Int(a), Some(b)) => i128::from(a) < b,
            (a, _) => n.as_f64().is_some_and(|b| a.as_f64() < b),
        }
    }

    /// `self > n`.
    fn gt_number(self, n: &Number) -> bool {
        match (self, exact(n)) {
            (Num::Int(a), Some(b)) => i128::from(a) > b,
            (a, _) => n.as_f64().is_some_and(|b| a.as_f64() > b),
        }
    }

    fn as_f64(self) -> f64 {
        match self {
            Num::Int(i) => i as f64,
            Num::Float(f) => f,
        }
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

    #[cfg(test)]
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

/// In 2020-12 (and for `jsonschema`) `3.0` is an integer.
fn is_integer(n: &Number) -> bool {
    n.is_i64() || n.is_u64() || n.as_f64().is_some_and(|f| f.fract() == 0.0)
}

fn exact(n: &Number) -> Option<i128> {
    n.as_i64()
        .map(i128::from)
        .or_else(|| n.as_u64().map(i128::from))
}

/// The `pattern`s of the spec's schema, matched by hand: compiling them as regular
/// expressions would cost more than checking the whole spec. A pattern not listed here
/// fails the parse of the schema (see the module invariant).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pattern {
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
    #[cfg(test)]
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

#[cfg(test)]
mod tests;
