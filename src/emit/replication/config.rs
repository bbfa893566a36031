//! The Redis settings of the replication shape, as the ConfigMap the operator includes.
//!
//! In: the plan. Out: a ConfigMap `<name>-redis-config` with one key,
//! `redis-additional.conf` (the key the operator's image reads from
//! `/etc/redis/external.conf.d/`). Invariant: every value comes from the spec or the
//! plan (`maxmemory` with its arithmetic as comments); no secret is ever written here.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::ConfigMap;
use minijinja::{Environment, context};

use super::{SERVER, config_name};
use crate::emit::common::meta;
use crate::emit::{EmitError, Object};
use crate::plan::model::Plan;

const TEMPLATE: &str = include_str!("../templates/replication-redis.conf.j2");
/// The file name the operator's image includes.
pub const KEY: &str = "redis-additional.conf";

/// The text of `redis-additional.conf`.
pub fn redis_conf(plan: &Plan) -> Result<String, EmitError> {
    let s = &plan.spec;
    let persistence = s.persistence.as_ref().filter(|p| p.enabled);
    let aof = persistence.and_then(|p| p.aof.as_ref());
    // With persistence off there is no volume: no snapshots either (`save ""` alone).
    let save: Option<Vec<String>> = match persistence {
        Some(p) => p
            .rdb_save
            .as_ref()
            .map(|rules| rules.iter().map(|r| r.0.clone()).collect()),
        None => Some(Vec::new()),
    };
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
        Ok(())
    })
    .map_err(err)?;
    ENV.with_borrow(|env| {
        env.get_template("conf")?.render(context! {
            name => plan.name,
            source => plan.source_name,
            maxmemory => plan.maxmemory,
            maxmemory_reasoning => plan.maxmemory_reasoning,
            policy => s.memory.as_ref().map(|m| m.policy.as_str()),
            save => save,
            appendonly => if aof.is_some() { "yes" } else { "no" },
            appendfsync => aof.and_then(|a| a.fsync).map(|f| format!("{f:?}").to_lowercase()),
            rewrite_percentage => aof.map(|a| a.rewrite_percentage),
            rewrite_min_size => aof.map(|a| a.rewrite_min_size.clone()),
            repl_diskless_sync => s.redis.repl_diskless_sync.map(|d| if d { "yes" } else { "no" }),
            maxclients => s.redis.maxclients,
        })
    })
    .map_err(err)
}

pub fn config_map(plan: &Plan) -> Result<Object, EmitError> {
    let cm = ConfigMap {
        metadata: meta(plan, &config_name(plan), SERVER),
        data: Some(BTreeMap::from([(KEY.to_string(), redis_conf(plan)?)])),
        ..Default::default()
    };
    Object::new("ConfigMap", &cm).map(|o| {
        o.with_comment(vec![
            "Redis reads this at start only, and the operator does not restart pods when it changes:".into(),
            "after a change, delete the replica pods one at a time, then fail over and delete the old primary.".into(),
        ])
    })
}
