//! `RKV_EXTERNAL_DIFF`: the report's objects through a differ of the user's choice,
//! as `KUBECTL_EXTERNAL_DIFF` does for `kubectl diff`.
//!
//! In: a [`DiffReport`] and the variable's value (a program, then arguments made only of
//! letters, digits, `-` and `=`, as kubectl allows). Out: the differ's standard output
//! and exit status. The objects that are not unchanged and not suppressed are written
//! as normalized YAML (Secret values masked unless `--show-secrets`), one file per
//! object named `<group>.<version>.<kind>.<namespace>.<name>` like kubectl's, into a
//! `LIVE` and a `MERGED` directory of a fresh, private temporary directory (a
//! [`ScratchDir`]: written through `crate::write::fs` like every file rkv writes), which
//! is removed afterwards whatever happens; the differ runs as `<program> <args> LIVE MERGED`.

use std::process::{Command, Stdio};

use super::DiffError;
use super::report::{Action, DiffReport};
use crate::write::fs::ScratchDir;

/// What the external differ printed and how it exited (0 no differences, 1 differences).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct External {
    /// Its standard output (its standard error goes to the terminal).
    pub stdout: String,
    /// Its exit status.
    pub status: i32,
}

/// The program and arguments of `command`, checked as kubectl checks them.
fn parse(command: &str) -> Result<(String, Vec<String>), DiffError> {
    let refuse = |reason: String| DiffError::ExternalDiffCommand {
        command: command.to_string(),
        reason,
    };
    let mut words = command.split_whitespace();
    let program = words
        .next()
        .ok_or_else(|| refuse("it is empty".into()))?
        .to_string();
    let args: Vec<String> = words.map(str::to_string).collect();
    if let Some(bad) = args.iter().find(|a| {
        !a.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '=')
    }) {
        return Err(refuse(format!(
            "argument `{bad}` may hold only letters, digits, `-` and `=`"
        )));
    }
    Ok((program, args))
}

/// `<group>.<version>.<kind>.<namespace>.<name>`, `v1.<kind>...` for the core group.
fn file_name(api_version: &str, kind: &str, namespace: &str, name: &str) -> String {
    format!(
        "{}.{kind}.{namespace}.{name}",
        api_version.replace('/', ".")
    )
    .replace(std::path::MAIN_SEPARATOR, "_")
}

/// Runs `command` over the report's objects.
pub fn external_diff(report: &DiffReport, command: &str) -> Result<External, DiffError> {
    let (program, args) = parse(command)?;
    let files = |source| DiffError::ExternalDiffFiles {
        command: command.to_string(),
        source,
    };
    let tmp = ScratchDir::new("rkv-diff").map_err(files)?;
    let live = tmp.create_dir("LIVE").map_err(files)?;
    let merged = tmp.create_dir("MERGED").map_err(files)?;
    for o in report
        .objects
        .iter()
        .filter(|o| !o.suppressed && o.action != Action::Unchanged)
    {
        let name = file_name(&o.api_version, &o.kind, &o.namespace, &o.name);
        // An object absent on one side has no file there, as with kubectl.
        for (dir, text) in [("LIVE", &o.before), ("MERGED", &o.after)] {
            if !text.is_empty() {
                tmp.write(&format!("{dir}/{name}"), text).map_err(files)?;
            }
        }
    }
    let output = Command::new(&program)
        .args(&args)
        .arg(&live)
        .arg(&merged)
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|source| DiffError::ExternalDiffIo {
            command: command.to_string(),
            source,
        })?;
    let status = output.status.code().unwrap_or(-1);
    if !(0..=1).contains(&status) {
        return Err(DiffError::ExternalDiffFailed {
            command: command.to_string(),
            status,
        });
    }
    Ok(External {
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        status,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_follow_kubectls_rule() {
        assert_eq!(
            parse("diff -u -N").unwrap(),
            ("diff".to_string(), vec!["-u".to_string(), "-N".to_string()])
        );
        assert!(parse("colordiff --color=always").is_ok());
        let err = parse("sh -c rm;true").unwrap_err();
        assert!(err.to_string().contains("argument `rm;true`"), "{err}");
        assert!(parse("   ").is_err());
    }

    #[test]
    fn files_are_named_like_kubectls() {
        assert_eq!(
            file_name("apps/v1", "StatefulSet", "cordum", "kv"),
            "apps.v1.StatefulSet.cordum.kv"
        );
        assert_eq!(file_name("v1", "Namespace", "", "x"), "v1.Namespace..x");
    }
}
