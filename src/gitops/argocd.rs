//! The Argo CD config management plugin: `rkv argocd-generate`, run by `argocd-cmp-server`
//! in the Application's source directory.
//!
//! In: the working directory (the app path) and the environment Argo CD sets —
//! parameters as `ARGOCD_APP_PARAMETERS` (JSON) and `PARAM_<NAME>`, the Application's
//! `plugin.env` as `ARGOCD_ENV_<NAME>`, and `ARGOCD_APP_NAME`/`ARGOCD_APP_NAMESPACE`.
//! Out: one variant's objects as a multi-document YAML stream, byte for byte what
//! `rkv render <spec> --stdout --env <name>` prints (less Argo CD Applications).
//! Invariant: the spec is a file inside the app path (never an absolute path or `..`,
//! since parameters are user input), and an ambiguous choice is refused, never guessed.
//!
//! Precedence for each of `spec`, `env`, `site`: the command-line flag, then the
//! `ARGOCD_APP_PARAMETERS` entry, then `PARAM_<NAME>`, then `ARGOCD_ENV_RKV_<NAME>`.
//! An empty value counts as unset (the Argo CD UI sends empty strings).

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use serde::Deserialize;

use super::cluster_objects;
use crate::compile::{CompileError, compile};
use crate::diag::Diagnostic;
use crate::diag::codes;
use crate::pick::{PickError, pick_variant};
use crate::spec::load::MAX_BYTES;

/// The parameters rkv reads; any other is reported as a note.
pub const PARAMETERS: [&str; 3] = ["env", "site", "spec"];

/// A value and where it came from (for error messages).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setting {
    pub value: String,
    pub from: String,
}

/// What Argo CD asked for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Request {
    /// The spec file, relative to the app path; found by content when unset.
    pub spec: Option<Setting>,
    /// The environment or site; the base when unset.
    pub variant: Option<Setting>,
    /// Things worth telling the user that do not stop generation.
    pub notes: Vec<String>,
}

/// Why nothing was generated. Every message says what to change.
#[derive(Debug, thiserror::Error)]
pub enum ArgoError {
    #[error(
        "no rkv spec (a YAML file with `kind: RedisTopology`) in the app path `{dir}`\n  help: point the Application's `source.path` at the directory that holds the spec, or set the plugin parameter `spec`"
    )]
    NoSpec { dir: String },
    #[error(
        "{} rkv specs in the app path: {}\n  help: set the plugin parameter `spec` to the one this Application deploys",
        .files.len(), .files.join(", ")
    )]
    ManySpecs { files: Vec<String> },
    #[error("`{value}` ({from}) cannot name the spec: {why}")]
    BadSpecPath {
        value: String,
        from: String,
        why: &'static str,
    },
    #[error("ARGOCD_APP_PARAMETERS is not the JSON list Argo CD sends: {0}")]
    Parameters(String),
    #[error(
        "parameter `{name}` must be a string, not an {kind}\n  help: write it as `- name: {name}\\n  string: <value>`"
    )]
    NotString { name: String, kind: &'static str },
    #[error(
        "both an environment (`{env}`, {env_from}) and a site (`{site}`, {site_from}) are set\n  help: set only one: `env` names an environment or `base`, `site` names a site"
    )]
    Conflict {
        env: String,
        env_from: String,
        site: String,
        site_from: String,
    },
    #[error("cannot read the app path `{dir}`: {source}")]
    ReadDir {
        dir: String,
        #[source]
        source: std::io::Error,
    },
    /// The spec did not load (exit 2) or has error findings (exit 1); printed as diagnostics.
    #[error("the spec `{file}` has {} error(s)", .diags.iter().filter(|d| d.is_error()).count())]
    Findings {
        file: String,
        diags: Vec<Diagnostic>,
        loaded: bool,
    },
    #[error("`{file}`: {why}{}", .from.as_ref().map(|f| format!(" (asked for by {f})")).unwrap_or_default())]
    Pick {
        file: String,
        from: Option<String>,
        why: PickError,
    },
    #[error(transparent)]
    Compile(CompileError),
    #[error("cannot write the YAML stream")]
    Yaml(#[source] serde_saphyr::SerializeError),
}

#[derive(Debug, Deserialize)]
struct Param {
    name: String,
    #[serde(default)]
    string: Option<String>,
    #[serde(default)]
    array: Option<Vec<serde_json::Value>>,
    #[serde(default)]
    map: Option<BTreeMap<String, serde_json::Value>>,
}

/// Work out what Argo CD asked for from the flags and the environment `vars`.
pub fn request(
    flag_spec: Option<&str>,
    flag_env: Option<&str>,
    vars: &BTreeMap<String, String>,
) -> Result<Request, ArgoError> {
    let mut notes = Vec::new();
    // Parameters from the JSON list, by name.
    let mut json: BTreeMap<String, String> = BTreeMap::new();
    if let Some(raw) = vars
        .get("ARGOCD_APP_PARAMETERS")
        .filter(|s| !s.trim().is_empty())
    {
        let params: Vec<Param> =
            serde_json::from_str(raw).map_err(|e| ArgoError::Parameters(e.to_string()))?;
        for p in params {
            if !PARAMETERS.contains(&p.name.as_str()) {
                notes.push(format!(
                    "parameter `{}` is not one rkv reads ({}); ignored",
                    p.name,
                    PARAMETERS.join(", ")
                ));
                continue;
            }
            let kind = match (&p.string, &p.array, &p.map) {
                (_, Some(_), _) => Some("array"),
                (_, _, Some(_)) => Some("map"),
                _ => None,
            };
            if let Some(kind) = kind {
                return Err(ArgoError::NotString { name: p.name, kind });
            }
            if let Some(s) = p.string {
                json.insert(p.name, s);
            }
        }
    }
    let pick = |name: &str, flag: Option<&str>| -> Option<Setting> {
        let upper = name.to_uppercase();
        let candidates = [
            (flag.map(str::to_string), format!("the flag --{name}")),
            (
                json.get(name).cloned(),
                format!("the ARGOCD_APP_PARAMETERS parameter `{name}`"),
            ),
            (
                vars.get(&format!("PARAM_{upper}")).cloned(),
                format!("PARAM_{upper}"),
            ),
            (
                vars.get(&format!("ARGOCD_ENV_RKV_{upper}")).cloned(),
                format!("ARGOCD_ENV_RKV_{upper}"),
            ),
        ];
        candidates.into_iter().find_map(|(v, from)| {
            v.map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
                .map(|value| Setting { value, from })
        })
    };
    let spec = pick("spec", flag_spec);
    let env = pick("env", flag_env);
    let site = pick("site", None);
    let variant = match (env, site) {
        (Some(e), Some(s)) if e.value != s.value => {
            return Err(ArgoError::Conflict {
                env: e.value,
                env_from: e.from,
                site: s.value,
                site_from: s.from,
            });
        }
        (e, s) => e.or(s),
    };
    Ok(Request {
        spec,
        variant,
        notes,
    })
}

/// Does this text hold an rkv spec? A cheap test first, then a real parse, so a Helm
/// template or a broken YAML file elsewhere in the app path is simply not a spec.
fn is_spec(text: &str) -> bool {
    if !text.contains("RedisTopology") {
        return false;
    }
    let Ok(docs) = serde_saphyr::from_str_multiple::<serde_json::Value, Vec<_>>(text) else {
        return false;
    };
    docs.iter().any(|d| {
        d.get("kind").and_then(|k| k.as_str()) == Some("RedisTopology")
            && d.get("apiVersion")
                .and_then(|a| a.as_str())
                .is_some_and(|a| a.starts_with("rkv.dev/"))
    })
}

/// The spec files directly in `dir` (not below it), by file name, sorted.
pub fn find_specs(dir: &Path) -> Result<Vec<String>, ArgoError> {
    let read_err = |source| ArgoError::ReadDir {
        dir: dir.display().to_string(),
        source,
    };
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(read_err)? {
        let path = entry.map_err(read_err)?.path();
        let yaml = matches!(
            path.extension().and_then(|x| x.to_str()),
            Some("yaml" | "yml")
        );
        let small = std::fs::metadata(&path).is_ok_and(|m| m.is_file() && m.len() <= MAX_BYTES);
        if !yaml || !small {
            continue;
        }
        if let Some(name) = path.file_name()
            && std::fs::read_to_string(&path).is_ok_and(|t| is_spec(&t))
        {
            out.push(name.to_string_lossy().into_owned());
        }
    }
    out.sort();
    Ok(out)
}

/// The spec file: the one named by the request (checked to stay inside `dir`), or the
/// only spec in `dir`.
pub fn spec_file(dir: &Path, req: &Request) -> Result<PathBuf, ArgoError> {
    if let Some(s) = &req.spec {
        let p = Path::new(&s.value);
        let bad = |why| ArgoError::BadSpecPath {
            value: s.value.clone(),
            from: s.from.clone(),
            why,
        };
        if p.is_absolute() || p.has_root() {
            return Err(bad(
                "it is an absolute path; give a path relative to the app path",
            ));
        }
        if p.components()
            .any(|c| !matches!(c, Component::Normal(_) | Component::CurDir))
        {
            return Err(bad(
                "it leaves the app path (`..`); give a path inside the app path",
            ));
        }
        return Ok(dir.join(p));
    }
    let mut found = find_specs(dir)?;
    match found.len() {
        0 => Err(ArgoError::NoSpec {
            dir: dir.display().to_string(),
        }),
        1 => Ok(dir.join(found.remove(0))),
        _ => Err(ArgoError::ManySpecs { files: found }),
    }
}

/// What `generate` produced.
#[derive(Debug)]
pub struct Generated {
    /// The multi-document YAML stream for stdout.
    pub yaml: String,
    /// Warnings and notes about the spec, and notes about the request, for stderr.
    pub findings: Vec<Diagnostic>,
    pub notes: Vec<String>,
}

/// Render the requested variant of the spec in `dir`. `vars` supplies
/// `ARGOCD_APP_NAMESPACE` for a note when it differs from the topology's namespace.
pub fn generate(
    dir: &Path,
    req: &Request,
    vars: &BTreeMap<String, String>,
) -> Result<Generated, ArgoError> {
    let path = spec_file(dir, req)?;
    // Diagnostics name the file as the user knows it: relative to the app path.
    let label = path
        .strip_prefix(dir)
        .unwrap_or(&path)
        .display()
        .to_string();
    let text = read_spec(&path, &label)?;
    let loaded = crate::spec::load_str(&label, text).map_err(|diags| ArgoError::Findings {
        file: label.clone(),
        diags,
        loaded: false,
    })?;
    let compiled = compile(&loaded).map_err(|e| match e {
        CompileError::Findings(diags) => ArgoError::Findings {
            file: label.clone(),
            diags,
            loaded: true,
        },
        e => ArgoError::Compile(e),
    })?;
    let want = req.variant.as_ref();
    let v =
        pick_variant(&compiled, want.map(|s| s.value.as_str())).map_err(|why| ArgoError::Pick {
            file: label.clone(),
            from: want.map(|s| s.from.clone()),
            why,
        })?;
    let mut notes = req.notes.clone();
    let skipped = v.objects.iter().filter(|o| super::is_argocd_app(o)).count();
    if skipped > 0 {
        notes.push(format!(
            "left out {skipped} Argo CD Application(s) rkv emits for the committed tree: this Application deploys the objects itself"
        ));
    }
    if let Some(ns) = vars
        .get("ARGOCD_APP_NAMESPACE")
        .filter(|n| !n.is_empty() && **n != v.plan.namespace)
    {
        notes.push(format!(
            "the Application's destination namespace is `{ns}` but `{label}` ({}) puts its objects in `{}`; every object carries its namespace, so the destination namespace does not move them",
            v.resolved.variant.label(),
            v.plan.namespace
        ));
    }
    let objects = cluster_objects(v).map_err(|e| ArgoError::Compile(CompileError::Layout(e)))?;
    let docs: Vec<&serde_json::Value> = objects.iter().map(|o| &o.value).collect();
    let yaml = crate::write::to_yaml_stream(&docs).map_err(ArgoError::Yaml)?;
    Ok(Generated {
        yaml,
        findings: compiled.findings,
        notes,
    })
}

fn read_spec(path: &Path, label: &str) -> Result<String, ArgoError> {
    let err = |msg: String| ArgoError::Findings {
        file: label.to_string(),
        diags: vec![Diagnostic::new(codes::RKV001, label, msg)],
        loaded: false,
    };
    let meta = std::fs::metadata(path).map_err(|e| {
        err(match e.kind() {
            std::io::ErrorKind::NotFound => {
                format!("cannot read `{label}`: no such file in the app path")
            }
            _ => format!("cannot read `{label}`: {e}"),
        })
    })?;
    if !meta.is_file() {
        return Err(err(format!("`{label}` is not a file")));
    }
    if meta.len() > MAX_BYTES {
        return Err(err(format!(
            "`{label}` is {} bytes; a spec may be at most {MAX_BYTES} bytes",
            meta.len()
        )));
    }
    let bytes = std::fs::read(path).map_err(|e| err(format!("cannot read `{label}`: {e}")))?;
    String::from_utf8(bytes).map_err(|e| ArgoError::Findings {
        file: label.to_string(),
        diags: vec![crate::spec::load::not_utf8(label, &e)],
        loaded: false,
    })
}

/// Parameter announcements for the Argo CD UI (`spec.parameters.dynamic`): `env`, with the
/// spec's environments or sites in its tooltip so a user picks a name that exists. When
/// the app path has no single loadable spec the tooltip says what `env` may name in general
/// (generation then reports the real problem).
pub fn announcements(dir: &Path, req: &Request) -> serde_json::Value {
    let names = spec_file(dir, req).ok().and_then(|p| {
        let text = std::fs::read_to_string(&p).ok()?;
        let loaded = crate::spec::load_str(&p.display().to_string(), text).ok()?;
        let resolved = crate::spec::resolve::resolve(&loaded.topology);
        Some(
            resolved
                .iter()
                .map(|r| r.variant.label().to_string())
                .collect::<Vec<_>>(),
        )
    });
    let (tooltip, default) = match names {
        Some(names) => (
            format!("one of: {}", names.join(", ")),
            if names.iter().any(|n| n == "base") {
                "base"
            } else {
                ""
            },
        ),
        None => (
            "`base`, an environment under spec.environments, or a site under spec.sites".into(),
            "base",
        ),
    };
    serde_json::json!([{
        "name": "env",
        "title": "Environment or site to render",
        "tooltip": tooltip,
        "string": default,
    }])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn precedence_is_flag_then_json_then_param_then_app_env() {
        let all = vars(&[
            (
                "ARGOCD_APP_PARAMETERS",
                r#"[{"name":"env","string":"json"}]"#,
            ),
            ("PARAM_ENV", "param"),
            ("ARGOCD_ENV_RKV_ENV", "appenv"),
        ]);
        let r = request(None, Some("flag"), &all).unwrap();
        assert_eq!(r.variant.unwrap().value, "flag");
        let r = request(None, None, &all).unwrap();
        assert_eq!(r.variant.unwrap().value, "json");
        let r = request(
            None,
            None,
            &vars(&[("PARAM_ENV", "param"), ("ARGOCD_ENV_RKV_ENV", "x")]),
        )
        .unwrap();
        assert_eq!(r.variant.unwrap().from, "PARAM_ENV");
        let r = request(None, None, &vars(&[("ARGOCD_ENV_RKV_SITE", "dr")])).unwrap();
        assert_eq!(r.variant.unwrap().value, "dr");
    }

    #[test]
    fn empty_values_are_unset_and_unknown_parameters_are_noted() {
        let r = request(
            None,
            None,
            &vars(&[
                (
                    "ARGOCD_APP_PARAMETERS",
                    r#"[{"name":"env","string":""},{"name":"colour","string":"red"}]"#,
                ),
                ("PARAM_ENV", " "),
            ]),
        )
        .unwrap();
        assert_eq!(r.variant, None);
        assert_eq!(r.notes.len(), 1);
        assert!(r.notes[0].contains("`colour`"));
    }

    #[test]
    fn env_and_site_disagreeing_is_refused() {
        let e = request(
            None,
            None,
            &vars(&[("PARAM_ENV", "staging"), ("PARAM_SITE", "dr")]),
        )
        .unwrap_err();
        assert!(matches!(e, ArgoError::Conflict { .. }), "{e}");
    }

    #[test]
    fn array_parameter_and_bad_json_are_refused() {
        let e = request(
            None,
            None,
            &vars(&[("ARGOCD_APP_PARAMETERS", r#"[{"name":"env","array":["a"]}]"#)]),
        )
        .unwrap_err();
        assert!(
            e.to_string().contains("must be a string, not an array"),
            "{e}"
        );
        let e = request(None, None, &vars(&[("ARGOCD_APP_PARAMETERS", "{")])).unwrap_err();
        assert!(matches!(e, ArgoError::Parameters(_)));
    }

    #[test]
    fn spec_parameter_stays_inside_the_app_path() {
        let dir = Path::new("/app");
        for bad in ["/etc/passwd", "../other/spec.yaml", "a/../../b.yaml"] {
            let req = Request {
                spec: Some(Setting {
                    value: bad.into(),
                    from: "PARAM_SPEC".into(),
                }),
                ..Request::default()
            };
            assert!(
                matches!(spec_file(dir, &req), Err(ArgoError::BadSpecPath { .. })),
                "{bad}"
            );
        }
        let req = Request {
            spec: Some(Setting {
                value: "./specs/redis.yaml".into(),
                from: "PARAM_SPEC".into(),
            }),
            ..Request::default()
        };
        assert_eq!(
            spec_file(dir, &req).unwrap(),
            Path::new("/app/./specs/redis.yaml")
        );
    }

    #[test]
    fn spec_detection_needs_kind_and_group() {
        assert!(is_spec(
            "apiVersion: rkv.dev/v1alpha1\nkind: RedisTopology\n"
        ));
        assert!(!is_spec("apiVersion: other.io/v1\nkind: RedisTopology\n"));
        assert!(!is_spec("kind: Kustomization\n# RedisTopology\n"));
        assert!(!is_spec("{{ RedisTopology }: ["));
    }
}
