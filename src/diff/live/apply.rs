//! One rendered object against the cluster: GET the live object, then a server-side
//! apply dry run as the applier's field manager (creates too). A refusal that is the
//! object's own (validation, admission, an immutable field) is its outcome; a server
//! that cannot dry-run leaves the rendered object to compare with.
//!
//! In: a resolved rendered object. Out: its [`Pair`]: live, merged, or refusal, with notes.

use kube::api::{Api, DynamicObject, Patch, PatchParams};
use kube::discovery::{Scope, verbs};

use super::client::{Req, bounded, classify, resource_name, to_value};
use super::{Ctx, Resolved};
use crate::diff::{DiffError, Pair, Refusal, immutable};

/// Whether the server refuses a server-side apply dry run (older servers, or a kind
/// that does not support it): then a plain GET is the best view of the live object.
fn refuses_dry_run_apply(err: &kube::Error) -> bool {
    match err {
        kube::Error::Api(s) => {
            let msg = s.message.to_ascii_lowercase();
            matches!(s.code, 405 | 415)
                || (s.code == 400
                    && (msg.contains("dryrun")
                        || msg.contains("dry-run")
                        || msg.contains("dry run")))
        }
        _ => false,
    }
}

/// Whether a refused dry run is the object's own outcome (the sync would meet the same
/// refusal) rather than a reason the diff cannot be made: validation (400, 422) and
/// admission webhooks, whatever their code.
fn is_object_refusal(status: &kube::core::Status) -> bool {
    let webhook = status.message.contains("admission webhook")
        || status.message.contains("failed calling webhook");
    matches!(status.code, 400 | 422) || (webhook && status.code != 401)
}

pub(super) async fn fetch_object(ctx: &Ctx<'_>, r: &Resolved) -> Result<Pair, DiffError> {
    let env = ctx.env;
    let namespaced = r.caps.scope == Scope::Namespaced;
    let api: Api<DynamicObject> = if namespaced {
        Api::namespaced_with(ctx.client.clone(), &r.key.namespace, &r.ar)
    } else {
        Api::all_with(ctx.client.clone(), &r.ar)
    };
    let resource = resource_name(&r.ar, namespaced.then_some(r.key.namespace.as_str()));
    let object = Some(r.key.to_string());
    let get = Req {
        verb: "get",
        resource: resource.clone(),
        object: object.clone(),
    };
    let mut pair = Pair::new(r.key.clone(), r.api_version.clone());
    pair.rendered = Some(r.obj.clone());
    pair.live = bounded(env, &get, env.timeout, api.get_opt(&r.key.name))
        .await?
        .map_err(|e| classify(env, &get, e))?
        .map(|o| to_value(o, &r.ar));

    if !r.caps.supports_operation(verbs::PATCH) {
        pair.notes
            .push("no dry run: the server does not allow patching this kind".into());
        return Ok(pair);
    }
    let patch = Req {
        verb: "patch",
        resource,
        object,
    };
    // Creates too: admission and schema refusals of new objects show before the sync.
    let params = PatchParams::apply(&ctx.opts.field_manager)
        .force()
        .dry_run();
    match bounded(
        env,
        &patch,
        env.timeout,
        api.patch(&r.key.name, &params, &Patch::Apply(&r.obj)),
    )
    .await?
    {
        Ok(m) => pair.merged = Some(to_value(m, &r.ar)),
        Err(e) if refuses_dry_run_apply(&e) => pair.notes.push(
            "no dry run: the server refused a server-side apply dry run; compared with the rendered object".into(),
        ),
        Err(kube::Error::Api(s)) if s.code == 404 => {
            // Deleted between the GET and the PATCH, or a namespace that does not
            // exist yet: a create the server could not dry-run.
            pair.live = None;
            pair.notes.push(format!("no dry run: {}", s.message));
        }
        Err(kube::Error::Api(s)) if is_object_refusal(&s) => {
            pair.refusal = Some(if immutable::is_immutable_refusal(s.code, &s.message) {
                let fields = s
                    .details
                    .as_ref()
                    .map(|d| d.causes.iter().map(|c| c.field.clone()).filter(|f| !f.is_empty()).collect())
                    .unwrap_or_default();
                Refusal::ReplaceRequired {
                    fields,
                    message: s.message.clone(),
                }
            } else {
                Refusal::Refused {
                    code: s.code,
                    message: s.message.clone(),
                }
            });
        }
        Err(e) => return Err(classify(env, &patch, e)),
    }
    Ok(pair)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dry_run_refusals_fall_back() {
        let status = |code: u16, message: &str| {
            kube::Error::Api(
                kube::core::Status::failure(message, "x")
                    .with_code(code)
                    .boxed(),
            )
        };
        assert!(refuses_dry_run_apply(&status(415, "")));
        assert!(refuses_dry_run_apply(&status(405, "")));
        assert!(refuses_dry_run_apply(&status(
            400,
            "dryRun is not supported"
        )));
        assert!(!refuses_dry_run_apply(&status(
            400,
            "spec.replicas: Invalid"
        )));
        assert!(!refuses_dry_run_apply(&status(403, "")));
    }
}
