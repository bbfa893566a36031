//! The objects of one namespace, read-only, for `rkv import --live`: discovery, then one
//! LIST per kind the server serves, with the diff's client, timeouts and error messages.
//!
//! In: [`DiffOptions`], the namespace, a label selector, the kinds. Out: the objects as
//! JSON, in kind order then name order.

use std::collections::BTreeSet;

use kube::api::{Api, DynamicObject, ListParams};
use kube::discovery::verbs;
use serde_json::Value;

use super::client::{Req, bounded, classify, connect, discover, resource_name, to_value};
use crate::diff::{DiffError, DiffOptions};

/// Lists, read-only, the objects of `kinds` (API group, kind) in `namespace` that match
/// the label `selector`, with the diff's client, timeouts and error messages. Kinds the
/// server does not serve (an operator not installed) are skipped. Used by `rkv import --live`.
pub(crate) async fn list_namespace(
    opts: &DiffOptions,
    namespace: &str,
    selector: Option<&str>,
    kinds: &[(&str, &str)],
) -> Result<Vec<Value>, DiffError> {
    let (env, client, _) = connect(opts).await?;
    let groups: BTreeSet<&str> = kinds.iter().map(|(g, _)| *g).collect();
    let discovery = discover(&env, &client, &groups).await?;
    let mut out = Vec::new();
    for (group, kind) in kinds {
        let Some((ar, caps)) = discovery.get(group).and_then(|g| g.recommended_kind(kind)) else {
            continue;
        };
        if !caps.supports_operation(verbs::LIST) {
            continue;
        }
        let api: Api<DynamicObject> = Api::namespaced_with(client.clone(), namespace, &ar);
        let req = Req {
            verb: "list",
            resource: resource_name(&ar, Some(namespace)),
            object: None,
        };
        let mut params = ListParams::default();
        if let Some(sel) = selector {
            params = params.labels(sel);
        }
        let list = bounded(&env, &req, env.timeout, api.list(&params))
            .await?
            .map_err(|e| classify(&env, &req, e))?;
        let mut items: Vec<Value> = list.items.into_iter().map(|o| to_value(o, &ar)).collect();
        items.sort_by(|a, b| {
            let name = |v: &Value| {
                v.pointer("/metadata/name")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string()
            };
            name(a).cmp(&name(b))
        });
        out.extend(items);
    }
    Ok(out)
}
