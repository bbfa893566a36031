//! `redis.extraConfig`: the redis.conf directives rkv does not model (RKV160-RKV163).
//!
//! In: one resolved topology. Out: a finding for each directive rkv (or the operator,
//! chart or image it writes for) owns, with the spec field to use instead (RKV160); for
//! each name or value that is not exactly one redis.conf line's worth (RKV161); for a
//! name Redis 7.0 does not know (RKV162, a warning: newer servers add directives); and,
//! on the failover shape, for a directive Spotahome cannot apply (RKV163: it sends the
//! RedisFailover's `customConfig` with `CONFIG SET`, which refuses startup-only ones).
//! Invariant: a directive that passes is written, unchanged, as one line (or one
//! argument) by every renderer of `plan::settings`, after rkv's own settings.

use crate::diag::{Diagnostic, codes};
use crate::plan::settings;
use crate::spec::tree::escape;
use crate::spec::{ConfigValue, Loaded, Resolved, Shape};
use crate::target::redis;

pub fn check(l: &Loaded, r: &Resolved, out: &mut Vec<Diagnostic>) {
    for (key, value) in &r.spec.redis.extra_config {
        let pointer = r.at("redis", &format!("/extraConfig/{}", escape(key)));
        let at_key = |code, message: String| {
            Diagnostic::new(code, &l.source.file, message).at(
                &l.source.text,
                l.tree.key_pos(&pointer),
                &crate::spec::load::dotted(&pointer),
            )
        };
        if !settings::is_name(key) {
            out.push(
                at_key(codes::RKV161, format!("`{key}` is not a directive name rkv can write"))
                    .help("a directive is lowercase letters, digits, `-` and `_`, starting with a letter (`notify-keyspace-events`); Redis reads names in any case, so rkv takes them in lowercase only"),
            );
            continue;
        }
        if let Some(o) = settings::owner(key) {
            out.push(
                at_key(
                    codes::RKV160,
                    format!("`redis.extraConfig` cannot set `{key}`: {}", o.why),
                )
                .help(if o.instead == "no field" {
                    format!("remove `{key}`: rkv has no field for it")
                } else {
                    format!("remove `{key}` and set {} instead", o.instead)
                }),
            );
            continue;
        }
        if let ConfigValue::Text(text) = value
            && let Some(why) = settings::unwritable(text)
        {
            out.push(
                l.diag(codes::RKV161, &pointer, format!("the value of `{key}` {why}"))
                    .help("a value is printable ASCII on one line, without quotes, backslashes, `$(`, `{{` or a word starting with `--`; separate a directive's arguments with single spaces (`pubsub 64mb 16mb 60`)"),
            );
            continue;
        }
        if !redis::is_directive(key) {
            out.push(
                at_key(codes::RKV162, format!("`{key}` is not a directive of Redis {}: a server that does not know it refuses to start", redis::VERSION))
                    .help("check the spelling; if the image's Redis is newer and knows it, accept this finding in `spec.accept` with the version that does"),
            );
        }
        if matches!(r.spec.shape, Shape::Failover(_)) && redis::is_startup_only(key) {
            out.push(
                at_key(codes::RKV163, format!("the Spotahome operator applies `customConfig` with `CONFIG SET`, which cannot change `{key}` while Redis runs"))
                    .help(format!("remove `{key}`: every reconcile would fail on it; the shapes that write redis.conf (cluster, replication, the Helm charts) can set it")),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::plan::settings::{is_name, unwritable};

    #[test]
    fn names() {
        assert!(is_name("notify-keyspace-events"));
        assert!(is_name("bgsave_cpulist"));
        assert!(!is_name("Port"));
        assert!(!is_name("-x"));
        assert!(!is_name("9hz"));
        assert!(!is_name("hz z"));
        assert!(!is_name(""));
        assert!(!is_name(&"a".repeat(65)));
    }

    #[test]
    fn values_that_would_smuggle_a_second_directive_are_refused() {
        for bad in [
            "",
            "yes\nrequirepass x",
            "yes\rx",
            "\tyes",
            " yes",
            "yes ",
            "\"quoted\"",
            "a'b",
            "a\\nb",
            "`x`",
            "$(REDIS_PASSWORD)",
            "{{ .Values.x }}",
            "yes --requirepass x",
            "--x",
            "caf\u{e9}",
        ] {
            assert!(unwritable(bad).is_some(), "{bad:?} accepted");
        }
        for good in [
            "Ex",
            "pubsub 64mb 16mb 60",
            "-2",
            "0 200 800",
            "KEA$",
            "50 99 99.9",
            "a-b_c.d:e/f,g",
        ] {
            assert_eq!(unwritable(good), None, "{good:?}");
        }
    }
}
