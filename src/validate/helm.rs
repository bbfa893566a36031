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
        source: serde_saphyr::Error,
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
            source,
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
