//! Reading what runs: YAML files and folders (a kustomize tree built by `kubectl
//! kustomize`), Helm values files, into [`SourceObject`]s that remember where each value
//! came from.
//!
//! In: paths, or text with a label. Out: JSON values, one per object (a `List` is
//! flattened into its items), each with the file and the line and column of every node.
//! Invariant: no input makes this module panic; bad input is an [`ImportError`] naming the
//! file, line and column.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use serde_saphyr::Spanned;

use super::error::{ImportError, Place};

/// Largest input file read (a manifest folder of a few hundred objects is far below it).
pub const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// One object (or values document) as read.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceObject {
    pub value: Value,
    /// The file (or `live`) the object came from.
    pub file: String,
    /// JSON pointer -> line and column, for every node of `value` (empty for live objects).
    pub places: BTreeMap<String, (usize, usize)>,
}

impl SourceObject {
    /// An object without positions (read from a cluster).
    pub fn unplaced(value: Value, file: &str) -> Self {
        SourceObject {
            value,
            file: file.to_string(),
            places: BTreeMap::new(),
        }
    }

    /// Where the node at `pointer` was read (the nearest enclosing node that has a place).
    pub fn place(&self, pointer: &str) -> Place {
        let mut p = pointer.to_string();
        loop {
            if let Some((line, column)) = self.places.get(&p) {
                return Place {
                    file: self.file.clone(),
                    line: *line,
                    column: *column,
                };
            }
            match p.rfind('/') {
                Some(i) => p.truncate(i),
                None => {
                    return Place {
                        file: self.file.clone(),
                        line: 0,
                        column: 0,
                    };
                }
            }
        }
    }

    pub fn kind(&self) -> &str {
        self.str_at("/kind")
    }
    pub fn api_version(&self) -> &str {
        self.str_at("/apiVersion")
    }
    pub fn name(&self) -> &str {
        self.str_at("/metadata/name")
    }
    pub fn namespace(&self) -> &str {
        self.str_at("/metadata/namespace")
    }
    pub fn str_at(&self, pointer: &str) -> &str {
        self.value
            .pointer(pointer)
            .and_then(Value::as_str)
            .unwrap_or("")
    }

    /// `Kind/namespace/name` (or `Kind/name`), how the report names an object.
    pub fn id(&self) -> String {
        object_id(&self.value)
    }

    /// An input error at `pointer` of this object.
    pub fn invalid(&self, pointer: &str, message: impl Into<String>) -> ImportError {
        ImportError::Invalid {
            place: self.place(pointer),
            object: if self.kind().is_empty() {
                "values".into()
            } else {
                self.id()
            },
            field: dotted(pointer),
            message: message.into(),
        }
    }
}

/// `Kind/namespace/name` (or `Kind/name`) of an object value.
pub fn object_id(v: &Value) -> String {
    let s = |p: &str| v.pointer(p).and_then(Value::as_str).unwrap_or("");
    let (kind, ns, name) = (s("/kind"), s("/metadata/namespace"), s("/metadata/name"));
    if ns.is_empty() {
        format!("{kind}/{name}")
    } else {
        format!("{kind}/{ns}/{name}")
    }
}

/// A JSON pointer as a dotted field path (`/spec/template/spec` -> `spec.template.spec`).
pub fn dotted(pointer: &str) -> String {
    pointer
        .split('/')
        .skip(1)
        .map(|s| s.replace("~1", "/").replace("~0", "~"))
        .collect::<Vec<_>>()
        .join(".")
}

/// One JSON pointer segment.
pub fn escape(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

/// A YAML node with its position, deserialized through serde-saphyr's `Spanned`.
struct Node {
    value: NodeValue,
}

enum NodeValue {
    Null,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float(f64),
    Str(String),
    Seq(Vec<Spanned<Node>>),
    Map(Vec<(String, Spanned<Node>)>),
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(NodeVisitor)
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Node, E> {
        Ok(Node {
            value: NodeValue::Bool(v),
        })
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Node, E> {
        Ok(Node {
            value: NodeValue::Int(v),
        })
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Node, E> {
        Ok(Node {
            value: NodeValue::UInt(v),
        })
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Node, E> {
        Ok(Node {
            value: NodeValue::Float(v),
        })
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Node, E> {
        Ok(Node {
            value: NodeValue::Str(v.to_string()),
        })
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Node, E> {
        Ok(Node {
            value: NodeValue::Str(v),
        })
    }
    fn visit_unit<E: de::Error>(self) -> Result<Node, E> {
        Ok(Node {
            value: NodeValue::Null,
        })
    }
    fn visit_none<E: de::Error>(self) -> Result<Node, E> {
        Ok(Node {
            value: NodeValue::Null,
        })
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Node, D::Error> {
        Node::deserialize(d)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Spanned<Node>>()? {
            items.push(item);
        }
        Ok(Node {
            value: NodeValue::Seq(items),
        })
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let mut entries: Vec<(String, Spanned<Node>)> = Vec::new();
        while let Some(key) = map.next_key::<Key>()? {
            let value = map.next_value::<Spanned<Node>>()?;
            if entries.iter().any(|(k, _)| *k == key.0) {
                return Err(de::Error::custom(format!(
                    "the key `{}` appears twice",
                    key.0
                )));
            }
            entries.push((key.0, value));
        }
        Ok(Node {
            value: NodeValue::Map(entries),
        })
    }
}

/// A mapping key: any scalar, as text (Kubernetes keys are strings; `80: x` is `"80"`).
struct Key(String);

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = Key;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a scalar mapping key")
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Key, E> {
                Ok(Key(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Key, E> {
                Ok(Key(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Key, E> {
                Ok(Key(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Key, E> {
                Ok(Key(v.to_string()))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key, E> {
                Ok(Key(v.to_string()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Key, E> {
                Ok(Key(v))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Key, E> {
                Ok(Key("null".into()))
            }
        }
        d.deserialize_any(KeyVisitor)
    }
}

/// Flattens a spanned node into a JSON value and its places.
fn flatten(
    node: Spanned<Node>,
    pointer: String,
    places: &mut BTreeMap<String, (usize, usize)>,
) -> Value {
    let loc = node.referenced;
    if loc.line() > 0 {
        places.insert(pointer.clone(), line_column(&loc));
    }
    match node.value.value {
        NodeValue::Null => Value::Null,
        NodeValue::Bool(b) => Value::Bool(b),
        NodeValue::Int(i) => Value::from(i),
        NodeValue::UInt(u) => Value::from(u),
        NodeValue::Float(f) => serde_json::Number::from_f64(f)
            .map(Value::Number)
            .unwrap_or_else(|| Value::String(f.to_string())),
        NodeValue::Str(s) => Value::String(s),
        NodeValue::Seq(items) => Value::Array(
            items
                .into_iter()
                .enumerate()
                .map(|(i, n)| flatten(n, format!("{pointer}/{i}"), places))
                .collect(),
        ),
        NodeValue::Map(entries) => {
            let mut m = Map::new();
            for (k, n) in entries {
                let p = format!("{pointer}/{}", escape(&k));
                let v = flatten(n, p, places);
                m.insert(k, v);
            }
            Value::Object(m)
        }
    }
}

/// A location's line and column (1-based), saturating where `usize` is narrower.
fn line_column(l: &serde_saphyr::Location) -> (usize, usize) {
    let n = |x: u64| usize::try_from(x).unwrap_or(usize::MAX);
    (n(l.line()), n(l.column()))
}

fn yaml_error(file: &str, e: &serde_saphyr::Error) -> ImportError {
    let (line, column) = e.location().map(|l| line_column(&l)).unwrap_or((0, 0));
    ImportError::Yaml {
        place: Place {
            file: file.to_string(),
            line,
            column,
        },
        message: e.without_snippet().to_string(),
    }
}

/// Every YAML document of `text` with its places; empty documents are skipped.
pub fn parse_documents(file: &str, text: &str) -> Result<Vec<SourceObject>, ImportError> {
    let docs: Vec<Spanned<Node>> =
        serde_saphyr::from_str_multiple(text).map_err(|e| yaml_error(file, &e))?;
    Ok(docs
        .into_iter()
        .map(|d| {
            let mut places = BTreeMap::new();
            let value = flatten(d, String::new(), &mut places);
            SourceObject {
                value,
                file: file.to_string(),
                places,
            }
        })
        .filter(|o| !o.value.is_null())
        .collect())
}

/// The Kubernetes objects of `text`: every document that is a mapping with `apiVersion`
/// and `kind`; a `List` contributes its items. A document that is not an object is an
/// error (a stray values file among manifests is a mistake worth naming).
pub fn parse_manifests(file: &str, text: &str) -> Result<Vec<SourceObject>, ImportError> {
    let mut out = Vec::new();
    for doc in parse_documents(file, text)? {
        if !doc.value.is_object() {
            return Err(doc.invalid("", "a manifest document must be a mapping"));
        }
        if doc.kind().is_empty() || doc.api_version().is_empty() {
            return Err(doc.invalid(
                "",
                "not a Kubernetes object: `apiVersion` and `kind` are required",
            ));
        }
        if doc.kind().ends_with("List") && doc.value.get("items").is_some() {
            let Some(items) = doc.value.get("items").and_then(Value::as_array) else {
                return Err(doc.invalid("/items", "`items` must be a list"));
            };
            for (i, item) in items.iter().enumerate() {
                let prefix = format!("/items/{i}");
                let places = doc
                    .places
                    .iter()
                    .filter_map(|(p, pos)| {
                        p.strip_prefix(&prefix)
                            .filter(|rest| rest.is_empty() || rest.starts_with('/'))
                            .map(|rest| (rest.to_string(), *pos))
                    })
                    .collect();
                let obj = SourceObject {
                    value: item.clone(),
                    file: file.to_string(),
                    places,
                };
                if obj.kind().is_empty() || obj.api_version().is_empty() {
                    return Err(doc.invalid(&prefix, "a List item without `apiVersion` and `kind`"));
                }
                out.push(obj);
            }
        } else {
            out.push(doc);
        }
    }
    Ok(out)
}

/// Reads a file of at most [`MAX_FILE_BYTES`] as UTF-8 text.
pub fn read_text(path: &Path) -> Result<String, ImportError> {
    let io = |source| ImportError::Read {
        path: path.to_path_buf(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(io)?;
    if meta.len() > MAX_FILE_BYTES {
        return Err(ImportError::TooLarge {
            path: path.to_path_buf(),
            bytes: meta.len(),
        });
    }
    let bytes = std::fs::read(path).map_err(io)?;
    String::from_utf8(bytes).map_err(|e| ImportError::NotUtf8 {
        path: path.to_path_buf(),
        offset: e.utf8_error().valid_up_to(),
    })
}

/// The objects under `paths`: YAML files, and folders read recursively in name order; a
/// folder (or a file's folder given as the folder itself) holding `kustomization.yaml`
/// is built with `kubectl kustomize` instead, as `kubectl apply -k` would.
pub fn read_manifests(paths: &[PathBuf], kubectl: &Path) -> Result<Vec<SourceObject>, ImportError> {
    let mut out = Vec::new();
    for p in paths {
        let is_kustomization = p
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| KUSTOMIZATION_FILES.contains(&n));
        if p.is_dir() {
            read_dir(p, kubectl, &mut out)?;
        } else if is_kustomization && p.is_file() {
            // A kustomization file stands for its tree.
            let dir = p
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            read_dir(dir, kubectl, &mut out)?;
        } else if p.exists() {
            let text = read_text(p)?;
            out.extend(parse_manifests(&p.display().to_string(), &text)?);
        } else {
            return Err(ImportError::Read {
                path: p.clone(),
                source: std::io::Error::new(std::io::ErrorKind::NotFound, "no such file or folder"),
            });
        }
    }
    Ok(out)
}

const KUSTOMIZATION_FILES: [&str; 3] = ["kustomization.yaml", "kustomization.yml", "Kustomization"];

fn read_dir(dir: &Path, kubectl: &Path, out: &mut Vec<SourceObject>) -> Result<(), ImportError> {
    if KUSTOMIZATION_FILES.iter().any(|k| dir.join(k).is_file()) {
        let text = kustomize(dir, kubectl)?;
        let label = format!("kubectl kustomize {}", dir.display());
        out.extend(parse_manifests(&label, &text)?);
        return Ok(());
    }
    let io = |source| ImportError::Read {
        path: dir.to_path_buf(),
        source,
    };
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(io)?
        .map(|e| e.map(|e| e.path()).map_err(io))
        .collect::<Result<_, _>>()?;
    entries.sort();
    for e in entries {
        if e.is_dir() {
            read_dir(&e, kubectl, out)?;
        } else if matches!(
            e.extension().and_then(|x| x.to_str()),
            Some("yaml" | "yml" | "json")
        ) {
            let text = read_text(&e)?;
            out.extend(parse_manifests(&e.display().to_string(), &text)?);
        }
    }
    Ok(())
}

/// `kubectl kustomize DIR`: the tree as `kubectl apply -k` would send it.
fn kustomize(dir: &Path, kubectl: &Path) -> Result<String, ImportError> {
    let output = std::process::Command::new(kubectl)
        .arg("kustomize")
        .arg(dir)
        .output()
        .map_err(|source| ImportError::Kubectl {
            kubectl: kubectl.to_path_buf(),
            source,
        })?;
    if !output.status.success() {
        return Err(ImportError::Kustomize {
            dir: dir.to_path_buf(),
            stderr: String::from_utf8_lossy(&output.stderr).trim().to_string(),
        });
    }
    String::from_utf8(output.stdout).map_err(|e| ImportError::NotUtf8 {
        path: dir.to_path_buf(),
        offset: e.utf8_error().valid_up_to(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn places_point_at_the_value() {
        let text = "apiVersion: v1\nkind: Service\nmetadata:\n  name: redis\nspec:\n  ports:\n  - port: 6379\n";
        let objs = parse_manifests("svc.yaml", text).unwrap();
        assert_eq!(objs.len(), 1);
        let p = objs[0].place("/spec/ports/0/port");
        assert_eq!((p.line, p.column), (7, 11), "{p}");
        assert_eq!(objs[0].place("/metadata/name").line, 4);
        // An unknown pointer falls back to its nearest known parent.
        assert_eq!(objs[0].place("/spec/ports/0/nodePort").line, 7);
    }

    #[test]
    fn lists_are_flattened_and_empty_documents_skipped() {
        let text = "---\n---\napiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: a}\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: b}\n";
        let objs = parse_manifests("list.yaml", text).unwrap();
        let names: Vec<&str> = objs.iter().map(|o| o.name()).collect();
        assert_eq!(names, ["a", "b"]);
        assert_eq!(objs[1].place("/metadata/name").line, 11);
    }

    #[test]
    fn bad_input_is_located() {
        let e = parse_manifests("x.yaml", "a: [1, 2\n").unwrap_err();
        assert!(matches!(e, ImportError::Yaml { .. }), "{e}");
        let e = parse_manifests("x.yaml", "apiVersion: v1\nkind: X\n---\n- 1\n").unwrap_err();
        assert!(e.to_string().starts_with("x.yaml:4:1:"), "{e}");
        let e = parse_manifests("x.yaml", "metadata: {name: a}\n").unwrap_err();
        assert!(e.to_string().contains("`apiVersion` and `kind`"), "{e}");
        let e = parse_manifests("x.yaml", "kind: A\napiVersion: v1\nkind: B\n").unwrap_err();
        assert!(e.to_string().contains("x.yaml:"), "{e}");
    }
}
