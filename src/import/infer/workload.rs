//! A Deployment or StatefulSet running redis-server: standalone or Redis Cluster.
//!
//! In: the source objects and the index of the workload. Out: its [`Draft`]: shape and
//! numbers (shards from the cluster-init Job's `--cluster-replicas`), image, resources,
//! persistence from the volume behind the data directory, the Redis configuration
//! (redis.conf from a mounted ConfigMap, then the command line), password, port and TLS
//! Secrets, the exporter sidecar, placement, and the objects around the pods.

use k8s_openapi::api::apps::v1::{Deployment, StatefulSet};
use k8s_openapi::api::core::v1::{Container, PersistentVolumeClaimSpec, Volume};

use super::related::related;
use super::shared::{
    apply_conf, empty_topology, metadata, namespace_of, new_draft, persistence_of, set_exporter,
};
use super::{Draft, Role, infer_use, inferred_size};
use crate::import::error::ImportError;
use crate::import::pod::{self, Pod, typed};
use crate::import::redisconf::{self, Conf};
use crate::import::settings;
use crate::import::source::SourceObject;
use crate::spec::{Auth, Cluster, Persistence, Shape, Standalone, Tls};

/// A Deployment or StatefulSet running redis-server: standalone or Redis Cluster.
pub(super) fn workload(
    objects: &[SourceObject],
    idx: usize,
    namespace: Option<&str>,
) -> Result<Draft, ImportError> {
    let o = &objects[idx];
    let ns = namespace_of(o, namespace)?;
    let (replicas, claims) = match o.kind() {
        "StatefulSet" => {
            let s: StatefulSet = typed(o, "", "StatefulSet")?;
            (
                s.spec.replicas.unwrap_or(1),
                s.spec.volume_claim_templates.unwrap_or_default(),
            )
        }
        _ => {
            let dep: Deployment = typed(o, "", "Deployment")?;
            (dep.spec.replicas.unwrap_or(1), Vec::new())
        }
    };
    let pod = Pod::at(o, "/spec/template")?;
    let Some((ci, c)) = pod.spec.containers.iter().enumerate().find(|(_, c)| {
        !pod::is_exporter(c)
            && pod::pod_redis_invocation(&pod, c, objects).is_some_and(|i| !i.sentinel)
    }) else {
        return Err(o.invalid(
            "/spec/template/spec/containers",
            "no container runs redis-server",
        ));
    };
    let inv = pod::pod_redis_invocation(&pod, c, objects).unwrap_or_default();
    let image = c.image.clone().ok_or_else(|| {
        o.invalid(
            &format!("{}/image", pod.container_pointer(ci)),
            "the Redis container has no image",
        )
    })?;
    // The configuration file first, then the command line on top, as redis-server reads them.
    let mut conf = Conf::default();
    let mut conf_origin = "the command line".to_string();
    let mut config_map = None;
    if let Some(file) = &inv.conf_file {
        match pod::conf_file(&pod, c, file, objects) {
            Some((cm, key, file_conf)) => {
                conf_origin = format!("{} {key}", cm.id());
                config_map = objects.iter().position(|x| std::ptr::eq(x, cm));
                conf = file_conf;
            }
            None => {
                return Err(o.invalid(
                    &format!("{}/args", pod.container_pointer(ci)),
                    format!("redis-server reads `{file}`, and no ConfigMap among the sources is mounted there: add it to the sources"),
                ));
            }
        }
    }
    conf.extend(&inv.options);
    let cluster = conf.effective("cluster-enabled").as_deref() == Some("yes");
    let mut meta = metadata(o, ns.clone(), &[]);
    // rkv puts the spec's extra labels on the workload and its pods alike: keep both sets.
    for (k, v) in &pod.labels {
        if !k.starts_with("app.kubernetes.io/") {
            meta.labels.entry(k.clone()).or_insert_with(|| v.clone());
        }
    }
    let tls_port = conf
        .get("tls-port")
        .and_then(|p| p.parse::<u16>().ok())
        .filter(|p| *p > 0);
    let shape = if cluster {
        if o.kind() != "StatefulSet" {
            return Err(o.invalid("", "a Redis Cluster in a Deployment: rkv runs it as a StatefulSet; import the StatefulSet form"));
        }
        Shape::Cluster(Cluster {
            shards: 0,
            replicas_per_shard: 0,
            node_timeout_ms: 15000,
        })
    } else {
        if replicas > 1 {
            return Err(o.invalid(
                "/spec/replicas",
                format!("{replicas} Redis pods without cluster mode or Sentinel: rkv has no shape for primary + replicas without failover"),
            ));
        }
        Shape::Standalone(Standalone {})
    };
    let mut d = new_draft(empty_topology(meta, shape, image), String::new());
    d.roles.insert(idx, Role::Data);
    if let Some(cm) = config_map {
        d.roles.insert(cm, Role::Config);
    }
    d.spec().resources = {
        let (r, dropped) = pod::resources(c);
        for k in dropped {
            d.notes.unmapped(
                "/spec/resources",
                format!("the Redis container's `{k}`: the spec holds cpu and memory only"),
            );
        }
        r
    };
    // Persistence: the volume behind the data directory.
    let dir = conf
        .get("dir")
        .map(str::to_string)
        .unwrap_or_else(|| "/data".into());
    let dir = if dir == "." || dir == "./" {
        "/data".to_string()
    } else {
        dir
    };
    let data_mount = c
        .volume_mounts
        .as_ref()
        .and_then(|ms| {
            ms.iter()
                .find(|m| m.mount_path.trim_end_matches('/') == dir.trim_end_matches('/'))
        })
        .map(|m| m.name.clone());
    if let Some(mount) = &data_mount {
        if let Some((ti, t)) = claims
            .iter()
            .enumerate()
            .find(|(_, t)| t.metadata.name.as_deref() == Some(mount.as_str()))
        {
            let p = format!("/spec/volumeClaimTemplates/{ti}/spec");
            d.spec().persistence =
                Some(persistence_of(o, &p, &t.spec.clone().unwrap_or_default())?);
        } else if let Some(pvc) = pod
            .volume(mount)
            .and_then(|v| v.persistent_volume_claim.as_ref())
        {
            match objects
                .iter()
                .enumerate()
                .find(|(_, x)| x.kind() == "PersistentVolumeClaim" && x.name() == pvc.claim_name)
            {
                Some((pi, x)) => {
                    let spec: PersistentVolumeClaimSpec =
                        typed(x, "/spec", "PersistentVolumeClaim spec")?;
                    d.spec().persistence = Some(persistence_of(x, "/spec", &spec)?);
                    d.roles.insert(pi, Role::DataPvc);
                }
                None => {
                    let size = inferred_size(&d.topology.spec);
                    d.notes.inferred("/spec/persistence/size", format!("the PVC `{}` is not among the sources: its size is a guess (memory limit x 4, else 10Gi)", pvc.claim_name));
                    d.spec().persistence = Some(Persistence {
                        enabled: true,
                        size,
                        storage_class: None,
                        aof: None,
                        rdb_save: None,
                    });
                }
            }
        }
    }
    password(&mut d, &pod, c, &conf, inv.password_file.as_ref());
    apply_conf(&mut d, conf.clone(), &conf_origin);
    // Port and TLS.
    let plain_port = conf
        .effective("port")
        .and_then(|p| p.parse::<u16>().ok())
        .unwrap_or(6379);
    d.spec().redis.port = tls_port.unwrap_or(plain_port);
    if let Some(tp) = tls_port {
        let server_secret = conf
            .get("tls-cert-file")
            .and_then(|f| pod.volume_at(c, f))
            .and_then(|(v, _)| v.secret.as_ref()?.secret_name.clone());
        let Some(server_secret) = server_secret else {
            return Err(o.invalid(
                &pod.container_pointer(ci),
                "TLS is on, and no Secret volume is mounted where `tls-cert-file` points: rkv takes the certificate from a Secret",
            ));
        };
        let client_secret = client_tls_secret(objects, &pod, c, &server_secret, &conf);
        d.spec().tls = Some(Tls {
            mutual: conf.effective("tls-auth-clients").as_deref() != Some("no"),
            plaintext_port: plain_port != 0,
            server_secret,
            client_secret,
            cert_manager: None,
        });
        if plain_port != 0 && plain_port != tp {
            d.notes.changed(
                "/spec/tls/plaintextPort",
                format!("the source keeps the plaintext port {plain_port} open beside TLS on {tp}"),
            );
        }
    }
    // Shape numbers.
    let found = match &mut d.topology.spec.shape {
        Shape::Cluster(cl) => {
            let (r, from) = cluster_replicas(objects, replicas);
            let pods = u32::try_from(replicas).unwrap_or(0);
            if pods == 0 || pods % (1 + r) != 0 {
                return Err(o.invalid(
                    "/spec/replicas",
                    format!("{replicas} pods cannot be shards x (1 + {r}) replicas"),
                ));
            }
            cl.shards = pods / (1 + r);
            cl.replicas_per_shard = r;
            if let Some(t) = conf
                .get("cluster-node-timeout")
                .and_then(|t| t.parse().ok())
            {
                cl.node_timeout_ms = t;
            }
            if from.is_none() {
                d.notes.inferred("/spec/shape/cluster/replicasPerShard", format!("no `--cluster-replicas` among the sources: {pods} pods read as {} shards x (1 + {r})", pods / (1 + r)));
            }
            format!(
                "{}: Redis Cluster, {} pods ({} shards x (1 + {r}))",
                o.id(),
                pods,
                pods / (1 + r)
            )
        }
        _ => format!("{}: standalone Redis", o.id()),
    };
    d.found = found;
    settings::read_knobs(&pod.spec, &mut d.topology.spec, &mut d.notes);
    exporter(&mut d, &pod, "/spec/monitoring");
    related(objects, &mut d, &pod.labels, &ns)?;
    infer_use(&mut d);
    Ok(d)
}

/// The password: `requirepass` read from an environment variable fed by a Secret, or
/// from a file of a Secret volume given on stdin (rkv's start script).
fn password(
    d: &mut Draft,
    pod: &Pod,
    c: &Container,
    conf: &Conf,
    file: Option<&redisconf::PasswordFile>,
) {
    if let Some(f) = file {
        match pod.file_secret(c, &f.path) {
            Some(secret) => {
                d.topology.spec.auth = Some(Auth {
                    password_secret: secret,
                    created_by: crate::spec::SecretMaker::External,
                });
            }
            None => d.notes.unmapped(
                "/spec",
                format!("`requirepass` is read from `{}`, which no Secret volume of the container holds: set `auth.passwordSecret`", f.path),
            ),
        }
        return;
    }
    let Some(value) = conf.get("requirepass") else {
        return;
    };
    match redisconf::env_reference(value) {
        Some(var) => match pod.env_secret(c, var) {
            Some(secret) => {
                d.topology.spec.auth = Some(Auth {
                    password_secret: secret,
                    created_by: crate::spec::SecretMaker::External,
                });
            }
            None if pod.env_literal(c, var) => d.notes.unmapped(
                "/spec",
                format!("the password is a literal value of `{var}` in the manifest: the spec takes it from a Secret only; put it in one and set `auth.passwordSecret`"),
            ),
            None => d.notes.unmapped(
                "/spec",
                format!("`requirepass` reads `{var}`, which no Secret of the container feeds: set `auth.passwordSecret`"),
            ),
        },
        None => d.notes.unmapped(
            "/spec",
            "`requirepass` is written in clear text: the spec takes the password from a Secret only; put it in one and set `auth.passwordSecret`",
        ),
    }
    if let Some(m) = conf.get("masterauth")
        && m != value
    {
        d.notes.unmapped(
            "/spec",
            "`masterauth` differs from `requirepass`: rkv uses the one password for both",
        );
    }
}

/// The client certificate Secret: another TLS Secret the topology's pods or Jobs mount
/// (the exporter's, the cluster-init Job's), or the one `tls-client-cert-file` names.
fn client_tls_secret(
    objects: &[SourceObject],
    pod: &Pod,
    c: &Container,
    server: &str,
    conf: &Conf,
) -> Option<String> {
    if let Some(name) = conf
        .get("tls-client-cert-file")
        .and_then(|f| pod.volume_at(c, f))
        .and_then(|(v, _)| v.secret.as_ref()?.secret_name.clone())
        .filter(|n| n != server)
    {
        return Some(name);
    }
    let mut found: Vec<String> = Vec::new();
    let mut add = |vols: Option<&Vec<Volume>>| {
        for v in vols.into_iter().flatten() {
            if let Some(s) = v.secret.as_ref().and_then(|s| s.secret_name.clone())
                && s != server
                && s.contains("tls")
                && !found.contains(&s)
            {
                found.push(s);
            }
        }
    };
    add(pod.spec.volumes.as_ref());
    for o in objects {
        let template = match o.kind() {
            "Job" => "/spec/template",
            "CronJob" => "/spec/jobTemplate/spec/template",
            _ => continue,
        };
        if let Ok(p) = Pod::at(o, template) {
            add(p.spec.volumes.as_ref());
        }
    }
    (found.len() == 1).then(|| found.remove(0))
}

/// `--cluster-replicas N` from a Job or CronJob among the sources (the cluster-init
/// Job), else 1 when the pods split into at least three shards of two, else 0.
fn cluster_replicas(objects: &[SourceObject], pods: i32) -> (u32, Option<usize>) {
    for (i, o) in objects.iter().enumerate() {
        if !matches!(o.kind(), "Job" | "CronJob" | "ConfigMap") {
            continue;
        }
        let text = o.value.to_string();
        if let Some(pos) = text.find("--cluster-replicas") {
            let rest = &text[pos + "--cluster-replicas".len()..];
            let digits: String = rest
                .trim_start_matches([' ', '=', '"', ','])
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            if let Ok(n) = digits.parse() {
                return (n, Some(i));
            }
        }
    }
    if pods >= 6 && pods % 2 == 0 {
        (1, None)
    } else {
        (0, None)
    }
}

/// The exporter sidecar, when the data pods have one.
fn exporter(d: &mut Draft, pod: &Pod, at: &str) {
    let Some(e) = pod.spec.containers.iter().find(|c| pod::is_exporter(c)) else {
        return;
    };
    let port = e
        .ports
        .as_ref()
        .and_then(|p| p.first())
        .and_then(|p| u16::try_from(p.container_port).ok())
        .unwrap_or(9121);
    let (resources, _) = pod::resources(e);
    let image = e.image.clone().unwrap_or_default();
    set_exporter(d, image, port, resources, at);
}
