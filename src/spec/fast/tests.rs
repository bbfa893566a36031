//! The fast check against the `jsonschema` validator, over mutations of every profile
//! and every golden spec: dropped, duplicated, retyped and renamed fields, numbers at
//! and past each bound of the schema, strings at and past each length and against each
//! pattern. A sabotaged check (one keyword or pattern ignored) must be caught, which
//! shows the mutations reach every keyword the schema uses.

use std::collections::BTreeSet;
use std::path::Path;

use proptest::prelude::*;
use serde_json::{Map, Value, json};

use super::{Pattern, SCHEMA_TEXT, Schema, accepts, fnv1a, raw};
use crate::spec::{load, tree};

/// The full validator's answer.
fn full(v: &Value) -> bool {
    load::validator().expect("the schema compiles").is_valid(v)
}

#[test]
fn the_embedded_schema_is_the_generated_one() {
    let embedded: Value = serde_json::from_str(SCHEMA_TEXT).expect("schema JSON");
    assert_eq!(
        &embedded,
        load::schema(),
        "schemas/topology.schema.json is out of date: run `rkv schema` and commit it"
    );
}

#[test]
fn the_schema_is_understood_in_full() {
    assert!(
        raw::compile(SCHEMA_TEXT).is_some(),
        "the fast check does not know a keyword, type or pattern of the schema: every spec takes the slow path"
    );
}

/// `compiled.rs` is the committed schema compiled; `RKV_UPDATE_GOLDEN=1` rewrites it.
#[test]
#[allow(
    clippy::disallowed_methods,
    reason = "RKV_UPDATE_GOLDEN rewrites a source file, not rkv's output"
)]
fn the_compiled_tables_are_current() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/spec/fast/compiled.rs");
    let want = raw::compile(SCHEMA_TEXT)
        .expect("schema understood")
        .rust(fnv1a(SCHEMA_TEXT.as_bytes()));
    if std::env::var_os("RKV_UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, &want).unwrap();
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        have == want,
        "src/spec/fast/compiled.rs is out of date: run `RKV_UPDATE_GOLDEN=1 cargo test --lib spec::fast` and commit it"
    );
    assert!(
        accepts(&seeds()[0].1),
        "the tables compiled into this test binary are not the committed schema's (just regenerated? run the tests again)"
    );
}

#[test]
fn an_unknown_keyword_or_pattern_makes_the_check_refuse_the_schema() {
    let mut s: Value = serde_json::from_str(SCHEMA_TEXT).unwrap();
    s["$defs"]["Cluster"]["properties"]["shards"]["multipleOf"] = json!(2);
    assert!(raw::compile(&s.to_string()).is_none());
    let mut s: Value = serde_json::from_str(SCHEMA_TEXT).unwrap();
    s["$defs"]["Redis"]["properties"]["image"]["pattern"] = json!("^redis:.*$");
    assert!(raw::compile(&s.to_string()).is_none());
    let mut s: Value = serde_json::from_str(SCHEMA_TEXT).unwrap();
    s["$schema"] = json!("http://json-schema.org/draft-04/schema#");
    assert!(raw::compile(&s.to_string()).is_none());
    let mut s: Value = serde_json::from_str(SCHEMA_TEXT).unwrap();
    s["$defs"]["Cluster"]["properties"]["shards"]["$ref"] = json!("#/$defs/Nowhere");
    assert!(raw::compile(&s.to_string()).is_none());
}

#[test]
fn patterns_by_hand() {
    let cases: &[(Pattern, &str, bool)] = &[
        (Pattern::Name, "a", true),
        (Pattern::Name, "a-1", true),
        (Pattern::Name, "-a", false),
        (Pattern::Name, "a-", false),
        (Pattern::Name, "A", false),
        (Pattern::Name, "", false),
        (Pattern::Name, "a\n", false),
        (Pattern::Quantity, "1", true),
        (Pattern::Quantity, "1.5Gi", true),
        (Pattern::Quantity, "500m", true),
        (Pattern::Quantity, "1E", true),
        (Pattern::Quantity, "1.", false),
        (Pattern::Quantity, ".5", false),
        (Pattern::Quantity, "1Gb", false),
        (Pattern::Quantity, "1.5.1", false),
        (Pattern::RedisBytes, "64mb", true),
        (Pattern::RedisBytes, "64M", true),
        (Pattern::RedisBytes, "64", true),
        (Pattern::RedisBytes, "64b", false),
        (Pattern::RedisBytes, "64mbb", false),
        (Pattern::AutoOrRedisBytes, "auto", true),
        (Pattern::AutoOrRedisBytes, "auto1", false),
        (Pattern::AutoOrRedisBytes, "1gb", true),
        (Pattern::SaveRule, "900 1", true),
        (Pattern::SaveRule, "900  1", false),
        (Pattern::SaveRule, "900 ", false),
        (Pattern::SaveRule, " 900 1", false),
    ];
    for (p, s, want) in cases {
        assert_eq!(p.matches(s), *want, "{p:?} on {s:?}");
    }
}

// ---------------------------------------------------------------------------------------
// The corpus.

/// Every profile and golden spec that parses as YAML, as JSON.
fn seeds() -> Vec<(String, Value)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in ["profiles"] {
        for e in std::fs::read_dir(root.join(dir)).unwrap() {
            files.push(e.unwrap().path());
        }
    }
    for e in std::fs::read_dir(root.join("tests/golden")).unwrap() {
        files.push(e.unwrap().path().join("spec.yaml"));
    }
    files.sort();
    let seeds: Vec<(String, Value)> = files
        .iter()
        .filter(|f| f.extension().is_some_and(|x| x == "yaml") && f.is_file())
        .filter_map(|f| {
            let text = std::fs::read_to_string(f).ok()?;
            let t = tree::parse(&text).ok()?;
            let name = f.strip_prefix(root).unwrap_or(f).display().to_string();
            Some((name, t.value))
        })
        .collect();
    assert!(seeds.len() > 50, "profiles and golden specs found");
    seeds
}

/// What the schema names: property names, bounds, lengths, enum values.
struct Vocabulary {
    names: Vec<String>,
    numbers: Vec<Value>,
    strings: Vec<String>,
    /// A value seen under each property name somewhere in the seeds.
    samples: Map<String, Value>,
}

fn vocabulary(seeds: &[(String, Value)]) -> Vocabulary {
    let mut names = BTreeSet::new();
    let mut bounds = BTreeSet::new();
    let mut lengths = BTreeSet::new();
    let mut strings: BTreeSet<String> = BTreeSet::new();
    fn walk(
        v: &Value,
        names: &mut BTreeSet<String>,
        bounds: &mut BTreeSet<i64>,
        lengths: &mut BTreeSet<u64>,
        strings: &mut BTreeSet<String>,
    ) {
        match v {
            Value::Object(m) => {
                for (k, x) in m {
                    match k.as_str() {
                        "properties" => {
                            if let Value::Object(p) = x {
                                names.extend(p.keys().cloned());
                            }
                        }
                        "minimum" | "maximum" => bounds.extend(x.as_i64()),
                        "minLength" | "maxLength" => lengths.extend(x.as_u64()),
                        "enum" => strings.extend(
                            x.as_array()
                                .into_iter()
                                .flatten()
                                .filter_map(|s| s.as_str().map(String::from)),
                        ),
                        "const" => strings.extend(x.as_str().map(String::from)),
                        _ => {}
                    }
                    walk(x, names, bounds, lengths, strings);
                }
            }
            Value::Array(a) => a
                .iter()
                .for_each(|x| walk(x, names, bounds, lengths, strings)),
            _ => {}
        }
    }
    walk(
        load::schema(),
        &mut names,
        &mut bounds,
        &mut lengths,
        &mut strings,
    );
    let mut numbers: Vec<Value> = bounds
        .iter()
        .flat_map(|b| [b - 1, *b, b + 1])
        .map(Value::from)
        .collect();
    numbers.extend([
        json!(65536),
        json!(4_294_967_296u64),
        json!(u64::MAX),
        json!(i64::MIN),
        json!(2.5),
        json!(3.0),
        json!(-0.5),
        json!(1e300),
    ]);
    let edge = [
        "", "A", "-a", "a-", "a_b", "a\n", "é", "٣", "1.5Gi", "1.Gi", "1.", ".5", "10", "10Gb",
        "1e3", "1E", "1Ei", "1m", "500m", "auto", "AUTO", "64mb", "64MB", "64mbb", "64 mb",
        "900 1", "900  1", " 900 1", "yes", "on",
    ];
    strings.extend(edge.iter().map(|s| s.to_string()));
    for l in lengths {
        for n in [l.saturating_sub(1), l, l + 1] {
            strings.insert("a".repeat(usize::try_from(n).unwrap()));
            // Lengths count characters, not bytes: two-byte and four-byte ones.
            strings.insert("é".repeat(usize::try_from(n).unwrap()));
            strings.insert("🦀".repeat(usize::try_from(n).unwrap()));
        }
    }
    let mut samples = Map::new();
    fn sample(v: &Value, out: &mut Map<String, Value>) {
        match v {
            Value::Object(m) => {
                for (k, x) in m {
                    out.entry(k.clone()).or_insert_with(|| x.clone());
                    sample(x, out);
                }
            }
            Value::Array(a) => a.iter().for_each(|x| sample(x, out)),
            _ => {}
        }
    }
    for (_, s) in seeds {
        sample(s, &mut samples);
    }
    Vocabulary {
        names: names.into_iter().collect(),
        numbers,
        strings: strings.into_iter().collect(),
        samples,
    }
}

/// One change to a spec at a JSON pointer.
#[derive(Debug, Clone)]
enum Mutation {
    Drop,
    Replace(Value),
    Rename(String, String),
    Insert(String, Value),
    Push(Value),
}

fn pointers(v: &Value, at: String, out: &mut Vec<String>) {
    out.push(at.clone());
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                pointers(x, format!("{at}/{}", tree::escape(k)), out);
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                pointers(x, format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

/// Every mutation of the value at `pointer`.
fn mutations(voc: &Vocabulary, v: &Value, pointer: &str) -> Vec<Mutation> {
    let mut out = Vec::new();
    if !pointer.is_empty() {
        out.push(Mutation::Drop);
    }
    let retypes = [
        json!(null),
        json!(true),
        json!(0),
        json!(-1),
        json!(1.5),
        json!("x"),
        json!("7"),
        json!([]),
        json!({}),
        json!(["x"]),
        json!({"x": 1}),
    ];
    out.extend(retypes.into_iter().map(Mutation::Replace));
    match v {
        Value::Number(_) => out.extend(voc.numbers.iter().cloned().map(Mutation::Replace)),
        Value::String(s) => {
            out.extend(
                voc.strings
                    .iter()
                    .cloned()
                    .map(|s| Mutation::Replace(s.into())),
            );
            out.push(Mutation::Replace(s.to_uppercase().into()));
            out.push(Mutation::Replace(format!("{s}x").into()));
            out.push(Mutation::Replace(format!("{s}\n").into()));
        }
        Value::Array(a) => {
            if let Some(first) = a.first() {
                out.push(Mutation::Push(first.clone()));
            }
        }
        Value::Object(m) => {
            let h = pointer.len();
            for (i, k) in m.keys().enumerate() {
                out.push(Mutation::Rename(k.clone(), format!("{k}x")));
                out.push(Mutation::Rename(k.clone(), upper_first(k)));
                // Another name the schema knows: the right type in the wrong place.
                let other = &voc.names[(h * 7 + i * 13) % voc.names.len()];
                out.push(Mutation::Rename(k.clone(), other.clone()));
            }
            // Fields the schema knows, with values of their usual type: a second shape,
            // a field of another section, a duplicate of a sibling.
            for name in &voc.names {
                if !m.contains_key(name) {
                    let value = voc.samples.get(name).cloned().unwrap_or(json!("x"));
                    out.push(Mutation::Insert(name.clone(), value));
                }
            }
            if let Some((k, x)) = m.iter().next() {
                out.push(Mutation::Insert(format!("{k}2"), x.clone()));
            }
        }
        _ => {}
    }
    out
}

fn upper_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

fn apply(v: &Value, pointer: &str, m: &Mutation) -> Value {
    let mut out = v.clone();
    let (parent, last) = match pointer.rfind('/') {
        Some(i) => (
            &pointer[..i],
            pointer[i + 1..].replace("~1", "/").replace("~0", "~"),
        ),
        None => ("", String::new()),
    };
    match m {
        Mutation::Replace(x) => {
            if let Some(t) = out.pointer_mut(pointer) {
                *t = x.clone();
            }
        }
        Mutation::Drop => match out.pointer_mut(parent) {
            Some(Value::Object(o)) => {
                o.shift_remove(&last);
            }
            Some(Value::Array(a)) => {
                if let Ok(i) = last.parse::<usize>()
                    && i < a.len()
                {
                    a.remove(i);
                }
            }
            _ => {}
        },
        Mutation::Rename(from, to) => {
            if let Some(Value::Object(o)) = out.pointer_mut(pointer)
                && !o.contains_key(to)
                && let Some(x) = o.shift_remove(from)
            {
                o.insert(to.clone(), x);
            }
        }
        Mutation::Insert(k, x) => {
            if let Some(Value::Object(o)) = out.pointer_mut(pointer) {
                o.insert(k.clone(), x.clone());
            }
        }
        Mutation::Push(x) => {
            if let Some(Value::Array(a)) = out.pointer_mut(pointer) {
                a.push(x.clone());
            }
        }
    }
    out
}

/// Every seed and every single mutation of it, handed to `f` until it returns `Some`.
fn each_mutant<T>(
    seeds: &[(String, Value)],
    voc: &Vocabulary,
    mut f: impl FnMut(&str, &Value) -> Option<T>,
) -> Option<T> {
    for (name, seed) in seeds {
        if let Some(t) = f(name, seed) {
            return Some(t);
        }
        let mut ps = Vec::new();
        pointers(seed, String::new(), &mut ps);
        for p in &ps {
            let Some(at) = seed.pointer(p) else { continue };
            for m in mutations(voc, at, p) {
                let mutant = apply(seed, p, &m);
                if let Some(t) = f(&format!("{name} {p} {m:?}"), &mutant) {
                    return Some(t);
                }
            }
        }
    }
    None
}

/// The first mutant on which `check` and the full validator disagree.
fn disagreement(check: &Schema, seeds: &[(String, Value)], voc: &Vocabulary) -> Option<String> {
    each_mutant(seeds, voc, |what, v| {
        let (fast, full) = (check.accepts(v), full(v));
        (fast != full).then(|| format!("{what}: fast {fast}, full {full}\n{v:#}"))
    })
}

#[test]
fn fast_and_full_agree_on_every_single_mutation() {
    let seeds = seeds();
    let voc = vocabulary(&seeds);
    // The production tables (compiled.rs), not a fresh compile.
    let check = Schema::COMPILED;
    let (mut accepted, mut refused) = (0, 0);
    let found = each_mutant(&seeds, &voc, |what, v| {
        let (fast, full) = (check.accepts(v), full(v));
        if fast {
            accepted += 1;
        } else {
            refused += 1;
        }
        (fast != full).then(|| format!("{what}: fast {fast}, full {full}\n{v:#}"))
    });
    assert_eq!(found, None);
    // Both answers occur often: the corpus is not all valid nor all broken.
    assert!(
        accepted > 1000 && refused > 1000,
        "{accepted} accepted, {refused} refused"
    );
}

/// The schema with `keyword` removed from every schema object (not from property names).
fn strip(s: &mut Value, keyword: &str) {
    let Value::Object(m) = s else { return };
    m.shift_remove(keyword);
    for (k, x) in m.iter_mut() {
        match (k.as_str(), x) {
            ("properties" | "$defs", Value::Object(subs)) => {
                subs.values_mut().for_each(|x| strip(x, keyword))
            }
            ("items" | "additionalProperties", x) => strip(x, keyword),
            ("anyOf" | "oneOf", Value::Array(subs)) => {
                subs.iter_mut().for_each(|x| strip(x, keyword))
            }
            _ => {}
        }
    }
}

/// Replace every `pattern` equal to `from` with `to`.
fn swap_pattern(s: &mut Value, from: &str, to: &str) {
    match s {
        Value::Object(m) => {
            for (k, x) in m.iter_mut() {
                if k == "pattern" && x.as_str() == Some(from) {
                    *x = to.into();
                } else {
                    swap_pattern(x, from, to);
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|x| swap_pattern(x, from, to)),
        _ => {}
    }
}

/// The agreement test can fail: a check that ignores any one keyword of the schema, or
/// matches any one pattern as another, disagrees with the validator on some mutant.
#[test]
fn a_sabotaged_check_is_caught() {
    let seeds = seeds();
    let voc = vocabulary(&seeds);
    let schema: Value = serde_json::from_str(SCHEMA_TEXT).unwrap();
    let mut planted: Vec<(String, Value)> = Vec::new();
    for keyword in [
        "type",
        "enum",
        "const",
        "minimum",
        "maximum",
        "minLength",
        "maxLength",
        "pattern",
        "required",
        "additionalProperties",
        "properties",
        "items",
        "anyOf",
        "oneOf",
        "$ref",
    ] {
        let mut s = schema.clone();
        strip(&mut s, keyword);
        planted.push((format!("without `{keyword}`"), s));
    }
    for (i, (from, _)) in Pattern::ALL.iter().enumerate() {
        let (to, _) = Pattern::ALL[(i + 1) % Pattern::ALL.len()];
        let mut s = schema.clone();
        swap_pattern(&mut s, from, to);
        planted.push((format!("`{from}` read as `{to}`"), s));
    }
    for (what, s) in planted {
        let text = s.to_string();
        let check = raw::compile(&text)
            .expect("still a schema the check understands")
            .schema;
        assert!(
            disagreement(&check, &seeds, &voc).is_some(),
            "a check {what} agrees with the validator on every mutant: the corpus misses it"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    /// Several mutations at once, anywhere in any seed.
    #[test]
    fn fast_and_full_agree_on_combined_mutations(
        seed in any::<prop::sample::Index>(),
        steps in prop::collection::vec((any::<prop::sample::Index>(), any::<prop::sample::Index>()), 1..4),
    ) {
        thread_local! {
            static CORPUS: (Vec<(String, Value)>, Vocabulary) = {
                let s = seeds();
                let v = vocabulary(&s);
                (s, v)
            };
        }
        CORPUS.with(|(seeds, voc)| {
            let (name, seed) = &seeds[seed.index(seeds.len())];
            let mut v = seed.clone();
            let mut done = Vec::new();
            for (at, which) in &steps {
                let mut ps = Vec::new();
                pointers(&v, String::new(), &mut ps);
                let p = ps[at.index(ps.len())].clone();
                let Some(here) = v.pointer(&p) else { continue };
                let ms = mutations(voc, here, &p);
                let m = ms[which.index(ms.len())].clone();
                v = apply(&v, &p, &m);
                done.push(format!("{p} {m:?}"));
            }
            prop_assert_eq!(accepts(&v), full(&v), "{} {:?}\n{:#}", name, done, v);
            Ok(())
        })?;
    }
}

/// The loader gives the same result with and without the fast path, findings included.
#[test]
fn load_is_the_same_with_and_without_the_fast_path() {
    let seeds = seeds();
    let voc = vocabulary(&seeds);
    let mut n = 0;
    each_mutant::<()>(&seeds[..4.min(seeds.len())], &voc, |what, v| {
        n += 1;
        // Every 7th mutant, as YAML text through the whole loader.
        if n % 7 != 0 {
            return None;
        }
        let text = crate::write::to_yaml(v).expect("YAML");
        let fast = load::load_str("m.yaml", text.clone());
        let slow = load::load_str_full("m.yaml", text);
        match (&fast, &slow) {
            (Ok(a), Ok(b)) => assert_eq!(a.topology, b.topology, "{what}"),
            (Err(a), Err(b)) => assert_eq!(a, b, "{what}"),
            _ => panic!("{what}: fast {:?}, full {:?}", fast.is_ok(), slow.is_ok()),
        }
        None
    });
}
