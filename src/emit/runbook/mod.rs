//! The operator's runbook: `generated/<profile>/RUNBOOK.md`.
//!
//! In: for each variant of one spec, its plan, its objects and the [`Inventory`] its
//! emitters filled, and the findings the spec accepts. Out: one Markdown [`OutFile`]
//! with the accepted risks and their reasons, then, per variant, the topology, the
//! exact names (`names`), how to connect and find the primary, what the PDBs allow and
//! why, the disaster-recovery procedures that apply to the shape (`sections`; a
//! cluster's restore as commands and the TLS certificate names in `restore`), the
//! alerts, and a Mermaid diagram (`diagram`); then the migration from a single-node
//! base to a cluster environment (`migration`).
//!
//! Invariant: every name is one an emitter wrote (or one an operator or chart derives
//! from it, by the rules in [`crate::target`]), never re-typed, so the runbook cannot
//! drift from the manifests. Names an operator check can resolve are in backticks in
//! the `### Names` tables; `tests/runbook.rs` proves each exists.

mod access;
mod diagram;
mod migration;
mod names;
mod prereqs;
mod restore;
mod sections;

use std::fmt::Write as _;

use crate::bundle::{Object, OutFile};
use crate::emit::inventory::{Inventory, Password, SentinelAccess, ServiceEntry};
use crate::plan::model::Plan;
use crate::spec::Variant;

/// The runbook's path, relative to `generated/<profile>/`.
pub const PATH: &str = "RUNBOOK.md";

/// A finding the spec accepts with a reason, as the runbook lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcceptedRisk {
    /// `RKV124`.
    pub code: String,
    /// The field the finding is about, dotted (`spec.placement.zones`).
    pub field: String,
    /// Its line in the spec file.
    pub line: usize,
    pub message: String,
    pub reason: String,
    /// The acceptance: `spec.accept[0]`, `spec.exposure.acceptInsecure`.
    pub by: String,
}

/// What the runbook reads about one variant.
#[derive(Debug, Clone, Copy)]
pub struct Section<'a> {
    pub plan: &'a Plan,
    pub objects: &'a [Object],
    pub inventory: &'a Inventory,
}

fn variant_title(v: &Variant) -> String {
    match v {
        Variant::Base => "Base".into(),
        Variant::Environment(e) => format!("Environment `{e}`"),
        Variant::Site(s) => format!("Site `{s}`"),
    }
}

fn code(x: &str) -> String {
    format!("`{x}`")
}

/// `kubectl -n <ns> exec -it <target> [-c <c>] -- <cmd>`.
fn exec(ns: &str, target: &str, container: Option<&str>, cmd: &str) -> String {
    let c = container.map(|c| format!(" -c {c}")).unwrap_or_default();
    format!("kubectl -n {ns} exec -it {target}{c} -- {cmd}")
}

/// redis-cli with `args` inside a Redis pod, with its TLS flags and the password from
/// the pod's environment.
fn cli(plan: &Plan, inv: &Inventory, args: &str) -> String {
    let (target, container, tls, password) = match &inv.redis {
        Some(r) => (
            r.exec.target.as_str(),
            r.exec.container.as_deref(),
            r.tls_flags.as_deref(),
            r.password,
        ),
        None => ("", None, None, Password::EnvAndCli),
    };
    let tls = tls.map(|f| format!("{f} ")).unwrap_or_default();
    let port = plan.spec.redis.port;
    let base = format!(
        "redis-cli {tls}-p {port}{}",
        if args.is_empty() {
            String::new()
        } else {
            format!(" {args}")
        }
    );
    // The password stays in the pod: redis-cli reads it from REDISCLI_AUTH.
    let cmd = match (plan.spec.auth.is_some(), password) {
        (false, _) | (true, Password::EnvAndCli) => base,
        (true, Password::Env) => format!("sh -c 'REDISCLI_AUTH=\"$REDIS_PASSWORD\" {base}'"),
        (true, Password::File(path)) => {
            format!("sh -c 'REDISCLI_AUTH=\"$(cat {path})\" {base}'")
        }
        // `echo .` keeps a trailing newline of the Secret, which Redis got too.
        (true, Password::ExactFile(path)) => {
            format!("sh -c 'p=$(cat {path}; echo .); REDISCLI_AUTH=\"${{p%.}}\" {base}'")
        }
    };
    exec(&plan.namespace, target, container, &cmd)
}

/// redis-cli with `args` against a Sentinel, inside its container, with its TLS flags and
/// the password where Sentinel asks for one.
fn sentinel_cli(plan: &Plan, s: &SentinelAccess, args: &str) -> String {
    let tls = s
        .tls_flags
        .as_deref()
        .map(|f| format!("{f} "))
        .unwrap_or_default();
    let base = format!("redis-cli {tls}-p {} {args}", s.port);
    let cmd = match s.password {
        None | Some(Password::EnvAndCli) => base,
        Some(Password::Env) => format!("sh -c 'REDISCLI_AUTH=\"$REDIS_PASSWORD\" {base}'"),
        Some(Password::File(path)) => {
            format!("sh -c 'REDISCLI_AUTH=\"$(cat {path})\" {base}'")
        }
        // Every byte of the file, a trailing newline included (`$(...)` would drop it).
        Some(Password::ExactFile(path)) => {
            format!("sh -c 'p=$(cat {path}; echo .); REDISCLI_AUTH=\"${{p%.}}\" {base}'")
        }
    };
    exec(
        &plan.namespace,
        &s.exec.target,
        s.exec.container.as_deref(),
        &cmd,
    )
}

/// The Services rkv renders, in the order the objects are written.
fn services(inv: &Inventory) -> Vec<&ServiceEntry> {
    let mut v: Vec<&ServiceEntry> = inv.services.iter().collect();
    v.sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
    v
}

/// The findings the spec accepts, so that whoever is on call knows the risk was taken on
/// purpose, and why.
fn accepted_risks(out: &mut String, source_name: &str, accepted: &[AcceptedRisk]) {
    if accepted.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "## Accepted risks\n\nThese findings are accepted in {source_name} with a reason; `rkv validate` prints them as accepted.\n"
    );
    for a in accepted {
        let _ = writeln!(
            out,
            "- **{}** at `{}` (line {}): {}\n  Accepted by `{}`: {}",
            a.code, a.field, a.line, a.message, a.by, a.reason
        );
    }
    let _ = writeln!(out);
}

/// The runbook of one compiled spec; none when no variant emits anything (nothing to run).
pub fn runbook(
    profile: &str,
    source_name: &str,
    variants: &[Section<'_>],
    accepted: &[AcceptedRisk],
) -> Option<OutFile> {
    if variants.iter().all(|v| v.objects.is_empty()) {
        return None;
    }
    let mut out = String::new();
    let _ = writeln!(
        out,
        "<!-- Generated by rkv from {source_name}. Do not edit: change the spec and run `rkv render`. -->\n\n# Runbook: {profile}\n"
    );
    let _ = writeln!(
        out,
        "Every name below is read from the generated manifests. Names in the `Names` tables exist in this tree, or are made from it by the operator or chart named in the note.\n"
    );
    let _ = writeln!(out, "Variants:\n");
    for v in variants {
        let _ = writeln!(
            out,
            "- {}: {} ({} data pods)",
            variant_title(&v.plan.variant),
            v.plan.spec.shape.name(),
            v.plan.data_pods
        );
    }
    let _ = writeln!(out);
    accepted_risks(&mut out, source_name, accepted);
    // One section per variant, in the compiled order (base, environments, sites).
    for v in variants {
        sections::section(&mut out, v);
    }
    migration::sections(&mut out, variants);
    Some(OutFile {
        path: PATH.into(),
        content: out,
    })
}
