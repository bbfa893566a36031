//! Helm values checked against a chart's `values.schema.json` and its `values.yaml`.
//!
//! In: a chart's values schema file ([`ValuesSchema::load`]) and its default
//! `values.yaml` ([`ChartValues::load`]); then the values rkv renders for that chart,
//! as [`serde_json::Value`].
//! Out: every schema [`Violation`] ([`ValuesSchema::validate`]), and every key path
//! the chart does not know ([`ChartValues::unknown_keys`]).
//!
//! Invariant: the schema is compiled once, at load. The two checks are complementary:
//! a chart schema such as Bitnami's declares types but never `additionalProperties`,
//! so it accepts a misspelled key, which Helm then silently ignores; the key check
//! catches those, the schema check catches wrong types.
//!
//! The schema's draft is the one it declares. Bitnami's redis chart declares the
//! version-less `http://json-schema.org/schema#`, which the `jsonschema` crate reads
//! as its default draft, 2020-12; the chart only uses `type`, `properties`, `items`,
//! which mean the same in every draft.

use std::fs;
use std::path::{Path, PathBuf};

use jsonschema::Validator;
use serde_json::Value;

use super::{Violation, check};

/// Failure to load a chart's values schema or default values.
#[derive(Debug, thiserror::Error)]
pub enum HelmError {
    /// The file could not be read (or is not UTF-8).
    #[error("cannot read `{}`", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The values schema is not valid JSON.
    #[error("cannot parse `{}` as JSON", path.display())]
    Json {
        /// The file.
        path: PathBuf,
        /// The parser's error, with line and column.
        #[source]
        source: serde_json::Error,
    },
    /// The values file is not valid YAML.
    #[error("cannot parse `{}` as YAML", path.display())]
    Yaml {
        /// The file.
        path: PathBuf,
        /// The parser's error, with line and column.
        #[source]
        source: Box<serde_saphyr::Error>,
    },
    /// The values schema is not a schema the validator can compile.
    #[error("cannot compile the values schema `{}`", path.display())]
    Compile {
        /// The file.
        path: PathBuf,
        /// The compiler's error.
        #[source]
        source: jsonschema::ValidationError<'static>,
    },
    /// The values file does not hold a map at its top.
    #[error("`{}` does not hold a map of values at its top", path.display())]
    NotAMap {
        /// The file.
        path: PathBuf,
    },
}

/// A chart's compiled `values.schema.json`.
#[derive(Debug)]
pub struct ValuesSchema {
    validator: Validator,
}

impl ValuesSchema {
    /// Reads and compiles the values schema at `path`.
    pub fn load(path: &Path) -> Result<ValuesSchema, HelmError> {
        let text = read(path)?;
        let schema: Value = serde_json::from_str(&text).map_err(|source| HelmError::Json {
            path: path.to_owned(),
            source,
        })?;
        let validator = jsonschema::options()
            .should_validate_formats(false)
            .build(&schema)
            .map_err(|source| HelmError::Compile {
                path: path.to_owned(),
                source,
            })?;
        Ok(ValuesSchema { validator })
    }

    /// Checks `values` (the whole values tree, as passed to `helm --values`) and
    /// returns every violation, sorted.
    pub fn validate(&self, values: &Value) -> Result<(), Vec<Violation>> {
        let violations = check(&self.validator, values);
        if violations.is_empty() {
            Ok(())
        } else {
            Err(violations)
        }
    }
}

/// A chart's default `values.yaml`: the keys the chart knows.
#[derive(Debug, Clone)]
pub struct ChartValues {
    defaults: Value,
}

impl ChartValues {
    /// Reads the chart's `values.yaml` at `path`.
    pub fn load(path: &Path) -> Result<ChartValues, HelmError> {
        let text = read(path)?;
        let defaults: Value = serde_saphyr::from_str(&text).map_err(|source| HelmError::Yaml {
            path: path.to_owned(),
            source: Box::new(source),
        })?;
        if !defaults.is_object() {
            return Err(HelmError::NotAMap {
                path: path.to_owned(),
            });
        }
        Ok(ChartValues { defaults })
    }

    /// Every key path in `values` that the chart's `values.yaml` does not have, in the
    /// order of `values`, written as for `helm --set` (`replica.replicaCount`, a `.`
    /// inside a key written `\.`).
    ///
    /// Below a key whose default is an empty map (`podLabels: {}`), a list, a scalar
    /// or null, anything is accepted: such values are free-form, and a map given
    /// where the chart has a scalar is a type error for [`ValuesSchema`] to report.
    pub fn unknown_keys(&self, values: &Value) -> Vec<String> {
        let mut out = Vec::new();
        unknown(&self.defaults, values, &mut Vec::new(), &mut out);
        out
    }
}

fn unknown<'v>(
    defaults: &Value,
    values: &'v Value,
    path: &mut Vec<&'v str>,
    out: &mut Vec<String>,
) {
    let (Value::Object(known), Value::Object(given)) = (defaults, values) else {
        return;
    };
    if known.is_empty() {
        return;
    }
    for (key, value) in given {
        path.push(key);
        match known.get(key) {
            Some(default) => unknown(default, value, path, out),
            None => out.push(
                path.iter()
                    .map(|k| k.replace('.', "\\."))
                    .collect::<Vec<_>>()
                    .join("."),
            ),
        }
        path.pop();
    }
}

fn read(path: &Path) -> Result<String, HelmError> {
    fs::read_to_string(path).map_err(|source| HelmError::Read {
        path: path.to_owned(),
        source,
    })
}

#[cfg(test)]
#[allow(clippy::disallowed_methods, reason = "tests write their fixtures")]
mod tests {
    use super::*;
    use crate::validate::test_support::shared_dir;
    use serde_json::json;

    fn helm(file: &str) -> PathBuf {
        shared_dir().join("helm").join(file)
    }

    fn schema() -> ValuesSchema {
        ValuesSchema::load(&helm("bitnami-redis-23.1.1.values.schema.json")).unwrap()
    }

    fn redis_defaults() -> ChartValues {
        ChartValues::load(&helm("bitnami-redis-23.1.1.values.yaml")).unwrap()
    }

    /// Values rkv would render for a replicated Redis with Sentinel.
    fn platform_kv() -> Value {
        json!({
            "architecture": "replication",
            "commonLabels": {"app.kubernetes.io/part-of": "platform-kv"},
            "auth": {
                "enabled": true,
                "sentinel": true,
                "existingSecret": "platform-kv-auth",
                "existingSecretPasswordKey": "password",
            },
            "master": {
                "count": 1,
                "persistence": {"enabled": true, "size": "8Gi", "storageClass": "fast"},
                "podLabels": {"tier": "data", "team.example.com/owner": "kv"},
                "resources": {"requests": {"cpu": "250m", "memory": "1Gi"}},
                "nodeSelector": {"kubernetes.io/os": "linux"},
            },
            "replica": {
                "replicaCount": 3,
                "persistence": {"size": "8Gi"},
                "podAnnotations": {"prometheus.io/scrape": "true"},
                "tolerations": [{"key": "dedicated", "operator": "Equal", "value": "kv"}],
            },
            "sentinel": {"enabled": true, "quorum": 2, "masterSet": "mymaster"},
            "metrics": {"enabled": true, "serviceMonitor": {"enabled": true, "interval": "30s"}},
            "pdb": {"create": true},
        })
    }

    #[test]
    fn realistic_values_pass_both_checks() {
        let values = platform_kv();
        assert_eq!(schema().validate(&values), Ok(()));
        assert_eq!(redis_defaults().unknown_keys(&values), Vec::<String>::new());
    }

    #[test]
    fn chart_defaults_pass_their_own_schema() {
        let defaults = redis_defaults();
        assert_eq!(schema().validate(&defaults.defaults), Ok(()));
        assert!(defaults.unknown_keys(&defaults.defaults).is_empty());
    }

    #[test]
    fn misspelled_keys_are_reported() {
        let mut values = platform_kv();
        values["replica"]["replicaCont"] = json!(3);
        values["sentinal"] = json!({"enabled": true});
        values["master"]["persistence"]["sise"] = json!("8Gi");
        values["master"]["podLabels"]["any.label/key"] = json!("free-form");
        // The schema has no `additionalProperties`: it lets all of these through.
        assert_eq!(schema().validate(&values), Ok(()));
        assert_eq!(
            redis_defaults().unknown_keys(&values),
            vec!["master.persistence.sise", "replica.replicaCont", "sentinal"]
        );
    }

    #[test]
    fn dotted_keys_are_escaped() {
        let values = json!({"master": {"persistence": {"size.limit": "1Gi"}}});
        assert_eq!(
            redis_defaults().unknown_keys(&values),
            vec!["master.persistence.size\\.limit"]
        );
    }

    #[test]
    fn wrong_types_are_reported_by_the_schema() {
        let mut values = platform_kv();
        values["replica"]["replicaCount"] = json!("3");
        values["sentinel"]["enabled"] = json!("yes");
        values["auth"]["existingSecret"] = json!(false);
        assert_eq!(
            schema().validate(&values),
            Err(vec![
                Violation::new(
                    "/auth/existingSecret",
                    "expected string, found boolean false"
                ),
                Violation::new(
                    "/replica/replicaCount",
                    "expected number, found string \"3\""
                ),
                Violation::new(
                    "/sentinel/enabled",
                    "expected boolean, found string \"yes\""
                ),
            ])
        );
    }

    #[test]
    fn redis_cluster_values_are_checked_too() {
        let defaults =
            ChartValues::load(&helm("bitnami-redis-cluster-13.0.5.values.yaml")).unwrap();
        let values = json!({
            "usePassword": true,
            "existingSecret": "kv-cluster-auth",
            "cluster": {"nodes": 6, "replicas": 1},
            "persistence": {"size": "8Gi", "labels": {"anything": "goes"}},
            "redis": {"resources": {"limits": {"memory": "2Gi"}}},
        });
        assert!(defaults.unknown_keys(&values).is_empty());
        let values = json!({"cluster": {"node": 6}, "architecture": "replication"});
        assert_eq!(
            defaults.unknown_keys(&values),
            vec!["cluster.node", "architecture"]
        );
    }

    #[test]
    fn load_errors_name_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("values.yaml");
        fs::write(&path, "- a list\n").unwrap();
        let err = ChartValues::load(&path).unwrap_err();
        assert!(matches!(err, HelmError::NotAMap { .. }), "{err:?}");
        assert!(err.to_string().contains("values.yaml"), "{err}");
        fs::write(&path, "a: [1\n").unwrap();
        assert!(matches!(
            ChartValues::load(&path),
            Err(HelmError::Yaml { .. })
        ));
        fs::write(&path, "{\"type\": 5}").unwrap();
        assert!(matches!(
            ValuesSchema::load(&path),
            Err(HelmError::Compile { .. })
        ));
        fs::write(&path, "{").unwrap();
        assert!(matches!(
            ValuesSchema::load(&path),
            Err(HelmError::Json { .. })
        ));
        assert!(matches!(
            ValuesSchema::load(&dir.path().join("absent.json")),
            Err(HelmError::Read { .. })
        ));
    }
}
