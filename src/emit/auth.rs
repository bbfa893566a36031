//! Passwords as files: every pod rkv renders itself reads the Redis password from its
//! Secret mounted as a file, never from an environment variable or an argument.
//!
//! In: the spec's `auth.passwordSecret`. Out: the Secret volume and its mount, and the
//! shell each program's start needs: redis-server gets `requirepass`/`masterauth` as
//! config on stdin (`redis-server ... -`), redis-cli gets `REDISCLI_AUTH` set inside the
//! script or probe (the environment of that redis-cli process, not of the container),
//! and the exporter reads a JSON password file (`--redis.password-file`, a map from its
//! Redis address to the password) that an init container writes into a memory-backed
//! volume. Invariant: the password is in no container's `env` (checkov CKV_K8S_35,
//! "secrets as files", as the Bitnami chart's `usePasswordFiles`) and in no process's
//! argv, which `ps` shows every user of the pod. The file's bytes are used exactly
//! (a trailing newline included), as an environment variable from the same Secret has
//! them, so clients that read the Secret through `env` still authenticate.

use k8s_openapi::api::core::v1::{
    Container, EmptyDirVolumeSource, EnvVar, KeyToPath, ResourceRequirements, SecretVolumeSource,
    Volume, VolumeMount,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;

use super::security;
use crate::spec::SecretKeyRef;

/// Where the password Secret is mounted; the key is always the file `password` there.
pub const AUTH_DIR: &str = "/etc/redis/auth";
pub const PASSWORD_FILE: &str = "/etc/redis/auth/password";
/// The volume holding the exporter's password file (memory-backed: never on a disk).
const EXPORTER_AUTH_DIR: &str = "/run/redis-exporter";
const EXPORTER_PASSWORD_FILE: &str = "/run/redis-exporter/password.json";
pub const VOLUME: &str = "redis-auth";
const EXPORTER_VOLUME: &str = "exporter-auth";
/// Read-only for the owner and the pod's fsGroup, which every container runs in.
const SECRET_MODE: i32 = 0o440;
/// The init container that writes the exporter's password file.
pub const EXPORTER_INIT: &str = "exporter-auth";

/// The password Secret as a volume: its key becomes the file `password`.
pub fn volume(secret: &SecretKeyRef) -> Volume {
    Volume {
        name: VOLUME.into(),
        secret: Some(SecretVolumeSource {
            secret_name: Some(secret.name.clone()),
            default_mode: Some(SECRET_MODE),
            items: Some(vec![KeyToPath {
                key: secret.key.clone(),
                path: "password".into(),
                ..Default::default()
            }]),
            optional: Some(false),
            ..Default::default()
        }),
        ..Default::default()
    }
}

pub fn mount() -> VolumeMount {
    VolumeMount {
        name: VOLUME.into(),
        mount_path: AUTH_DIR.into(),
        read_only: Some(true),
        ..Default::default()
    }
}

const SERVER_EXEC_SH: &str = include_str!("templates/auth-server-exec.sh");
const EXPORTER_AUTH_SH: &str = include_str!("templates/exporter-auth.sh");

/// Shell lines that export `REDISCLI_AUTH` from the password file, for a script whose
/// redis-cli calls must authenticate. The `.` keeps trailing newlines, which `$(...)`
/// would strip.
pub fn cli_auth_lines() -> String {
    format!(
        "# redis-cli reads the password from REDISCLI_AUTH, set here from the mounted Secret:\n\
         # it is in no container's environment and in no process's arguments.\n\
         REDISCLI_AUTH=$(cat {PASSWORD_FILE}; echo .)\n\
         REDISCLI_AUTH=${{REDISCLI_AUTH%.}}\n\
         export REDISCLI_AUTH\n"
    )
}

/// `cmd` (a pipeline starting with redis-cli) authenticated through `REDISCLI_AUTH` read
/// from the password file, for an exec probe's `sh -c`.
pub fn cli(cmd: &str) -> String {
    format!("p=$(cat {PASSWORD_FILE}; echo .); REDISCLI_AUTH=${{p%.}} {cmd}")
}

/// The end of a start script: `exec redis-server "$@"` with the password given as config
/// on stdin (`-`), each byte written `\xHH` so any password survives Redis' config
/// parser (templates/auth-server-exec.sh). An empty password file stops the start rather
/// than running Redis without a password.
pub fn server_exec(masterauth: bool) -> String {
    SERVER_EXEC_SH
        .replace("@PASSWORD_FILE@", PASSWORD_FILE)
        .replace(
            "@MASTERAUTH@",
            if masterauth {
                "masterauth \"$pw\"\n"
            } else {
                ""
            },
        )
}

/// The script of the exporter's init container (templates/exporter-auth.sh):
/// `{"<REDIS_ADDR>": "<password>"}` as redis_exporter's `--redis.password-file` reads it
/// (v1.45 and v1.58 look the address up as given), written to the memory-backed volume.
fn exporter_init_script() -> String {
    EXPORTER_AUTH_SH
        .replace("@PASSWORD_FILE@", PASSWORD_FILE)
        .replace("@EXPORTER_PASSWORD_FILE@", EXPORTER_PASSWORD_FILE)
}

/// The init container that writes the exporter's password file. `image` must have a
/// POSIX shell and od (the Redis image: the exporter image has no shell); `addr_env` is
/// the exporter's own `REDIS_ADDR` (and what it expands from), so the key matches.
pub fn exporter_init(
    image: &str,
    addr_env: Vec<EnvVar>,
    resources: ResourceRequirements,
) -> Container {
    Container {
        name: EXPORTER_INIT.into(),
        image: Some(image.to_string()),
        command: Some(vec!["sh".into(), "-c".into(), exporter_init_script()]),
        env: Some(addr_env),
        resources: Some(resources),
        security_context: Some(security::container()),
        volume_mounts: Some(vec![
            mount(),
            VolumeMount {
                name: EXPORTER_VOLUME.into(),
                mount_path: EXPORTER_AUTH_DIR.into(),
                ..Default::default()
            },
        ]),
        ..Default::default()
    }
}

/// The exporter's end: where its password file is, and the volume's mount.
pub fn exporter_env() -> EnvVar {
    EnvVar {
        name: "REDIS_PASSWORD_FILE".into(),
        value: Some(EXPORTER_PASSWORD_FILE.into()),
        ..Default::default()
    }
}

pub fn exporter_mount() -> VolumeMount {
    VolumeMount {
        name: EXPORTER_VOLUME.into(),
        mount_path: EXPORTER_AUTH_DIR.into(),
        read_only: Some(true),
        ..Default::default()
    }
}

/// The exporter's password file volume: in memory, one small file.
pub fn exporter_volume() -> Volume {
    Volume {
        name: EXPORTER_VOLUME.into(),
        empty_dir: Some(EmptyDirVolumeSource {
            medium: Some("Memory".into()),
            size_limit: Some(Quantity("1Mi".into())),
            ..Default::default()
        }),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_password_value_or_variable_reaches_an_argument() {
        // The scripts name the file, never an environment variable holding the password.
        for s in [
            server_exec(true),
            exporter_init_script(),
            cli("redis-cli ping"),
        ] {
            assert!(s.contains(PASSWORD_FILE), "{s}");
            assert!(!s.contains("REDIS_PASSWORD"), "{s}");
        }
        assert!(server_exec(true).contains("masterauth"));
        assert!(!server_exec(false).contains("masterauth"));
    }

    #[test]
    fn the_secret_key_becomes_the_file_password() {
        let v = volume(&SecretKeyRef {
            name: "s".into(),
            key: "REDIS_PASSWORD".into(),
        });
        let items = v.secret.and_then(|s| s.items).unwrap_or_default();
        assert_eq!(items.len(), 1);
        assert_eq!(items[0].key, "REDIS_PASSWORD");
        assert_eq!(items[0].path, "password");
    }
}
