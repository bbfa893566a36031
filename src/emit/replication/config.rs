//! The Redis settings of the replication shape, as the ConfigMap the operator includes.
//!
//! In: the plan. Out: a ConfigMap `<name>-redis-config` with one key,
//! `redis-additional.conf` (the key the operator's image reads from
//! `/etc/redis/external.conf.d/`). Invariant: every value comes from the spec or the
//! plan (`maxmemory` with its arithmetic as comments); no secret is ever written here.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::ConfigMap;
use minijinja::{Environment, context};

use super::{SENTINEL, SERVER, config_name};
use crate::emit::common::meta;
use crate::emit::{EmitError, Object};
use crate::plan::model::Plan;
use crate::plan::settings;
use crate::target::opstree::{
    ADDITIONAL_CONFIG_KEY, REDIS_PORT, SENTINEL_CONFIG_KEY, SENTINEL_PORT, TLS_DIR,
};

const TEMPLATE: &str = include_str!("../templates/replication-redis.conf.j2");

/// The order the settings are written in (seed 004's): memory, snapshots, AOF, then
/// replication and clients; a setting not listed follows them.
const ORDER: &[&str] = &[
    "maxmemory",
    "maxmemory-policy",
    "save",
    "appendonly",
    "appendfsync",
    "auto-aof-rewrite-percentage",
    "auto-aof-rewrite-min-size",
    "repl-diskless-sync",
    "maxclients",
];

/// The lines after the header: each setting, `maxmemory` with its arithmetic.
fn lines(plan: &Plan) -> Vec<String> {
    let mut settings = settings::settings(plan);
    settings.sort_by_key(|s| {
        ORDER
            .iter()
            .position(|k| *k == s.key)
            .unwrap_or(ORDER.len())
    });
    let mut out = Vec::new();
    for s in settings {
        match s.key {
            "maxmemory" => {
                out.extend(plan.maxmemory_reasoning.iter().map(|l| format!("# {l}")));
                out.push(format!("maxmemory {}", s.value()));
            }
            "save" => {
                out.push(
                    "# `save \"\"` first drops the entrypoint's rules; the lines after it are the only ones."
                        .into(),
                );
                out.push("save \"\"".into());
                out.extend(s.args.iter().map(|rule| format!("save {rule}")));
            }
            _ => out.push(format!("{} {}", s.key, s.value())),
        }
    }
    if let Some(t) = &plan.spec.tls {
        out.extend(tls_lines(t));
    }
    out
}

/// TLS on the Redis port, the plaintext port closed, replication over TLS. The operator's
/// image writes TLS lines of its own (`tls-port 6379`, `tls-auth-clients optional`, and
/// a CA path from a variable the operator does not set, so empty); this file is included
/// last, so its lines are the ones that hold.
fn tls_lines(t: &crate::spec::Tls) -> Vec<String> {
    let d = TLS_DIR;
    vec![
        format!(
            "# TLS from Secret `{}`, mounted by the operator at {d}.",
            t.server_secret
        ),
        "port 0".into(),
        format!("tls-port {REDIS_PORT}"),
        format!("tls-cert-file {d}/tls.crt"),
        format!("tls-key-file {d}/tls.key"),
        format!("tls-ca-cert-file {d}/ca.crt"),
        format!("tls-auth-clients {}", if t.mutual { "yes" } else { "no" }),
        "tls-replication yes".into(),
    ]
}

/// The ConfigMap the RedisSentinel's `additionalSentinelConfig` names, with TLS.
pub fn sentinel_config_name(plan: &Plan) -> String {
    format!("{}-sentinel-config", plan.name)
}

/// `redis-sentinel-additional.conf`: Sentinel serves TLS on its port and reaches Redis over
/// TLS (`tls-replication` is what Sentinel reads for its own connections to Redis).
pub fn sentinel_config_map(plan: &Plan, t: &crate::spec::Tls) -> Result<Object, EmitError> {
    let d = TLS_DIR;
    let lines = [
        format!(
            "# Sentinel of {}: rendered by rkv from {}.",
            plan.name, plan.source_name
        ),
        format!(
            "# TLS from Secret `{}`, mounted by the operator at {d}; included last.",
            t.server_secret
        ),
        "port 0".into(),
        format!("tls-port {SENTINEL_PORT}"),
        format!("tls-cert-file {d}/tls.crt"),
        format!("tls-key-file {d}/tls.key"),
        format!("tls-ca-cert-file {d}/ca.crt"),
        format!("tls-auth-clients {}", if t.mutual { "yes" } else { "no" }),
        "tls-replication yes".into(),
    ];
    let cm = ConfigMap {
        metadata: meta(plan, &sentinel_config_name(plan), SENTINEL),
        data: Some(BTreeMap::from([(
            SENTINEL_CONFIG_KEY.to_string(),
            lines.join("\n") + "\n",
        )])),
        ..Default::default()
    };
    Ok(Object::new("ConfigMap", &cm)?)
}

/// The text of `redis-additional.conf`.
pub fn redis_conf(plan: &Plan) -> Result<String, EmitError> {
    thread_local! {
        // Compiled once per thread, not once per variant (a fleet renders it thousands of times).
        static ENV: std::cell::RefCell<Environment<'static>> = {
            let mut env = Environment::new();
            env.set_keep_trailing_newline(true);
            std::cell::RefCell::new(env)
        };
    }
    let err = |source| EmitError::Template {
        what: "replication-redis.conf.j2".into(),
        source,
    };
    ENV.with_borrow_mut(|env| {
        if env.get_template("conf").is_err() {
            env.add_template("conf", TEMPLATE)?;
        }
        env.get_template("conf")?.render(context! {
            name => plan.name,
            source => plan.source_name,
            lines => lines(plan),
        })
    })
    .map_err(err)
}

pub fn config_map(plan: &Plan) -> Result<Object, EmitError> {
    let cm = ConfigMap {
        metadata: meta(plan, &config_name(plan), SERVER),
        data: Some(BTreeMap::from([(
            ADDITIONAL_CONFIG_KEY.to_string(),
            redis_conf(plan)?,
        )])),
        ..Default::default()
    };
    Ok(Object::new("ConfigMap", &cm)?.with_comment(vec![
            "Redis reads this at start only, and the operator does not restart pods when it changes:".into(),
            "after a change, delete the replica pods one at a time, then fail over and delete the old primary.".into(),
        ]))
}
