//! `rkv render`: specs into their trees under the output directory, a check that the
//! trees are current (`--check`), or one variant as a YAML stream (`--stdout`).

use std::io::Write as _;
use std::path::{Path, PathBuf};

use super::args::{Format, RenderArgs};
use super::{ExitStatus, Result, compile_all, pick};
use crate::compile::Compiled;
use crate::spec::Loaded;
use crate::write::fs::{self as wfs, Drift};

pub(super) fn run(a: RenderArgs) -> Result {
    let compiled = match compile_all(&a.paths, false, Format::Text) {
        Ok(c) => c,
        Err(status) => return Ok(status),
    };
    if a.stdout {
        return stdout(&compiled, a.env.as_deref());
    }
    let trees: Vec<(PathBuf, &[crate::emit::layout::OutFile])> = compiled
        .iter()
        .map(|(_, c)| (a.output.join(&c.profile), &c.files[..]))
        .collect();
    let mut drift = Vec::new();
    if a.check {
        for d in crate::par::map(&trees, |(dir, files)| wfs::check_tree(dir, files)) {
            drift.extend(d?);
        }
    } else {
        for ((dir, files), result) in trees.iter().zip(wfs::write_trees(&trees)) {
            if result? {
                eprintln!("wrote {} ({} files)", dir.display(), files.len());
            }
        }
    }
    // A full render owns the output directory: trees of specs that are gone are stale.
    if a.paths.is_empty() {
        let keep: Vec<&str> = compiled.iter().map(|(_, c)| c.profile.as_str()).collect();
        for p in wfs::stale_trees(&a.output, &keep) {
            if a.check {
                drift.push(Drift::Stale(p.display().to_string()));
            } else {
                wfs::remove_tree(&p)?;
                eprintln!("removed {} (no spec renders to it)", p.display());
            }
        }
    }
    if !a.check {
        return Ok(ExitStatus::Success);
    }
    if drift.is_empty() {
        eprintln!("{} is up to date", a.output.display());
        return Ok(ExitStatus::Success);
    }
    let mut out = std::io::stdout().lock();
    for d in &drift {
        let _ = out.write_all(d.describe().as_bytes());
    }
    eprintln!(
        "{} is out of date ({} file(s) differ): run `{}` and commit the result",
        a.output.display(),
        drift.len(),
        regenerate(&a.paths, &a.output)
    );
    Ok(ExitStatus::Failure)
}

/// The command that brings the output directory up to date.
fn regenerate(paths: &[PathBuf], output: &Path) -> String {
    if paths.is_empty() {
        return "rkv render".to_string();
    }
    let paths: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    let output = if output == Path::new("generated") {
        String::new()
    } else {
        format!(" -o {}", output.display())
    };
    format!("rkv render {}{output}", paths.join(" "))
}

/// One variant of every spec as one multi-document stream.
fn stdout(compiled: &[(Loaded, Compiled)], env: Option<&str>) -> Result {
    let mut docs = Vec::new();
    for (l, c) in compiled {
        let v = pick(&l.source.file, c, env)?;
        // Documents that are not Kubernetes objects (Helm values) are files, not stream items.
        docs.extend(
            v.objects
                .iter()
                .filter(|o| !o.api_version().is_empty())
                .map(|o| o.value.clone()),
        );
    }
    let s = crate::write::to_yaml_stream(&docs).map_err(super::Error::Yaml)?;
    let _ = std::io::stdout().lock().write_all(s.as_bytes());
    Ok(ExitStatus::Success)
}
