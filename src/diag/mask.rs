//! Secrets are never echoed: the source line a finding shows, with the value of every
//! key that looks like a credential replaced by [`MASK`].
//!
//! In: the text of a spec and the line a finding points at. Out: that line with values
//! masked, the caret column in it, and the masked values (so that the finding's message
//! and help can drop them too). Invariant: a value is shown only when the key that holds
//! it is not credential-looking, or is one of the spec's *reference* fields holding a
//! value of the shape the spec gives it.
//!
//! The rule, in full:
//! - A key is credential-looking when one of its words (split at camelCase humps, `_`,
//!   `-` and `.`, lowercased) is in `CREDENTIAL_WORDS`, or the whole key (lowercased,
//!   separators removed) contains one of `CREDENTIAL_PARTS` (`requirepass`,
//!   `masterauth`, `apikey`, ...). `scramPasswordKey`, `passwordSecret`, `key` and `auth`
//!   all look like credentials by this rule.
//! - Some of those keys hold a *reference* to a credential, never the credential: the
//!   spec keeps passwords in Secrets and secret stores and names them. A reference is
//!   shown when it has its shape: the fields of [`REFERENCES`] (`key` and `name` of a
//!   `passwordSecret`, `scramPasswordKey` of a `secretStore`, `serverSecret` of `tls`,
//!   ...) hold a plain scalar under their own parent; the mappings of [`CONTAINERS`]
//!   (`auth`, `passwordSecret`, `secretStore`) hold a mapping whose fields are judged one
//!   by one. `passwordSecret: hunter2` (a scalar where the reference mapping belongs) is
//!   masked: it is most likely the password itself; so is `key:` anywhere but under a
//!   `passwordSecret`.
//! - Everything under a masked key is masked: the fields of a mapping, the items of a
//!   list, the lines of a block scalar or of a plain scalar continued on the next line.
//! - Comments are read as text: `# password: x` is masked like a key.
//!
//! Parents are found from the line itself (flow mappings) and from the indentation of
//! the lines above (block mappings); when the layout is unusual the rule errs on the side
//! of masking, never of showing.

/// What a masked value is shown as: the same for every value, so its length is not told.
pub const MASK: &str = "****";

/// Words that make a key credential-looking.
const CREDENTIAL_WORDS: &[&str] = &[
    "password",
    "passwd",
    "pwd",
    "pass",
    "passphrase",
    "secret",
    "secrets",
    "token",
    "tokens",
    "key",
    "keys",
    "apikey",
    "credential",
    "credentials",
    "auth",
    "cred",
    "creds",
];

/// Parts of a key (lowercased, without separators) that make it credential-looking even
/// inside a longer word: Redis's `requirepass` and `masterauth`, `apikey`, `privatekey`.
const CREDENTIAL_PARTS: &[&str] = &[
    "password",
    "passwd",
    "secret",
    "token",
    "credential",
    "apikey",
    "privatekey",
    "requirepass",
    "masterauth",
];

/// `(parent, key)`: spec fields that hold the *name* of a credential's place, shown when
/// their value is a plain scalar under that parent.
pub const REFERENCES: &[(&str, &str)] = &[
    ("passwordSecret", "key"),
    ("secretStore", "scramPasswordKey"),
    ("secretStore", "kafkaCaKey"),
    ("mirror", "sourcePasswordKey"),
    ("mirror", "sourceCaKey"),
    ("tls", "serverSecret"),
    ("tls", "clientSecret"),
];

/// Spec fields whose value is a mapping of references, judged field by field.
pub const CONTAINERS: &[&str] = &["auth", "passwordSecret", "secretStore"];

/// Whether `key` looks like it holds a credential (see the module doc).
pub fn credential_looking(key: &str) -> bool {
    let squashed: String = key
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect();
    CREDENTIAL_PARTS.iter().any(|p| squashed.contains(p))
        || words(key)
            .iter()
            .any(|w| CREDENTIAL_WORDS.contains(&w.as_str()))
}

/// `scramPasswordKey` -> `scram`, `password`, `key`; `tls-auth_clients` -> `tls`, `auth`, `clients`.
fn words(key: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut prev_lower = false;
    for c in key.chars() {
        if !c.is_alphanumeric() {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            prev_lower = false;
            continue;
        }
        if c.is_uppercase() && prev_lower && !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
        prev_lower = c.is_lowercase() || c.is_ascii_digit();
        cur.extend(c.to_lowercase());
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// How a key's value starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// A plain or quoted scalar on the key's line.
    Scalar,
    /// A flow mapping, or nothing on the line (a block mapping or list follows).
    Mapping,
    /// A flow list or a block scalar (`|`, `>`).
    Other,
}

/// Whether the value of `key` (under `parent`, inside a masked value or not) is masked,
/// and with it everything under it.
fn masks(parent: Option<&str>, key: &str, shape: Shape, inside_masked: bool) -> bool {
    if inside_masked {
        return true;
    }
    if let Some(p) = parent
        && REFERENCES.contains(&(p, key))
    {
        return shape != Shape::Scalar;
    }
    if CONTAINERS.contains(&key) {
        return shape != Shape::Mapping;
    }
    credential_looking(key)
}

/// One source line with its credential values masked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Masked {
    pub line: String,
    /// The 1-based column of the finding in `line` (masking shortens what is before it).
    pub column: usize,
    /// The values masked, as written (quotes removed), longest first.
    pub values: Vec<String>,
}

/// Line `line` (1-based) of `text` with its credential values masked; `column` is the
/// finding's column in the original line.
pub fn mask_line(text: &str, line: usize, column: usize) -> Option<Masked> {
    let lines: Vec<&str> = text.lines().collect();
    let idx = line.checked_sub(1)?;
    let src = *lines.get(idx)?;
    let (parent, inside) = block_context(&lines, idx);
    let chars: Vec<char> = src.chars().collect();
    let mut s = Scanner {
        chars: &chars,
        spans: Vec::new(),
        depth: 0,
    };
    s.line(parent.as_deref(), inside);
    let mut spans = s.spans;
    spans.sort();
    spans.dedup();
    let mut out = String::new();
    let mut values = Vec::new();
    let mut shown_column = column;
    let mut at = 0;
    for (start, end) in spans {
        if start < at || end <= start {
            continue;
        }
        out.extend(&chars[at..start]);
        out.push_str(MASK);
        let value: String = chars[start..end].iter().collect();
        let value = value.trim_matches(|c| c == '"' || c == '\'').to_string();
        if !value.trim().is_empty() {
            values.push(value);
        }
        // A column after the value moves with it; one inside it points at the mask.
        let (s1, e1) = (start + 1, end + 1);
        if column >= e1 {
            shown_column = (shown_column + MASK.chars().count()).saturating_sub(end - start);
        } else if column > s1 {
            shown_column = shown_column.saturating_sub(column - s1);
        }
        at = end;
    }
    out.extend(&chars[at.min(chars.len())..]);
    values.sort_by_key(|v| std::cmp::Reverse(v.chars().count()));
    values.dedup();
    Some(Masked {
        line: out,
        column: shown_column,
        values,
    })
}

/// Replace every masked value in `s`: quoted forms always, bare occurrences when the value
/// is long enough not to be a fragment of ordinary words.
pub fn conceal(s: &str, values: &[String]) -> String {
    let mut out = s.to_string();
    for v in values {
        for (open, close) in [("\"", "\""), ("`", "`"), ("'", "'")] {
            out = out.replace(
                &format!("{open}{v}{close}"),
                &format!("{open}{MASK}{close}"),
            );
        }
        if v.chars().count() >= 4 {
            out = out.replace(v.as_str(), MASK);
        }
    }
    out
}

/// The leading spaces of a line.
fn indent(line: &str) -> usize {
    line.chars().take_while(|c| *c == ' ').count()
}

/// The key a block line starts with (after `- ` markers), and how its value starts.
fn block_key(line: &str) -> Option<(String, Shape)> {
    let chars: Vec<char> = line.chars().collect();
    let mut i = indent(line);
    while chars.get(i) == Some(&'-') && matches!(chars.get(i + 1), Some(' ') | None) {
        i += 2;
        while chars.get(i) == Some(&' ') {
            i += 1;
        }
    }
    let (key, after) = read_key(&chars, i)?;
    let mut j = after;
    while chars.get(j) == Some(&' ') {
        j += 1;
    }
    let shape = match chars.get(j) {
        None | Some('#') => Shape::Mapping,
        Some('{') => Shape::Mapping,
        Some('[') | Some('|') | Some('>') => Shape::Other,
        Some(_) => Shape::Scalar,
    };
    Some((key, shape))
}

/// The parent key of line `idx` from the lines above (the nearest key with less
/// indentation), and whether a key on that chain masks what is under it.
fn block_context(lines: &[&str], idx: usize) -> (Option<String>, bool) {
    let mut want = indent(lines[idx]);
    let mut chain: Vec<(String, Shape)> = Vec::new();
    for l in lines[..idx].iter().rev() {
        if want == 0 {
            break;
        }
        let t = l.trim_start();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        let ind = indent(l);
        if ind >= want {
            continue;
        }
        if let Some(k) = block_key(l) {
            chain.push(k);
        }
        want = ind;
    }
    chain.reverse();
    let mut parent: Option<String> = None;
    let mut inside = false;
    for (key, shape) in chain {
        inside = masks(parent.as_deref(), &key, shape, inside);
        parent = Some(key);
    }
    (parent, inside)
}

/// Read a key at `i` (plain, or quoted) followed by `:` and a space or the end of the
/// line; returns the key and the index after the `:`.
fn read_key(chars: &[char], i: usize) -> Option<(String, usize)> {
    let first = *chars.get(i)?;
    if first == '"' || first == '\'' {
        let close = chars[i + 1..].iter().position(|c| *c == first)? + i + 1;
        let key: String = chars[i + 1..close].iter().collect();
        return (chars.get(close + 1) == Some(&':')).then_some((key, close + 2));
    }
    let mut j = i;
    while let Some(&c) = chars.get(j) {
        if c == ':' && matches!(chars.get(j + 1), None | Some(' ') | Some(',') | Some('}')) {
            let key: String = chars[i..j].iter().collect();
            let key = key.trim_end().to_string();
            return (!key.is_empty()).then_some((key, j + 1));
        }
        if matches!(c, '{' | '}' | '[' | ']' | ',' | '#') {
            return None;
        }
        j += 1;
    }
    None
}

/// Deepest nesting of flow collections and comments the scanner follows; deeper, the
/// rest of the line is one value (masked if anything around it is).
const MAX_DEPTH: usize = 64;

/// Walks one line, recording the spans (character ranges) of values to mask.
struct Scanner<'a> {
    chars: &'a [char],
    spans: Vec<(usize, usize)>,
    depth: usize,
}

impl Scanner<'_> {
    fn skip_spaces(&self, mut i: usize) -> usize {
        while self.chars.get(i) == Some(&' ') {
            i += 1;
        }
        i
    }

    /// A whole line: `- ` markers, then a key and its value, or a bare value.
    fn line(&mut self, parent: Option<&str>, inside: bool) {
        let mut i = self.skip_spaces(0);
        while self.chars.get(i) == Some(&'-') && matches!(self.chars.get(i + 1), Some(' ') | None) {
            i = self.skip_spaces(i + 1);
        }
        if self.chars.get(i) == Some(&'#') {
            self.comment(i);
            return;
        }
        match read_key(self.chars, i) {
            Some((key, after)) => {
                self.value(after, parent, Some(&key), inside, false);
            }
            None => {
                self.value(i, parent, None, inside, false);
            }
        }
    }

    /// The text of a comment at `i` (`#`), read as a line of its own.
    fn comment(&mut self, i: usize) {
        if self.depth >= MAX_DEPTH {
            return;
        }
        let rest: Vec<char> = self.chars[i + 1..].to_vec();
        let mut inner = Scanner {
            chars: &rest,
            spans: Vec::new(),
            depth: self.depth + 1,
        };
        inner.line(None, false);
        let base = i + 1;
        self.spans
            .extend(inner.spans.into_iter().map(|(s, e)| (s + base, e + base)));
    }

    /// The value starting at or after `i`, of `key` (`None` for a list item or a bare
    /// line) under `parent`; `flow` inside `{}`/`[]`. Returns the index after it.
    fn value(
        &mut self,
        i: usize,
        parent: Option<&str>,
        key: Option<&str>,
        inside: bool,
        flow: bool,
    ) -> usize {
        let i = self.skip_spaces(i);
        let shape = match self.chars.get(i) {
            None | Some('#') => Shape::Mapping,
            Some('{') => Shape::Mapping,
            Some('[') | Some('|') | Some('>') => Shape::Other,
            Some(_) => Shape::Scalar,
        };
        let masked = match key {
            Some(k) => masks(parent, k, shape, inside),
            None => inside,
        };
        match self.chars.get(i) {
            None => i,
            Some('#') => {
                self.comment(i);
                self.chars.len()
            }
            Some('{') | Some('[') if self.depth >= MAX_DEPTH => {
                if masked {
                    self.spans.push((i, self.chars.len()));
                }
                self.chars.len()
            }
            Some('{') => {
                self.depth += 1;
                let end = self.flow_mapping(i + 1, key.or(parent), masked);
                self.depth -= 1;
                end
            }
            Some('[') => {
                self.depth += 1;
                let end = self.flow_list(i + 1, key.or(parent), masked);
                self.depth -= 1;
                end
            }
            Some(_) => {
                let end = self.scalar_end(i, flow);
                if masked {
                    let mut e = end;
                    while e > i && self.chars[e - 1] == ' ' {
                        e -= 1;
                    }
                    self.spans.push((i, e));
                }
                if !flow && end < self.chars.len() && self.chars[end] == '#' {
                    self.comment(end);
                    return self.chars.len();
                }
                end
            }
        }
    }

    /// Where a scalar starting at `i` ends: at a `,`, `}` or `]` in flow context, at a
    /// ` #` comment, or at the end of the line; quotes are honoured.
    fn scalar_end(&self, i: usize, flow: bool) -> usize {
        let c = self.chars;
        if c[i] == '"' || c[i] == '\'' {
            let q = c[i];
            let mut j = i + 1;
            while j < c.len() {
                if c[j] == '\\' && q == '"' {
                    j += 2;
                    continue;
                }
                if c[j] == q {
                    if q == '\'' && c.get(j + 1) == Some(&'\'') {
                        j += 2;
                        continue;
                    }
                    return j + 1;
                }
                j += 1;
            }
            return c.len();
        }
        let mut j = i;
        while j < c.len() {
            if flow && matches!(c[j], ',' | '}' | ']') {
                return j;
            }
            if c[j] == '#' && j > i && c[j - 1] == ' ' {
                return j;
            }
            j += 1;
        }
        c.len()
    }

    /// The entries of a flow mapping whose `{` is before `i`; returns the index after `}`.
    fn flow_mapping(&mut self, mut i: usize, parent: Option<&str>, inside: bool) -> usize {
        loop {
            i = self.skip_spaces(i);
            match self.chars.get(i) {
                None => return i,
                Some('}') => return i + 1,
                Some(',') => {
                    i += 1;
                    continue;
                }
                _ => {}
            }
            let before = i;
            i = match read_key(self.chars, i) {
                Some((key, after)) => self.value(after, parent, Some(&key), inside, true),
                // A key rkv cannot read: treat the entry as a value of the mapping.
                None => self.value(i, parent, None, inside, true),
            };
            if i == before {
                i += 1;
            }
        }
    }

    /// The items of a flow list whose `[` is before `i`; returns the index after `]`.
    fn flow_list(&mut self, mut i: usize, parent: Option<&str>, inside: bool) -> usize {
        loop {
            i = self.skip_spaces(i);
            match self.chars.get(i) {
                None => return i,
                Some(']') => return i + 1,
                Some(',') => {
                    i += 1;
                    continue;
                }
                _ => {}
            }
            let before = i;
            i = self.value(i, parent, None, inside, true);
            if i == before {
                i += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(text: &str, line: usize) -> String {
        mask_line(text, line, 1).unwrap().line
    }

    #[test]
    fn credential_words_in_every_spelling() {
        for k in [
            "password",
            "Password",
            "PASSWORD",
            "redis_password",
            "redis-passwd",
            "scramPasswordKey",
            "apiKey",
            "api_key",
            "APIKEY",
            "token",
            "bearerToken",
            "client.secret",
            "credentials",
            "requirepass",
            "masterauth",
            "privateKey",
            "key",
            "auth",
        ] {
            assert!(credential_looking(k), "{k}");
        }
        for k in [
            "name",
            "namespace",
            "keyspace",
            "monkey",
            "author",
            "passage",
            "image",
        ] {
            assert!(!credential_looking(k), "{k}");
        }
    }

    #[test]
    fn a_credential_value_is_masked_in_block_and_flow_style() {
        assert_eq!(shown("  password: hunter2\n", 1), "  password: ****");
        assert_eq!(
            shown("  password: \"hunter 2\"  # old\n", 1),
            "  password: ****  # old"
        );
        assert_eq!(
            shown("redis: {image: x, requirepass: s3cr3t, port: 1}\n", 1),
            "redis: {image: x, requirepass: ****, port: 1}"
        );
        assert_eq!(shown("tokens: [a1, b2]\n", 1), "tokens: [****, ****]");
        assert_eq!(shown("# password: hunter2\n", 1), "# password: ****");
    }

    #[test]
    fn references_are_shown_with_their_shape_and_masked_without_it() {
        let r = "auth: {passwordSecret: {name: cordum-redis-secret, key: REDIS_PASSWORD}}\n";
        assert_eq!(shown(r, 1), r.trim_end());
        // The password itself where the reference mapping belongs.
        assert_eq!(
            shown("auth: {passwordSecret: hunter2}\n", 1),
            "auth: {passwordSecret: ****}"
        );
        assert_eq!(shown("auth: hunter2\n", 1), "auth: ****");
        // `key` names a Secret's key only inside a passwordSecret.
        assert_eq!(shown("tls: {key: abc}\n", 1), "tls: {key: ****}");
        let block =
            "spec:\n  auth:\n    passwordSecret:\n      name: s\n      key: REDIS_PASSWORD\n";
        assert_eq!(shown(block, 5), "      key: REDIS_PASSWORD");
        let store = "    secretStore:\n      name: vault\n      scramPasswordKey: redis/scram\n";
        assert_eq!(shown(store, 3), "      scramPasswordKey: redis/scram");
        // A store key outside its store is not known to be a reference.
        assert_eq!(shown("scramPasswordKey: x1\n", 1), "scramPasswordKey: ****");
    }

    #[test]
    fn everything_under_a_masked_key_is_masked() {
        let t = "credentials:\n  user: admin\n  list:\n    - s3cr3t\npassword:\n  hunter2\nsecret: |\n  line one\n";
        assert_eq!(shown(t, 2), "  user: ****");
        assert_eq!(shown(t, 4), "    - ****");
        assert_eq!(shown(t, 6), "  ****");
        assert_eq!(shown(t, 8), "  ****");
    }

    #[test]
    fn deep_nesting_and_long_lines_end() {
        let deep = format!("password: {}x", "[".repeat(100_000));
        let m = shown(&deep, 1);
        assert!(m.ends_with("[****") && !m.contains('x'), "{m}");
        let hashes = "#".repeat(100_000);
        assert!(mask_line(&hashes, 1, 1).is_some());
        let braces = format!("a: {}", "{k: ".repeat(50_000));
        assert!(mask_line(&braces, 1, 1).is_some());
    }

    #[test]
    fn the_caret_follows_the_shorter_line_and_values_are_concealed() {
        let m = mask_line("a: {password: longsecretvalue, x: 1}\n", 1, 35).unwrap();
        assert_eq!(m.line, "a: {password: ****, x: 1}");
        assert_eq!(m.line.chars().nth(m.column - 1), Some('1'));
        assert_eq!(m.values, vec!["longsecretvalue".to_string()]);
        let inside = mask_line("password: hunter2\n", 1, 13).unwrap();
        assert_eq!(inside.column, 11);
        assert_eq!(
            conceal(
                "expected object, found string \"hunter2\"",
                &["hunter2".into()]
            ),
            "expected object, found string \"****\""
        );
    }

    /// Every credential-looking field of the spec's schema is classified: a container of
    /// references (a mapping) or a reference (a string under its parent). A new field with
    /// such a name fails here until someone decides whether its value may be shown; an
    /// entry of the lists that names no field fails too.
    #[test]
    fn every_credential_looking_field_of_the_schema_is_classified() {
        use serde_json::Value;
        fn resolve<'a>(root: &'a Value, mut s: &'a Value) -> &'a Value {
            for _ in 0..8 {
                match s.get("$ref").and_then(Value::as_str) {
                    Some(r) => match root.pointer(r.trim_start_matches('#')) {
                        Some(t) => s = t,
                        None => break,
                    },
                    None => break,
                }
            }
            s
        }
        fn is_type(s: &Value, t: &str) -> bool {
            match s.get("type") {
                Some(Value::String(x)) => x == t,
                Some(Value::Array(a)) => a.iter().any(|x| x == t),
                _ => t == "object" && s.get("properties").is_some(),
            }
        }
        fn walk(
            root: &Value,
            s: &Value,
            parent: Option<&str>,
            depth: usize,
            out: &mut Vec<(Option<String>, String, bool, bool)>,
        ) {
            let s = resolve(root, s);
            if depth > 32 {
                return;
            }
            if let Some(Value::Object(props)) = s.get("properties") {
                for (k, v) in props {
                    let r = resolve(root, v);
                    // An optional field is `anyOf: [T, null]`: judge the non-null branch.
                    let t = r
                        .get("anyOf")
                        .and_then(Value::as_array)
                        .and_then(|a| {
                            a.iter()
                                .find(|b| b.get("type") != Some(&Value::from("null")))
                        })
                        .map_or(r, |b| resolve(root, b));
                    out.push((
                        parent.map(str::to_string),
                        k.clone(),
                        is_type(t, "object"),
                        is_type(t, "string"),
                    ));
                    walk(root, v, Some(k), depth + 1, out);
                }
            }
            for key in ["items", "additionalProperties"] {
                if let Some(v @ Value::Object(_)) = s.get(key) {
                    walk(
                        root,
                        v,
                        if key == "items" { parent } else { None },
                        depth + 1,
                        out,
                    );
                }
            }
            for key in ["anyOf", "oneOf", "allOf"] {
                if let Some(Value::Array(a)) = s.get(key) {
                    for b in a {
                        walk(root, b, parent, depth + 1, out);
                    }
                }
            }
        }
        let root = crate::spec::load::schema();
        let mut fields = Vec::new();
        walk(root, root, None, 0, &mut fields);
        assert!(
            fields.len() > 50,
            "the walk found too few fields: {}",
            fields.len()
        );
        let mut unclassified = Vec::new();
        for (parent, key, object, string) in &fields {
            if !credential_looking(key) {
                continue;
            }
            let container = CONTAINERS.contains(&key.as_str()) && *object;
            let reference = parent
                .as_deref()
                .is_some_and(|p| REFERENCES.contains(&(p, key.as_str())))
                && *string;
            if !container && !reference {
                unclassified.push(format!("{}.{key}", parent.as_deref().unwrap_or("*")));
            }
        }
        assert!(
            unclassified.is_empty(),
            "credential-looking fields neither a container nor a reference: {unclassified:?}"
        );
        for (p, k) in REFERENCES {
            assert!(
                fields
                    .iter()
                    .any(|(fp, fk, _, s)| fp.as_deref() == Some(*p) && fk == k && *s),
                "REFERENCES names no string field `{p}.{k}`"
            );
        }
        for c in CONTAINERS {
            assert!(
                fields.iter().any(|(_, k, o, _)| k == c && *o),
                "CONTAINERS names no mapping field `{c}`"
            );
        }
    }
}
