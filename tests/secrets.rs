//! No finding echoes a secret, in any format: a spec with passwords typed where they do
//! not belong (an unknown `requirepass`, a `passwordSecret` holding the password itself,
//! a `key` and a `token` beside references) is validated as text, JSON, GitHub
//! annotations and SARIF; none of the secrets appears, and the references still do.
//! The exact text excerpt is the golden case `load-secrets-masked`.

use crate::support::{rkv, root};

/// The secrets of the golden case's spec.
const SECRETS: [&str; 4] = [
    "Tr0ub4dor-and-3",
    "correct-horse-battery-staple",
    "sk_live_51HxQz",
    "abc123xyz",
];

fn validate(format: &str) -> String {
    let spec = root().join("tests/golden/load-secrets-masked/spec.yaml");
    let out = rkv()
        .args(["validate", "--format", format])
        .arg(&spec)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "{format}: the spec does not load"
    );
    format!(
        "{}{}",
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap()
    )
}

#[test]
fn no_format_shows_a_secret() {
    for format in ["text", "json", "github", "sarif"] {
        let out = validate(format);
        for s in SECRETS {
            assert!(!out.contains(s), "{format} shows `{s}`:\n{out}");
        }
        // The finding about the password typed into `passwordSecret` quotes it masked.
        assert!(
            out.contains(r#"found string \"****\""#) || out.contains(r#"found string "****""#),
            "{format}: no masked value in the message:\n{out}"
        );
        assert_eq!(
            out.matches("unknown field `").count(),
            3,
            "{format}:\n{out}"
        );
    }
}

#[test]
fn the_text_excerpt_masks_values_and_keeps_references() {
    let out = validate("text");
    assert!(out.contains("requirepass: ****}"), "{out}");
    assert!(out.contains("passwordSecret: ****\n"), "{out}");
    assert!(out.contains("key: ****\n"), "{out}");
    assert!(
        out.contains("{name: kv, key: REDIS_PASSWORD, token: ****}"),
        "a Secret's name and key are references and stay visible:\n{out}"
    );
}
