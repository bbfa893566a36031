//! Redis configuration as Redis reads it: `redis.conf` text, `redis-server` argument
//! lists (`--key value`), `sh -c` start lines and operator `customConfig` lines, into one
//! [`Conf`]: directive -> values, with Redis 7's defaults for the directives rkv reads.
//!
//! In: text or argument lists. Out: [`Conf`] and notes on lines Redis would read
//! differently than they look. Invariant: parsing never fails and never panics; what
//! Redis itself would refuse is kept (and noted), never silently repaired.

use std::collections::BTreeMap;

/// Directives Redis accumulates instead of replacing (`save 900 1` then `save 300 10`).
const MULTI: &[&str] = &[
    "save",
    "include",
    "loadmodule",
    "rename-command",
    "client-output-buffer-limit",
    "user",
];

/// Redis 7.0's defaults for the directives an import compares. A directive absent from
/// both sides, or set on one side to its default, is the same server.
pub const DEFAULTS: &[(&str, &str)] = &[
    ("appendfilename", "appendonly.aof"),
    ("appendfsync", "everysec"),
    ("appendonly", "no"),
    ("auto-aof-rewrite-min-size", "64mb"),
    ("auto-aof-rewrite-percentage", "100"),
    ("cluster-config-file", "nodes.conf"),
    ("cluster-enabled", "no"),
    ("cluster-node-timeout", "15000"),
    ("databases", "16"),
    ("dbfilename", "dump.rdb"),
    ("maxclients", "10000"),
    ("maxmemory", "0"),
    ("maxmemory-policy", "noeviction"),
    ("port", "6379"),
    ("protected-mode", "yes"),
    ("repl-diskless-sync", "yes"),
    ("save", "3600 1 300 100 60 10000"),
    ("tcp-keepalive", "300"),
    ("timeout", "0"),
    ("tls-auth-clients", "yes"),
    ("tls-cluster", "no"),
    ("tls-port", "0"),
    ("tls-replication", "no"),
];

/// Sentinel's own defaults (per monitored master) for the settings rkv reads.
pub const SENTINEL_DEFAULTS: &[(&str, &str)] = &[
    ("down-after-milliseconds", "30000"),
    ("failover-timeout", "180000"),
    ("parallel-syncs", "1"),
];

/// Directives whose values are memory sizes (`64mb` = `67108864`).
const MEMORY: &[&str] = &[
    "maxmemory",
    "auto-aof-rewrite-min-size",
    "client-query-buffer-limit",
    "proto-max-bulk-len",
    "repl-backlog-size",
];

/// Redis configuration: directive (lower case) -> its value (arguments joined by one space;
/// accumulating directives joined in order).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Conf {
    pub directives: BTreeMap<String, String>,
    /// Lines Redis reads differently than they look, for the report.
    pub notes: Vec<String>,
}

impl Conf {
    pub fn get(&self, key: &str) -> Option<&str> {
        self.directives.get(key).map(String::as_str)
    }

    /// Sets a directive as Redis does when it reads it once more.
    pub fn set(&mut self, key: &str, args: &[String]) {
        let key = key.to_ascii_lowercase();
        let value = args.join(" ");
        if MULTI.contains(&key.as_str()) {
            match self.directives.get_mut(&key) {
                // `save ""` resets the rules; later `save` lines add to the empty list.
                Some(existing) if !existing.is_empty() && !value.is_empty() => {
                    existing.push(' ');
                    existing.push_str(&value);
                }
                _ => {
                    self.directives.insert(key, value);
                }
            }
        } else {
            self.directives.insert(key, value);
        }
    }

    /// Applies `other` on top (later configuration wins, as `redis-server conf --k v`).
    pub fn extend(&mut self, other: &Conf) {
        for (k, v) in &other.directives {
            if MULTI.contains(&k.as_str()) {
                self.set(k, std::slice::from_ref(v));
            } else {
                self.directives.insert(k.clone(), v.clone());
            }
        }
        self.notes.extend(other.notes.iter().cloned());
    }

    /// The value Redis runs with: the directive, or Redis's default for it.
    pub fn effective(&self, key: &str) -> Option<String> {
        self.get(key)
            .map(str::to_string)
            .or_else(|| default_of(key).map(str::to_string))
            .map(|v| canonical(key, &v))
    }
}

/// Redis's default for `key`, when rkv knows it.
pub fn default_of(key: &str) -> Option<&'static str> {
    DEFAULTS.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
}

/// A value in the form two equal settings share: `yes`/`no` in lower case, memory sizes
/// in bytes, quotes gone, whitespace single.
pub fn canonical(key: &str, value: &str) -> String {
    let v = value.split_whitespace().collect::<Vec<_>>().join(" ");
    let v = v.trim_matches('"').to_string();
    if MEMORY.contains(&key)
        && let Some(b) = memory_bytes(&v)
    {
        return b.to_string();
    }
    if matches!(v.to_ascii_lowercase().as_str(), "yes" | "no") {
        return v.to_ascii_lowercase();
    }
    if key == "save" && v.is_empty() {
        return String::new();
    }
    v
}

/// Redis memory units: `1k` = 1000, `1kb` = 1024, ... `1gb`; case-insensitive.
pub fn memory_bytes(v: &str) -> Option<u64> {
    let lower = v.to_ascii_lowercase();
    let digits: String = lower.chars().take_while(char::is_ascii_digit).collect();
    let n: u64 = digits.parse().ok()?;
    let mult: u64 = match &lower[digits.len()..] {
        "" | "b" => 1,
        "k" => 1000,
        "kb" => 1024,
        "m" => 1000 * 1000,
        "mb" => 1024 * 1024,
        "g" => 1000 * 1000 * 1000,
        "gb" => 1024 * 1024 * 1024,
        _ => return None,
    };
    n.checked_mul(mult)
}

/// Splits one configuration line into words as Redis does (`sdssplitargs`): spaces
/// separate words, `"..."` (with `\` escapes) and `'...'` quote them. `None` for
/// unbalanced quotes (Redis refuses the line).
pub fn split_args(line: &str) -> Option<Vec<String>> {
    let mut out = Vec::new();
    let mut chars = line.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let Some(&first) = chars.peek() else {
            return Some(out);
        };
        let mut word = String::new();
        if first == '"' || first == '\'' {
            chars.next();
            let mut closed = false;
            while let Some(c) = chars.next() {
                if c == first {
                    closed = true;
                    break;
                }
                if c == '\\' && first == '"' {
                    match chars.next() {
                        Some('n') => word.push('\n'),
                        Some('t') => word.push('\t'),
                        Some(other) => word.push(other),
                        None => return None,
                    }
                } else {
                    word.push(c);
                }
            }
            if !closed {
                return None;
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() {
                    break;
                }
                word.push(c);
                chars.next();
            }
        }
        out.push(word);
    }
}

/// Parses `redis.conf` text. Lines are `directive arg...`; `#` starts a comment only at
/// the start of a line (Redis reads `save 900 1 # hourly` as five arguments, and refuses
/// it): such a trailing comment is dropped and noted.
pub fn parse_conf(text: &str, label: &str) -> Conf {
    let mut conf = Conf::default();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some(mut words) = split_args(line) else {
            conf.notes.push(format!(
                "{label} line {}: unbalanced quotes in `{line}`: Redis refuses this line",
                i + 1
            ));
            continue;
        };
        if let Some(hash) = words.iter().position(|w| w.starts_with('#')) {
            conf.notes.push(format!(
                "{label} line {}: Redis reads `{}` after `{}` as arguments, not a comment, and refuses the line; read as `{}`",
                i + 1,
                words[hash..].join(" "),
                words[..hash].join(" "),
                words[..hash].join(" ")
            ));
            words.truncate(hash);
        }
        let Some((key, args)) = words.split_first() else {
            continue;
        };
        conf.set(key, args);
    }
    conf
}

/// How a container starts Redis, read from its command and args.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Invocation {
    /// `redis-sentinel` or `redis-server --sentinel`.
    pub sentinel: bool,
    /// The configuration file named first on the command line.
    pub conf_file: Option<String>,
    /// `--key value` options.
    pub options: Conf,
    /// The password read from a file and given on stdin, as rkv's start scripts do.
    pub password_file: Option<PasswordFile>,
}

/// `requirepass` (and `masterauth`) given to redis-server on stdin from a file, as
/// rkv's start scripts do (`exec redis-server "$@" - <<EOF`, `emit::auth`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordFile {
    pub path: String,
    pub masterauth: bool,
}

/// The Redis invocation of a container: `command` + `args` naming `redis-server` (or
/// `redis-sentinel`) directly, or through `sh -c` / `bash -c` with a script whose only
/// command is it (optionally after `exec`). `None` when the container does not run Redis
/// this way (a wrapper script, another program).
pub fn invocation(argv: &[String]) -> Option<Invocation> {
    let words: Vec<String> = match argv {
        [sh, flag, script, ..] if is_shell(sh) && flag == "-c" => {
            let script = script.trim();
            if script.contains(['\n', ';', '|', '&']) {
                return None;
            }
            let mut w = split_args(script)?;
            if w.first().is_some_and(|x| x == "exec") {
                w.remove(0);
            }
            w
        }
        _ => argv.to_vec(),
    };
    let (program, rest) = words.split_first()?;
    let base = program.rsplit('/').next().unwrap_or(program);
    let mut inv = Invocation {
        sentinel: base == "redis-sentinel",
        ..Invocation::default()
    };
    if base != "redis-server" && base != "redis-sentinel" {
        return None;
    }
    let mut i = 0;
    if let Some(first) = rest.first()
        && !first.starts_with("--")
    {
        inv.conf_file = Some(first.clone());
        i = 1;
    }
    while i < rest.len() {
        let Some(key) = rest[i].strip_prefix("--") else {
            // A stray word: Redis appends it to the previous option's arguments.
            i += 1;
            continue;
        };
        let mut args = Vec::new();
        i += 1;
        while i < rest.len() && !rest[i].starts_with("--") {
            args.push(rest[i].clone());
            i += 1;
        }
        if key == "sentinel" {
            inv.sentinel = true;
            continue;
        }
        inv.options.set(key, &args);
    }
    Some(inv)
}

/// A start script file a shell runs with arguments (`sh /etc/redis/conf/start.sh <args>`):
/// the script's path and the arguments it is given. `None` for `sh -c` and other forms.
pub fn script_call(argv: &[String]) -> Option<(&str, &[String])> {
    match argv {
        [sh, script, rest @ ..] if is_shell(sh) && !script.starts_with('-') => {
            Some((script.as_str(), rest))
        }
        _ => None,
    }
}

/// Whether a start script ends by handing its own arguments to Redis: its last command is
/// `exec redis-server "$@"`, so the arguments are redis-server's (whatever runs before it
/// prepares files; it cannot change the configuration Redis is given).
pub fn script_execs_redis(text: &str) -> bool {
    script_redis(text).is_some()
}

/// How a start script hands its arguments to Redis: `Some(None)` for a last command
/// `exec redis-server "$@"`, `Some(Some(file))` for rkv's form that also gives
/// `requirepass` (and `masterauth`) on stdin from a password file (`pw=$(od ... FILE ...)`,
/// then `exec redis-server "$@" - <<EOF`, the directives, `EOF`), `None` otherwise.
pub fn script_redis(text: &str) -> Option<Option<PasswordFile>> {
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    let last = lines.last()?;
    let execs_all = |l: &str, extra: &[&str]| {
        split_args(l).is_some_and(|w| {
            w.len() == 3 + extra.len()
                && w[0] == "exec"
                && w[1].rsplit('/').next() == Some("redis-server")
                && w[2] == "$@"
                && w[3..].iter().zip(extra).all(|(a, b)| a == b)
        })
    };
    if execs_all(last, &[]) {
        return Some(None);
    }
    if *last != "EOF" {
        return None;
    }
    let start = lines
        .iter()
        .rposition(|l| l.starts_with("exec ") && l.ends_with("<<EOF"))?;
    let head = lines[start].trim_end_matches("<<EOF").trim_end();
    if !execs_all(head, &["-"]) {
        return None;
    }
    let body = &lines[start + 1..lines.len() - 1];
    let requirepass = body.contains(&"requirepass \"$pw\"");
    let masterauth = body.contains(&"masterauth \"$pw\"");
    if !requirepass || body.len() != 1 + usize::from(masterauth) {
        return None;
    }
    let path = lines[..start].iter().find_map(|l| {
        let rest = l.strip_prefix("pw=$(od -An -v -tx1 ")?;
        rest.split_whitespace().next().map(str::to_string)
    })?;
    Some(Some(PasswordFile { path, masterauth }))
}

fn is_shell(program: &str) -> bool {
    matches!(
        program.rsplit('/').next().unwrap_or(program),
        "sh" | "bash" | "ash" | "dash"
    )
}

/// The environment variable a value reads: `$(VAR)` (the kubelet expands it), `$VAR` or
/// `${VAR}` (a shell expands it).
pub fn env_reference(value: &str) -> Option<&str> {
    let v = value.trim_matches('"');
    let name = v
        .strip_prefix("$(")
        .and_then(|s| s.strip_suffix(')'))
        .or_else(|| v.strip_prefix("${").and_then(|s| s.strip_suffix('}')))
        .or_else(|| v.strip_prefix('$'))?;
    (!name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
        .then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn conf_lines_as_redis_reads_them() {
        let c = parse_conf(
            "# comment\nsave 900 1\nsave 300 10\nappendonly YES\nappendfilename \"appendonly.aof\"\nmaxmemory 896MB\n",
            "redis.conf",
        );
        assert_eq!(c.get("save"), Some("900 1 300 10"));
        assert_eq!(c.effective("appendonly").as_deref(), Some("yes"));
        assert_eq!(
            c.effective("appendfilename").as_deref(),
            Some("appendonly.aof")
        );
        assert_eq!(c.effective("maxmemory").as_deref(), Some("939524096"));
        assert_eq!(c.effective("appendfsync").as_deref(), Some("everysec"));
        assert!(c.notes.is_empty());
    }

    #[test]
    fn a_trailing_comment_is_noted_not_hidden() {
        let c = parse_conf("save 900 1      # Save after 15min\n", "values");
        assert_eq!(c.get("save"), Some("900 1"));
        assert_eq!(c.notes.len(), 1);
        assert!(c.notes[0].contains("refuses the line"), "{:?}", c.notes);
    }

    #[test]
    fn save_empty_resets() {
        let c = parse_conf("save 900 1\nsave \"\"\nsave 60 5\n", "x");
        assert_eq!(c.get("save"), Some("60 5"));
        let off = parse_conf("save \"\"\n", "x");
        assert_eq!(off.effective("save").as_deref(), Some(""));
    }

    #[test]
    fn invocations() {
        let inv = invocation(&s(&[
            "redis-server",
            "/etc/redis/redis.conf",
            "--requirepass",
            "$(P)",
            "--save",
            "900",
            "1",
        ]))
        .unwrap();
        assert_eq!(inv.conf_file.as_deref(), Some("/etc/redis/redis.conf"));
        assert_eq!(inv.options.get("requirepass"), Some("$(P)"));
        assert_eq!(inv.options.get("save"), Some("900 1"));
        let sh = invocation(&s(&[
            "sh",
            "-c",
            "exec redis-server --appendonly yes --requirepass \"$REDIS_PASSWORD\"",
        ]))
        .unwrap();
        assert_eq!(sh.options.get("appendonly"), Some("yes"));
        assert_eq!(
            env_reference(sh.options.get("requirepass").unwrap()),
            Some("REDIS_PASSWORD")
        );
        assert!(invocation(&s(&["sh", "-c", "init.sh && redis-server"])).is_none());
        assert!(
            invocation(&s(&["/usr/local/bin/redis-sentinel", "/conf/s.conf"]))
                .unwrap()
                .sentinel
        );
        assert!(invocation(&s(&["nginx"])).is_none());
        // A start script file: its arguments are redis-server's only when it ends by
        // exec'ing redis-server with them.
        let call = s(&[
            "sh",
            "/etc/redis/conf/start.sh",
            "/etc/redis/conf/redis.conf",
        ]);
        assert_eq!(
            script_call(&call),
            Some(("/etc/redis/conf/start.sh", &call[2..]))
        );
        assert!(invocation(&call).is_none());
        assert_eq!(script_call(&s(&["sh", "-c", "redis-server"])), None);
        assert!(script_execs_redis(
            "#!/bin/sh\nset -u\nmv a b\n\nexec redis-server \"$@\"\n# end\n"
        ));
        assert!(!script_execs_redis(
            "exec redis-server \"$@\"\nrm -rf /data\n"
        ));
        assert!(!script_execs_redis("exec redis-server --port 1 \"$@\"\n"));
        assert!(!script_execs_redis("exec nginx \"$@\"\n"));
        // rkv's start with a password on stdin (emit/templates/auth-server-exec.sh).
        let stdin = "pw=$(od -An -v -tx1 /etc/redis/auth/password | tr -d ' \\n' | sed 's/../\\\\x&/g')\n\
                     if [ -z \"$pw\" ]; then\n  exit 1\nfi\n\
                     exec redis-server \"$@\" - <<EOF\nrequirepass \"$pw\"\nmasterauth \"$pw\"\nEOF\n";
        assert_eq!(
            script_redis(stdin),
            Some(Some(PasswordFile {
                path: "/etc/redis/auth/password".into(),
                masterauth: true
            }))
        );
        // Anything else in the heredoc is configuration import cannot see: not Redis' args.
        let more = stdin.replace("masterauth", "port 1\nmasterauth");
        assert_eq!(script_redis(&more), None);
        assert_eq!(script_redis(&stdin.replace("pw=$(od", "x=$(od")), None);
        assert_eq!(env_reference("${A_B}"), Some("A_B"));
        assert_eq!(env_reference("plain"), None);
    }

    #[test]
    fn unbalanced_quotes_never_panic() {
        assert!(split_args("a \"b").is_none());
        assert!(split_args("a \"b\\").is_none());
        let c = parse_conf("requirepass \"x\n", "x");
        assert!(c.get("requirepass").is_none() && c.notes.len() == 1);
        assert_eq!(memory_bytes("99999999999999999999gb"), None);
    }
}
