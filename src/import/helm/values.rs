//! Reading a release's values: typed accessors over the values the chart runs (its
//! defaults with the release's values over them), each error located in the values file,
//! and the chart's image and full-name conventions.
//!
//! In: the effective values and the release's own values document. Out: text, flags,
//! counts, images and resources, or an [`ImportError`] at the key.

use serde_json::Value;

use super::ChartName;
use crate::import::error::ImportError;
use crate::import::pod;
use crate::import::source::SourceObject;
use crate::spec::Resources;

pub(super) struct Vals<'a> {
    pub v: &'a Value,
    pub src: &'a SourceObject,
}

impl Vals<'_> {
    pub fn get(&self, p: &str) -> Option<&Value> {
        self.v.pointer(p).filter(|v| !v.is_null())
    }
    pub fn str(&self, p: &str) -> Result<Option<String>, ImportError> {
        match self.get(p) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone()).filter(|s| !s.is_empty())),
            Some(Value::Number(n)) => Ok(Some(n.to_string())),
            Some(_) => Err(self.src.invalid(p, "must be text")),
        }
    }
    pub fn bool(&self, p: &str) -> Result<bool, ImportError> {
        match self.get(p) {
            None => Ok(false),
            Some(Value::Bool(b)) => Ok(*b),
            Some(Value::String(s)) if s == "true" || s == "false" => Ok(s == "true"),
            Some(_) => Err(self.src.invalid(p, "must be true or false")),
        }
    }
    pub fn u32(&self, p: &str) -> Result<Option<u32>, ImportError> {
        match self.get(p) {
            None => Ok(None),
            Some(Value::String(s)) if s.is_empty() => Ok(None),
            Some(v) => v
                .as_u64()
                .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
                .and_then(|n| u32::try_from(n).ok())
                .map(Some)
                .ok_or_else(|| self.src.invalid(p, "must be a whole number")),
        }
    }
    /// Whether the release's own values (not the defaults) set `p`.
    pub fn given(&self, p: &str) -> bool {
        self.src.value.pointer(p).is_some_and(|v| !v.is_null())
    }
}

/// `registry/repository:tag` without the Docker Hub registry.
pub(super) fn image_of(vals: &Vals, at: &str) -> Result<Option<String>, ImportError> {
    let Some(repo) = vals.str(&format!("{at}/repository"))? else {
        return Ok(None);
    };
    let registry = vals.str(&format!("{at}/registry"))?.unwrap_or_default();
    let mut image = if registry.is_empty() || registry == "docker.io" {
        repo
    } else {
        format!("{registry}/{repo}")
    };
    if let Some(tag) = vals.str(&format!("{at}/tag"))? {
        image = format!("{image}:{tag}");
    }
    if let Some(digest) = vals.str(&format!("{at}/digest"))? {
        image = format!("{image}@{digest}");
    }
    Ok(Some(image))
}

pub(super) fn resources_at(vals: &Vals, at: &str) -> Result<Option<Resources>, ImportError> {
    let Some(v) = vals.get(at) else {
        return Ok(None);
    };
    let r: k8s_openapi::api::core::v1::ResourceRequirements = serde_json::from_value(v.clone())
        .map_err(|e| vals.src.invalid(at, format!("not valid resources: {e}")))?;
    Ok(pod::resources(&k8s_openapi::api::core::v1::Container {
        resources: Some(r),
        ..Default::default()
    })
    .0)
}

/// The chart's full name (`redis` for release `redis` of chart `redis`).
pub(super) fn fullname(
    vals: &Vals,
    chart: ChartName,
    release: &str,
) -> Result<String, ImportError> {
    if let Some(f) = vals.str("/fullnameOverride")? {
        return Ok(f);
    }
    Ok(if release.contains(chart.name()) {
        release.to_string()
    } else {
        format!("{release}-{}", chart.name())
    })
}
