//! The images the values give a Bitnami chart, and the chart's switch for images outside
//! its own registry.
//!
//! In: a plan and its workload. Out: the Sentinel image, and `global.security.
//! allowInsecureImages` with its note when an image is not one the chart verifies.

use serde_json::{Map, Value, json};

use super::exporter;
use crate::plan::model::Plan;
use crate::spec::Replication;
use crate::target::helm::{Image, Workload};

/// The Sentinel image: the spec's, or the `redis-sentinel` sibling of the Redis image.
pub(super) fn sentinel_image(r: &Replication, image: &Image) -> Image {
    match &r.sentinel.image {
        Some(i) => Image::parse(i),
        None => image.sibling("redis-sentinel"),
    }
}

/// Every image the values give the chart.
fn chart_images(plan: &Plan, workload: Workload<'_>) -> Vec<Image> {
    let image = Image::parse(&plan.spec.redis.image);
    let mut images = match workload {
        Workload::Standalone => vec![image],
        Workload::Sentinel(r) => {
            let sentinel = sentinel_image(r, &image);
            vec![image, sentinel]
        }
        Workload::Cluster(_) => vec![image.sibling("redis-cluster")],
    };
    images.extend(exporter(plan).map(|e| Image::parse(&e.image)));
    images
}

/// `global.security.allowInsecureImages` when any image is outside the chart's own list.
pub(super) fn allow_insecure(
    plan: &Plan,
    workload: Workload<'_>,
    v: &mut Map<String, Value>,
    notes: &mut Vec<String>,
) {
    let unverified: Vec<String> = chart_images(plan, workload)
        .iter()
        .filter(|i| !i.verified_by_chart())
        .map(Image::reference)
        .collect();
    if !unverified.is_empty() {
        // The chart's NOTES.txt (`common.errors.insecureImages`) fails the install of any
        // image outside its annotated docker.io/bitnami list, which since September 2025
        // holds no versioned tag that pulls.
        // Beside `global.imagePullSecrets` when the spec names pull Secrets.
        let global = v.entry("global").or_insert_with(|| json!({}));
        if let Some(g) = global.as_object_mut() {
            g.insert("security".into(), json!({"allowInsecureImages": true}));
        }
        notes.push(format!(
            "global.security.allowInsecureImages: the chart refuses images outside docker.io/bitnami/, \
             and these are not there: {} (Bitnami's versioned tags moved to docker.io/bitnamilegacy in 2025).",
            unverified.join(", ")
        ));
    }
}
