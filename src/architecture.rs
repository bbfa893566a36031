//! The dependency rule of the crate's doc (`src/lib.rs`), and the size rule, checked.
//!
//! In: the rule's table, read from `src/lib.rs`, and the text of every file under
//! `src/`. Out: one message per path that uses a module the table does not allow, per
//! pair of submodules that use each other, per cycle in the table itself, and per file
//! with more than `MAX_LINES` (600) lines of non-test code that is not on the
//! allow-list of pure arithmetic (`LONG_FILES`), or named there without need.
//! Invariant: only non-test code counts (items under `#[cfg(test)]`, inline or declared,
//! are left out; `tests.rs` and `test_support` modules are skipped), and comments and
//! string literals never count as uses.

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};
    use std::fs;
    use std::path::Path;

    /// The table of `src/lib.rs`: module -> the modules it may use.
    fn rule(lib: &str) -> BTreeMap<String, BTreeSet<String>> {
        let mut out = BTreeMap::new();
        for line in lib.lines() {
            let Some(row) = line.strip_prefix("//! | `") else {
                continue;
            };
            let mut cells = row.split('|');
            let module = cells.next().unwrap_or("").trim().trim_end_matches('`');
            let uses = cells
                .next()
                .unwrap_or("")
                .split_whitespace()
                .map(|m| m.trim_matches('`').to_string())
                .collect();
            out.insert(module.to_string(), uses);
        }
        out
    }

    /// The module a file under `src/` is (`emit/helm/values.rs` -> `emit::helm::values`).
    fn module_of(rel: &str) -> Option<String> {
        let rel = rel.strip_suffix(".rs")?;
        let rel = rel.strip_suffix("/mod").unwrap_or(rel);
        if rel == "lib" || rel == "main" {
            return None;
        }
        Some(rel.replace('/', "::"))
    }

    /// `text` with every comment, string and char literal blanked out (newlines kept),
    /// so that the braces and semicolons left are the code's own.
    fn blank_literals(text: &str) -> String {
        let chars: Vec<char> = text.chars().collect();
        let mut out = String::with_capacity(text.len());
        let blank = |c: char| if c == '\n' { '\n' } else { ' ' };
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            let next = chars.get(i + 1).copied();
            let end = if c == '/' && next == Some('/') {
                (i..chars.len())
                    .find(|&j| chars[j] == '\n')
                    .unwrap_or(chars.len())
            } else if c == '/' && next == Some('*') {
                (i + 2..chars.len())
                    .find(|&j| chars[j - 1] == '*' && chars[j] == '/' && j > i + 2)
                    .map_or(chars.len(), |j| j + 1)
            } else if c == 'r' && (next == Some('"') || next == Some('#')) {
                let hashes = chars[i + 1..].iter().take_while(|&&h| h == '#').count();
                if chars.get(i + 1 + hashes) != Some(&'"') {
                    i
                } else {
                    (i + 2 + hashes..chars.len())
                        .find(|&j| {
                            chars[j] == '"' && (1..=hashes).all(|h| chars.get(j + h) == Some(&'#'))
                        })
                        .map_or(chars.len(), |j| j + 1 + hashes)
                }
            } else if c == '"' {
                let mut j = i + 1;
                while j < chars.len() && chars[j] != '"' {
                    j += if chars[j] == '\\' { 2 } else { 1 };
                }
                (j + 1).min(chars.len())
            } else if c == '\'' {
                // A char literal ('x', '\n', '\''), not a lifetime ('a).
                let close = if next == Some('\\') {
                    (i + 3..chars.len().min(i + 12)).find(|&j| chars[j] == '\'')
                } else {
                    (chars.get(i + 2) == Some(&'\'')).then_some(i + 2)
                };
                close.map_or(i, |e| e + 1)
            } else {
                i
            };
            if end == i {
                out.push(c);
                i += 1;
            } else {
                out.extend(chars[i..end].iter().map(|&c| blank(c)));
                i = end;
            }
        }
        out
    }

    /// The lines of `text` that are not test code: every item under `#[cfg(test)]` is
    /// left out, to its `;` (`mod tests;`) or its closing brace (`mod tests { .. }`).
    fn non_test_lines(text: &str) -> Vec<&str> {
        let lines: Vec<&str> = text.split_inclusive('\n').collect();
        let blanked = blank_literals(text);
        let code: Vec<&str> = blanked.split_inclusive('\n').collect();
        let mut out = Vec::new();
        let mut i = 0;
        while i < lines.len() {
            let Some(rest) = code[i].trim_start().strip_prefix("#[cfg(test)]") else {
                out.push(lines[i]);
                i += 1;
                continue;
            };
            // The item (after any other attributes) ends at its first `;` outside
            // brackets, or where its braces close.
            let mut depth = 0usize;
            let mut end = lines.len() - 1;
            'item: for (j, line) in code.iter().enumerate().skip(i) {
                let from = if j == i { line.len() - rest.len() } else { 0 };
                for ch in line[from..].chars() {
                    match ch {
                        '{' | '(' | '[' => depth += 1,
                        ')' | ']' => depth = depth.saturating_sub(1),
                        '}' => {
                            depth = depth.saturating_sub(1);
                            if depth == 0 {
                                end = j;
                                break 'item;
                            }
                        }
                        ';' if depth == 0 => {
                            end = j;
                            break 'item;
                        }
                        _ => {}
                    }
                }
            }
            i = end + 1;
        }
        out
    }

    /// The code of a file without comments, string and char literals, and test code.
    fn code(text: &str) -> String {
        let text = non_test_lines(text).concat();
        let chars: Vec<char> = text.chars().collect();
        let mut out = String::with_capacity(text.len());
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            let next = chars.get(i + 1).copied();
            if c == '/' && next == Some('/') {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
            } else if c == '/' && next == Some('*') {
                i += 2;
                while i + 1 < chars.len() && !(chars[i] == '*' && chars[i + 1] == '/') {
                    i += 1;
                }
                i += 2;
            } else if c == 'r' && (next == Some('"') || next == Some('#')) {
                // A raw string: r"...", r#"..."#.
                let mut j = i + 1;
                let mut hashes = 0;
                while chars.get(j) == Some(&'#') {
                    hashes += 1;
                    j += 1;
                }
                if chars.get(j) != Some(&'"') {
                    out.push(c);
                    i += 1;
                    continue;
                }
                j += 1;
                loop {
                    if j >= chars.len() {
                        break;
                    }
                    if chars[j] == '"' && (1..=hashes).all(|h| chars.get(j + h) == Some(&'#')) {
                        j += 1 + hashes;
                        break;
                    }
                    j += 1;
                }
                out.push_str("\"\"");
                i = j;
            } else if c == '"' {
                i += 1;
                while i < chars.len() && chars[i] != '"' {
                    i += if chars[i] == '\\' { 2 } else { 1 };
                }
                i += 1;
                out.push_str("\"\"");
            } else if c == '\'' {
                // A char literal ('x', '\n', '\''), not a lifetime ('a).
                let end = if next == Some('\\') {
                    (i + 2..chars.len().min(i + 12)).find(|&j| chars[j] == '\'' && j > i + 2)
                } else {
                    (chars.get(i + 2) == Some(&'\'')).then_some(i + 2)
                };
                match end {
                    Some(e) => {
                        out.push_str("' '");
                        i = e + 1;
                    }
                    None => {
                        out.push(c);
                        i += 1;
                    }
                }
            } else {
                // Paths are ASCII: anything else is a blank, so byte offsets stay char
                // boundaries below.
                out.push(if c.is_ascii() { c } else { ' ' });
                i += 1;
            }
        }
        out
    }

    /// Every path of a `use` tree (`a::{b, c::{d, e}}` -> `a::b`, `a::c::d`, `a::c::e`).
    fn use_paths(tree: &str, prefix: &str, out: &mut Vec<String>) {
        let tree = tree.trim();
        match tree.find('{') {
            None => {
                let path = tree.split(" as ").next().unwrap_or("").trim();
                if !path.is_empty() {
                    out.push(format!("{prefix}{path}"));
                }
            }
            Some(open) => {
                let head = tree[..open].trim();
                let body = tree[open + 1..].trim_end().trim_end_matches('}');
                let mut depth = 0;
                let mut start = 0;
                for (i, ch) in body.char_indices() {
                    match ch {
                        '{' => depth += 1,
                        '}' => depth -= 1,
                        ',' if depth == 0 => {
                            use_paths(&body[start..i], &format!("{prefix}{head}"), out);
                            start = i + 1;
                        }
                        _ => {}
                    }
                }
                use_paths(&body[start..], &format!("{prefix}{head}"), out);
            }
        }
    }

    fn is_ident(c: char) -> bool {
        c.is_ascii_alphanumeric() || c == '_'
    }

    /// Every module path the code names: the paths of its `use` items, and the
    /// `crate::`/`super::`/`self::` paths written inline.
    fn paths(code: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut rest = String::new();
        let mut i = 0;
        let bytes = code.as_bytes();
        while i < code.len() {
            let at_word = i == 0 || !is_ident(bytes[i - 1] as char);
            if at_word && code[i..].starts_with("use ") {
                let end = code[i..].find(';').map_or(code.len(), |e| i + e);
                use_paths(&code[i + 4..end], "", &mut out);
                i = end + 1;
                continue;
            }
            rest.push(bytes[i] as char);
            i += 1;
        }
        for root in ["crate::", "super::", "self::"] {
            let mut from = 0;
            while let Some(p) = rest[from..].find(root) {
                let start = from + p;
                from = start + root.len();
                if start > 0
                    && (is_ident(rest.as_bytes()[start - 1] as char)
                        || rest.as_bytes()[start - 1] == b':')
                {
                    continue;
                }
                let end = rest[start..]
                    .find(|c: char| !(is_ident(c) || c == ':'))
                    .map_or(rest.len(), |e| start + e);
                out.push(rest[start..end].trim_end_matches(':').to_string());
            }
        }
        out
    }

    /// The module `path` names, seen from module `from`, if it is a module of the crate.
    fn resolve(path: &str, from: &str, modules: &BTreeSet<String>) -> Option<String> {
        let mut here: Vec<&str> = from.split("::").collect();
        let mut segs: Vec<&str> = path.split("::").collect();
        let mut abs: Vec<&str> = match segs.first() {
            Some(&"crate") => {
                segs.remove(0);
                Vec::new()
            }
            Some(&"super") | Some(&"self") => {
                while let Some(&s) = segs.first() {
                    match s {
                        "super" => {
                            here.pop();
                        }
                        "self" => {}
                        _ => break,
                    }
                    segs.remove(0);
                }
                here
            }
            _ => return None,
        };
        let base = abs.join("::");
        let mut found = modules.contains(&base).then_some(base);
        for s in segs {
            abs.push(s);
            let m = abs.join("::");
            if modules.contains(&m) {
                found = Some(m);
            } else {
                break;
            }
        }
        found
    }

    fn top(m: &str) -> &str {
        m.split("::").next().unwrap_or(m)
    }

    fn related(a: &str, b: &str) -> bool {
        a == b || a.starts_with(&format!("{b}::")) || b.starts_with(&format!("{a}::"))
    }

    /// Everything the files break of the rule: `files` is (path under `src/`, text).
    fn violations(lib: &str, files: &[(String, String)]) -> Vec<String> {
        let rule = rule(lib);
        let mut out = Vec::new();
        // The table itself must not let two modules use each other, even indirectly.
        for (m, uses) in &rule {
            let mut seen = BTreeSet::new();
            let mut stack: Vec<&String> = uses.iter().collect();
            while let Some(u) = stack.pop() {
                if u == m {
                    out.push(format!("the table lets `{m}` use itself through its uses"));
                    break;
                }
                if seen.insert(u.clone()) {
                    stack.extend(rule.get(u).into_iter().flatten());
                }
            }
        }
        let sources: Vec<(String, String)> = files
            .iter()
            .filter_map(|(rel, text)| Some((module_of(rel)?, code(text))))
            .filter(|(m, code)| {
                // Test modules, and files that hold nothing but test code.
                let last = m.rsplit("::").next().unwrap_or("");
                last != "tests" && last != "test_support" && !code.trim().is_empty()
            })
            .collect();
        let modules: BTreeSet<String> = sources.iter().map(|(m, _)| m.clone()).collect();
        let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (from, text) in &sources {
            let Some(allowed) = rule.get(top(from)) else {
                out.push(format!("`{from}` is not in the table of src/lib.rs"));
                continue;
            };
            for path in paths(text) {
                let Some(to) = resolve(&path, from, &modules) else {
                    continue;
                };
                if related(from, &to) {
                    continue;
                }
                if top(from) != top(&to) && !allowed.contains(top(&to)) {
                    out.push(format!(
                        "`{from}` uses `{path}`: `{}` may not use `{}`",
                        top(from),
                        top(&to)
                    ));
                }
                edges.entry(from.clone()).or_default().insert(to);
            }
        }
        for (a, uses) in &edges {
            for b in uses {
                if a < b && edges.get(b).is_some_and(|u| u.contains(a)) {
                    out.push(format!("`{a}` and `{b}` use each other"));
                }
            }
        }
        out.sort();
        out.dedup();
        out
    }

    /// The most lines of non-test code a file under `src/` may have (issue 13): past it a
    /// file holds more than one job; split it by job, not by line count.
    pub(super) const MAX_LINES: usize = 600;

    /// The files allowed past [`MAX_LINES`]: pure arithmetic, whose cases read best as one
    /// table beside the exhaustive tests that prove it. Each entry says why. An entry whose
    /// file is gone or back under the limit fails the test too, so the list only shrinks.
    pub(super) const LONG_FILES: &[(&str, &str)] = &[
        (
            "plan/disruption.rs",
            "PodDisruptionBudget arithmetic per shape (shard majority, Sentinel quorum, \
             primary + replicas), proved by an exhaustive verifier over small topologies",
        ),
        (
            "plan/memory.rs",
            "exact byte arithmetic of Kubernetes and Redis quantities, maxmemory and fork \
             headroom, with property tests",
        ),
    ];

    /// Every file over [`MAX_LINES`] lines of non-test code that `allowed` does not name,
    /// and every entry of `allowed` that does not need its exemption.
    fn oversized(files: &[(String, String)], allowed: &[(&str, &str)]) -> Vec<String> {
        let mut out = Vec::new();
        for (rel, text) in files {
            let name = rel.rsplit('/').next().unwrap_or(rel);
            if name == "tests.rs" || rel.contains("test_support") {
                continue;
            }
            let lines = non_test_lines(text).len();
            let exempt = allowed.iter().any(|(f, _)| f == rel);
            if lines > MAX_LINES && !exempt {
                out.push(format!(
                    "src/{rel} has {lines} lines of non-test code, over {MAX_LINES}: split it by job (one module, one job)"
                ));
            }
            if lines <= MAX_LINES && exempt {
                out.push(format!(
                    "src/{rel} has {lines} lines of non-test code: remove it from `LONG_FILES`"
                ));
            }
        }
        for (f, _) in allowed {
            if !files.iter().any(|(rel, _)| rel == f) {
                out.push(format!("`LONG_FILES` names src/{f}, which does not exist"));
            }
        }
        out
    }

    fn read_src(dir: &Path, root: &Path, out: &mut Vec<(String, String)>) {
        let mut entries: Vec<_> = fs::read_dir(dir)
            .expect("src/ is readable")
            .map(|e| e.expect("entry").path())
            .collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                read_src(&p, root, out);
            } else if p.extension().is_some_and(|e| e == "rs") {
                let rel = p
                    .strip_prefix(root)
                    .expect("under src/")
                    .to_string_lossy()
                    .replace('\\', "/");
                out.push((rel, fs::read_to_string(&p).expect("readable")));
            }
        }
    }

    #[test]
    fn src_keeps_the_dependency_rule() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let lib = fs::read_to_string(root.join("lib.rs")).expect("src/lib.rs");
        let mut files = Vec::new();
        read_src(&root, &root, &mut files);
        assert!(files.len() > 20, "read {} files", files.len());
        assert!(rule(&lib).len() > 10, "the table of src/lib.rs is missing");
        let v = violations(&lib, &files);
        assert!(v.is_empty(), "{}", v.join("\n"));
    }

    #[test]
    fn src_files_stay_under_the_line_limit() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut files = Vec::new();
        read_src(&root, &root, &mut files);
        assert!(files.len() > 20, "read {} files", files.len());
        let v = oversized(&files, LONG_FILES);
        assert!(v.is_empty(), "{}", v.join("\n"));
    }

    const LIB: &str =
        "//! | `spec` | |\n//! | `emit` | `spec` |\n//! | `write` | `spec` `emit` |\n";

    fn files(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(p, t)| (p.to_string(), t.to_string()))
            .collect()
    }

    #[test]
    fn an_edge_against_the_table_is_reported() {
        let f = files(&[
            ("spec/mod.rs", "pub mod types;"),
            ("spec/types.rs", "pub struct Spec;"),
            ("write/mod.rs", "pub fn to_yaml() {}"),
            (
                "emit/mod.rs",
                "use crate::spec::types::Spec;\nuse crate::{spec, write::to_yaml};",
            ),
        ]);
        assert_eq!(
            violations(LIB, &f),
            ["`emit` uses `crate::write::to_yaml`: `emit` may not use `write`"]
        );
        // The same path inline, in a comment, a string and test code.
        let f = files(&[
            ("write/mod.rs", "pub fn f() {}"),
            (
                "emit/mod.rs",
                "// crate::write::x\nfn f() { let s = \"crate::write\"; crate::write::f() }\n#[cfg(test)]\nmod tests { use crate::write; }",
            ),
        ]);
        assert_eq!(violations(LIB, &f).len(), 1, "{:?}", violations(LIB, &f));
    }

    #[test]
    fn submodules_that_use_each_other_are_reported() {
        let f = files(&[
            ("emit/mod.rs", "mod a; mod b;"),
            ("emit/a.rs", "use super::b::B;\npub struct A;"),
            ("emit/b.rs", "pub struct B(super::a::A);"),
        ]);
        assert_eq!(
            violations(LIB, &f),
            ["`emit::a` and `emit::b` use each other"]
        );
        // A child using its parent and the parent its child is how modules nest.
        let f = files(&[
            ("emit/mod.rs", "mod a; use a::A; pub struct P;"),
            ("emit/a.rs", "use super::P; pub struct A;"),
        ]);
        assert!(violations(LIB, &f).is_empty());
    }

    #[test]
    fn a_table_with_a_cycle_is_reported() {
        let lib = "//! | `a` | `b` |\n//! | `b` | `a` |\n";
        assert!(!violations(lib, &[]).is_empty());
    }

    #[test]
    fn test_items_do_not_count_as_code() {
        let text = "use a;\n#[cfg(test)]\n#[allow(x, reason = \"}\")]\nmod tests;\nfn f() {}\n\
                    #[cfg(test)]\nmod tests {\n    fn g() { let c = '}'; let s = \"{\"; }\n}\nfn h() {}\n";
        assert_eq!(
            non_test_lines(text),
            ["use a;\n", "fn f() {}\n", "fn h() {}\n"]
        );
        // A test item declared early does not end the file's code (`mod tests;` first).
        assert_eq!(
            code("#[cfg(test)]\nmod tests;\nuse crate::write::f;\n"),
            "use crate::write::f;\n"
        );
    }

    #[test]
    fn a_long_file_is_reported_unless_allowed() {
        let long = "fn f() {}\n".repeat(MAX_LINES + 1);
        let tested = format!(
            "{}#[cfg(test)]\nmod tests {{\n{long}}}\n",
            "fn f() {}\n".repeat(MAX_LINES)
        );
        let f = files(&[
            ("emit/long.rs", &long),
            ("emit/tested.rs", &tested),
            ("emit/tests.rs", &long),
        ]);
        assert_eq!(
            oversized(&f, &[]),
            [format!(
                "src/emit/long.rs has {} lines of non-test code, over {MAX_LINES}: split it by job (one module, one job)",
                MAX_LINES + 1
            )]
        );
        assert!(oversized(&f, &[("emit/long.rs", "math")]).is_empty());
        // An exemption that is not needed, or names no file, is reported too.
        assert_eq!(
            oversized(
                &f,
                &[
                    ("emit/long.rs", "math"),
                    ("emit/tested.rs", "math"),
                    ("emit/gone.rs", "math")
                ]
            ),
            [
                format!(
                    "src/emit/tested.rs has {MAX_LINES} lines of non-test code: remove it from `LONG_FILES`"
                ),
                "`LONG_FILES` names src/emit/gone.rs, which does not exist".to_string(),
            ]
        );
    }
}
