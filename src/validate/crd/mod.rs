//! Custom resources checked against the CustomResourceDefinitions that define them.
//!
//! In: a directory of `*.yaml` / `*.yml` files (read in sorted order, each possibly
//! holding several documents), or documents already parsed (CRDs fetched from a
//! cluster); every `apiextensions.k8s.io/v1` `CustomResourceDefinition` among them is
//! kept, other documents are skipped.
//! Out: a [`CrdSet`] holding one compiled validator per served
//! (group, version, kind); [`CrdSet::validate`] checks one rendered object and returns
//! every [`Violation`], or [`Rejection::NoCrd`] when no CRD in the set defines the
//! object's `apiVersion` and `kind`.
//!
//! Invariant: each schema is translated and compiled once, when the set is built;
//! an object accepted here is accepted by the CRD's structural schema as the API
//! server reads it, within the limits of the translation the `schema` module describes.

mod schema;
#[cfg(test)]
#[allow(clippy::disallowed_methods, reason = "tests write their fixtures")]
mod tests;

use std::collections::BTreeMap;
use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};

use jsonschema::Validator;
use serde_json::Value;

use super::{Violation, check};
use schema::{Patterns, compile, root_schema};

/// A resource type: API group (empty for the core group), version and kind.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Gvk {
    /// API group, such as `databases.spotahome.com`; empty for the core group.
    pub group: String,
    /// API version within the group, such as `v1`.
    pub version: String,
    /// Kind, such as `RedisFailover`.
    pub kind: String,
}

impl Gvk {
    /// The type named by an object's `apiVersion` (`group/version`, or `version` for
    /// the core group) and `kind`.
    pub fn from_api_version(api_version: &str, kind: &str) -> Self {
        let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
        Self {
            group: group.to_owned(),
            version: version.to_owned(),
            kind: kind.to_owned(),
        }
    }

    /// The `apiVersion` string of this type.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }
}

impl fmt::Display for Gvk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.api_version(), self.kind)
    }
}

/// Failure to load a directory of CRDs.
#[derive(Debug, thiserror::Error)]
pub enum CrdError {
    /// The directory could not be listed.
    #[error("cannot list the CRD directory `{}`", dir.display())]
    ReadDir {
        /// The directory.
        dir: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A file could not be read (or is not UTF-8).
    #[error("cannot read `{}`", path.display())]
    ReadFile {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A file is not valid YAML.
    #[error("cannot parse `{}` as YAML", path.display())]
    Yaml {
        /// The file.
        path: PathBuf,
        /// The parser's error, with line and column.
        #[source]
        source: Box<serde_saphyr::Error>,
    },
    /// A CustomResourceDefinition lacks a field rkv needs, or has it with the wrong type.
    #[error("`{}` document {document}: {what}", path.display())]
    Malformed {
        /// The file.
        path: PathBuf,
        /// 1-based index of the YAML document within the file.
        document: usize,
        /// What is missing or wrong, naming the field.
        what: String,
    },
    /// A version's schema could not be compiled.
    #[error("`{}`: cannot compile the schema of `{gvk}`", path.display())]
    Compile {
        /// The file.
        path: PathBuf,
        /// The type whose schema failed.
        gvk: Gvk,
        /// The compiler's error.
        #[source]
        source: jsonschema::ValidationError<'static>,
    },
    /// Two CRDs define the same served type.
    #[error("`{gvk}` is defined both in `{}` and in `{}`", first.display(), second.display())]
    Duplicate {
        /// The type.
        gvk: Gvk,
        /// The file read first.
        first: PathBuf,
        /// The file read second.
        second: PathBuf,
    },
}

/// Why an object was not accepted by [`CrdSet::validate`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rejection {
    /// No CRD in the set defines the object's type (a built-in kind, a typo in
    /// `apiVersion`, or a CRD missing from the directory).
    NoCrd(Gvk),
    /// The object breaks its CRD's schema (or lacks `apiVersion`/`kind`): every
    /// violation, sorted.
    Invalid(Vec<Violation>),
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rejection::NoCrd(gvk) => write!(f, "no CRD for `{}` `{}`", gvk.api_version(), gvk.kind),
            Rejection::Invalid(violations) => {
                for (i, violation) in violations.iter().enumerate() {
                    if i > 0 {
                        f.write_str("\n")?;
                    }
                    write!(f, "{violation}")?;
                }
                Ok(())
            }
        }
    }
}

struct Entry {
    source: PathBuf,
    validator: Validator,
}

/// Compiled validators for every served version of a set of CRDs.
pub struct CrdSet {
    entries: BTreeMap<Gvk, Entry>,
}

impl fmt::Debug for CrdSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(
                self.entries
                    .iter()
                    .map(|(gvk, e)| (gvk.to_string(), &e.source)),
            )
            .finish()
    }
}

impl CrdSet {
    /// Reads every `*.yaml` / `*.yml` file directly in `dir`, in sorted order, and
    /// compiles a validator for each served version of each CRD found.
    pub fn load_dir(dir: &Path) -> Result<CrdSet, CrdError> {
        let read_dir = |source| CrdError::ReadDir {
            dir: dir.to_owned(),
            source,
        };
        let mut files = Vec::new();
        for entry in fs::read_dir(dir).map_err(read_dir)? {
            let path = entry.map_err(read_dir)?.path();
            let yaml = path
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| e == "yaml" || e == "yml");
            if yaml && path.is_file() {
                files.push(path);
            }
        }
        files.sort();

        let mut set = CrdSet {
            entries: BTreeMap::new(),
        };
        let mut patterns = Patterns::default();
        for path in files {
            let text = fs::read_to_string(&path).map_err(|source| CrdError::ReadFile {
                path: path.clone(),
                source,
            })?;
            let documents: Vec<Value> =
                serde_saphyr::from_str_multiple(&text).map_err(|source| CrdError::Yaml {
                    path: path.clone(),
                    source: Box::new(source),
                })?;
            set.add(&path, &documents, &mut patterns)?;
        }
        Ok(set)
    }

    /// A set from CRD documents already parsed (a CRD fetched from a cluster);
    /// `source` names where they came from in errors.
    pub fn from_documents(source: &Path, documents: &[Value]) -> Result<CrdSet, CrdError> {
        let mut set = CrdSet {
            entries: BTreeMap::new(),
        };
        set.add(source, documents, &mut Patterns::default())?;
        Ok(set)
    }

    fn add(
        &mut self,
        path: &Path,
        documents: &[Value],
        patterns: &mut Patterns,
    ) -> Result<(), CrdError> {
        for (index, document) in documents.iter().enumerate() {
            for (gvk, schema) in crd_versions(path, index + 1, document, patterns)? {
                let validator = compile(&schema).map_err(|source| CrdError::Compile {
                    path: path.to_owned(),
                    gvk: gvk.clone(),
                    source,
                })?;
                if let Some(first) = self.entries.get(&gvk).map(|e| e.source.clone()) {
                    return Err(CrdError::Duplicate {
                        gvk,
                        first,
                        second: path.to_owned(),
                    });
                }
                self.entries.insert(
                    gvk,
                    Entry {
                        source: path.to_owned(),
                        validator,
                    },
                );
            }
        }
        Ok(())
    }

    /// Every type this set can check, sorted.
    pub fn kinds(&self) -> impl Iterator<Item = &Gvk> {
        self.entries.keys()
    }

    /// Whether a CRD in the set defines `gvk`.
    pub fn contains(&self, gvk: &Gvk) -> bool {
        self.entries.contains_key(gvk)
    }

    /// The file the CRD defining `gvk` was read from.
    pub fn source(&self, gvk: &Gvk) -> Option<&Path> {
        self.entries.get(gvk).map(|e| e.source.as_path())
    }

    /// Checks one rendered object against the CRD of its `apiVersion` and `kind`.
    pub fn validate(&self, object: &Value) -> Result<(), Rejection> {
        let Some(fields) = object.as_object() else {
            return Err(Rejection::Invalid(vec![Violation::new(
                "",
                format!("expected object, found {}", super::describe(object)),
            )]));
        };
        let mut missing = Vec::new();
        let mut text = |name: &str| match fields.get(name) {
            Some(Value::String(s)) => Some(s.as_str()),
            Some(other) => {
                missing.push(Violation::new(
                    format!("/{name}"),
                    format!("expected string, found {}", super::describe(other)),
                ));
                None
            }
            None => {
                missing.push(Violation::new(
                    "",
                    format!("missing required field `{name}`"),
                ));
                None
            }
        };
        let (api_version, kind) = (text("apiVersion"), text("kind"));
        let (Some(api_version), Some(kind)) = (api_version, kind) else {
            return Err(Rejection::Invalid(missing));
        };
        let gvk = Gvk::from_api_version(api_version, kind);
        let Some(entry) = self.entries.get(&gvk) else {
            return Err(Rejection::NoCrd(gvk));
        };
        let violations = check(&entry.validator, object);
        if violations.is_empty() {
            Ok(())
        } else {
            Err(Rejection::Invalid(violations))
        }
    }
}

/// The served (type, translated schema) pairs of one YAML document; none when the
/// document is not an `apiextensions.k8s.io/v1` CustomResourceDefinition.
fn crd_versions(
    path: &Path,
    document: usize,
    doc: &Value,
    patterns: &mut Patterns,
) -> Result<Vec<(Gvk, Value)>, CrdError> {
    if doc.get("kind").and_then(Value::as_str) != Some("CustomResourceDefinition") {
        return Ok(Vec::new());
    }
    let malformed = |what: String| CrdError::Malformed {
        path: path.to_owned(),
        document,
        what,
    };
    let api_version = doc.get("apiVersion").and_then(Value::as_str);
    if api_version != Some("apiextensions.k8s.io/v1") {
        return Err(malformed(format!(
            "CustomResourceDefinition has `apiVersion` {}, only `apiextensions.k8s.io/v1` is supported",
            api_version.map_or_else(|| "missing".to_owned(), |v| format!("`{v}`"))
        )));
    }
    let text = |pointer: &str| {
        doc.pointer(pointer)
            .and_then(Value::as_str)
            .ok_or_else(|| malformed(format!("no string at `{pointer}`")))
    };
    let group = text("/spec/group")?;
    let kind = text("/spec/names/kind")?;
    let versions = doc
        .pointer("/spec/versions")
        .and_then(Value::as_array)
        .ok_or_else(|| malformed("no list at `/spec/versions`".to_owned()))?;

    let mut out = Vec::new();
    for (i, version) in versions.iter().enumerate() {
        let name = version
            .get("name")
            .and_then(Value::as_str)
            .ok_or_else(|| malformed(format!("no string at `/spec/versions/{i}/name`")))?;
        if version.get("served").and_then(Value::as_bool) == Some(false) {
            continue;
        }
        let schema = version
            .pointer("/schema/openAPIV3Schema")
            .and_then(Value::as_object)
            .ok_or_else(|| {
                malformed(format!(
                    "no object at `/spec/versions/{i}/schema/openAPIV3Schema`"
                ))
            })?;
        let gvk = Gvk {
            group: group.to_owned(),
            version: name.to_owned(),
            kind: kind.to_owned(),
        };
        out.push((gvk, root_schema(schema, patterns)));
    }
    Ok(out)
}
