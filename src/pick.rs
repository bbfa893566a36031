//! Choosing one variant (the base, an environment or a site) of a compiled spec by name.
//!
//! In: a compiled spec and the name a user gave (`--env`, `--site`, an Argo CD parameter,
//! a KRM annotation), or none. Out: that variant, or a [`PickError`] that lists the names
//! the spec has. Every command that shows one variant (`render --stdout`, `diff`,
//! `explain --env`, `argocd-generate`, `krm`) picks it here, so they cannot drift apart.
//! Invariant: an ambiguous choice is refused, never guessed.

use crate::compile::{Compiled, Variant};
use crate::spec;

/// Why no variant could be chosen. Both list the names the spec has.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PickError {
    /// The name is neither `base`, an environment nor a site of the spec.
    #[error("the spec has no environment or site `{name}`; it has: {}", .have.join(", "))]
    Unknown { name: String, have: Vec<String> },
    /// The spec spans several sites (so it has no base) and none was named.
    #[error("the spec spans sites, so name one; it has: {}", .have.join(", "))]
    NeedSite { have: Vec<String> },
}

/// The variant called `name` (`base`, an environment or a site). Without a name: the
/// base, or the only variant of a spec that has just one; a spec that spans several
/// sites has no base, and picking one of them would be a guess.
pub fn pick_variant<'a>(c: &'a Compiled, name: Option<&str>) -> Result<&'a Variant, PickError> {
    let have = || -> Vec<String> {
        c.variants
            .iter()
            .map(|v| v.resolved.variant.label().to_string())
            .collect()
    };
    match name {
        Some(n) => c
            .variants
            .iter()
            .find(|v| v.resolved.variant.label() == n)
            .ok_or_else(|| PickError::Unknown {
                name: n.to_string(),
                have: have(),
            }),
        None => match &c.variants[..] {
            [only] => Ok(only),
            all => all
                .iter()
                .find(|v| v.resolved.variant == spec::Variant::Base)
                .ok_or_else(|| PickError::NeedSite { have: have() }),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compile::compile;

    fn compiled(text: &str) -> Compiled {
        let loaded = spec::load_str("t.yaml", text.to_string()).expect("the spec loads");
        compile(&loaded).expect("the spec compiles")
    }

    fn profile(name: &str) -> Compiled {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("profiles")
            .join(name);
        compiled(&std::fs::read_to_string(path).expect("a profile"))
    }

    fn label(v: Result<&Variant, PickError>) -> Result<&str, PickError> {
        v.map(|v| v.resolved.variant.label())
    }

    #[test]
    fn a_spec_with_environments_defaults_to_its_base() {
        let c = profile("cordum.yaml");
        assert_eq!(label(pick_variant(&c, None)), Ok("base"));
        assert_eq!(label(pick_variant(&c, Some("base"))), Ok("base"));
        assert_eq!(
            label(pick_variant(&c, Some("production"))),
            Ok("production")
        );
        let err = pick_variant(&c, Some("prod")).map(|_| ());
        assert_eq!(
            err,
            Err(PickError::Unknown {
                name: "prod".into(),
                have: vec!["base".into(), "production".into()],
            })
        );
    }

    #[test]
    fn a_multi_site_spec_needs_a_site_named() {
        let c = profile("wal-failover.yaml");
        let have = vec!["dc".to_string(), "dr".to_string()];
        assert_eq!(
            pick_variant(&c, None).map(|_| ()),
            Err(PickError::NeedSite { have: have.clone() })
        );
        assert_eq!(label(pick_variant(&c, Some("dr"))), Ok("dr"));
        assert_eq!(
            pick_variant(&c, Some("base")).map(|_| ()),
            Err(PickError::Unknown {
                name: "base".into(),
                have,
            })
        );
        assert_eq!(
            PickError::NeedSite {
                have: vec!["dc".into(), "dr".into()]
            }
            .to_string(),
            "the spec spans sites, so name one; it has: dc, dr"
        );
    }

    #[test]
    fn a_spec_with_one_variant_defaults_to_it() {
        let mut c = profile("wal-failover.yaml");
        c.variants.retain(|v| v.resolved.variant.label() == "dr");
        assert_eq!(label(pick_variant(&c, None)), Ok("dr"));
    }
}
