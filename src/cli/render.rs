//! `rkv render`: specs into their trees under the output directory, a check that the
//! trees are current (`--check`, as a diff, GitHub annotations or a SARIF log), or one
//! variant as a YAML stream (`--stdout`).

use std::io::Write as _;
use std::path::{Path, PathBuf};

use super::args::{CheckFormat, FindingsFormat, RenderArgs};
use super::{ExitStatus, Result, compile_quiet, pick, print_findings};
use crate::batch;
use crate::compile::Compiled;
use crate::diag::Diagnostic;
use crate::diag::codes;
use crate::render::{Mode, Report};
use crate::spec::Loaded;
use crate::write::fs::{self as wfs, Drift};

pub(super) fn run(a: RenderArgs) -> Result {
    let report = match (a.check, a.format) {
        (true, CheckFormat::Github) => FindingsFormat::Github,
        (true, CheckFormat::Sarif) => FindingsFormat::Sarif,
        _ => FindingsFormat::Text,
    };
    let cwd = std::env::current_dir().unwrap_or_default();
    let repo_output = batch::repo_output(&a.output, &a.repo_root, &cwd);
    if a.stdout {
        let c = compile_quiet(&a.paths, false, repo_output.as_deref());
        print_findings(&c.diags, report);
        if let Some(status) = c.failed {
            return Ok(status);
        }
        return stdout(&c.compiled, a.env.as_deref());
    }
    let files = match batch::spec_files(&a.paths) {
        Ok(f) => f,
        Err(d) => {
            print_findings(&[*d], report);
            return Ok(ExitStatus::Error);
        }
    };
    // Each spec is compiled, staged or compared, and dropped in turn (crate::render).
    // Text findings are printed as they come; a machine format is one document of every
    // finding, printed with the drift below (or alone when a spec failed).
    let mode = if a.check { Mode::Check } else { Mode::Write };
    let threads = crate::par::threads_for(files.len());
    let mut diags: Vec<Diagnostic> = Vec::new();
    let rendered = crate::render::render(
        &files,
        &a.output,
        repo_output.as_deref(),
        mode,
        threads,
        |r| match r {
            Report::Findings(d) if report == FindingsFormat::Text => print_findings(d, report),
            Report::Findings(d) => diags.extend_from_slice(d),
            Report::Error(e) => super::report(e),
        },
    );
    let rendered = match rendered {
        Ok(r) => r,
        Err(failure) => {
            if report != FindingsFormat::Text {
                print_findings(&diags, report);
            }
            return Ok(failure.into());
        }
    };
    // Each drift with the spec whose tree it is in (none for a tree no spec renders to).
    let mut drift: Vec<(Drift, Option<&str>)> = Vec::new();
    if a.check {
        for (d, tree) in rendered.drift? {
            drift.push((d, Some(rendered.trees[tree].spec.as_str())));
        }
    } else {
        for (t, result) in rendered.trees.iter().zip(rendered.written) {
            if result? {
                let dir = a.output.join(&t.dir);
                eprintln!("wrote {} ({} files)", dir.display(), t.files);
            }
        }
    }
    // A full render owns the output directory: trees of specs that are gone are stale.
    let mut stale_dirs = Vec::new();
    if a.paths.is_empty() || a.prune {
        let keep: Vec<&str> = rendered.trees.iter().map(|t| t.dir.as_str()).collect();
        for p in wfs::stale_trees(&a.output, &keep) {
            if a.check {
                stale_dirs.push(p);
            } else {
                wfs::remove_tree(&p)?;
                eprintln!("removed {} (no spec renders to it)", p.display());
            }
        }
    }
    if !a.check {
        return Ok(ExitStatus::Success);
    }
    let fix = regenerate(&a.paths, &a.output, &a.repo_root, a.prune);
    // Every file of a stale tree differs (an empty stale directory counts once).
    let mut stale_files = Vec::with_capacity(stale_dirs.len());
    for p in &stale_dirs {
        stale_files.push(wfs::files_in(p)?);
    }
    let count = drift.len() + stale_files.iter().map(|f| f.len().max(1)).sum::<usize>();
    if report == FindingsFormat::Text {
        let mut out = std::io::stdout().lock();
        for (d, _) in &drift {
            let _ = out.write_all(d.describe().as_bytes());
        }
        for p in &stale_dirs {
            let _ = out.write_all(Drift::Stale(p.display().to_string()).describe().as_bytes());
        }
    } else {
        for (d, spec) in &drift {
            diags.push(finding(d, *spec, &fix));
        }
        for (p, files) in stale_dirs.iter().zip(stale_files) {
            if files.is_empty() {
                diags.push(finding(&Drift::Stale(p.display().to_string()), None, &fix));
            }
            for f in files {
                diags.push(finding(&Drift::Stale(f), None, &fix));
            }
        }
        print_findings(&diags, report);
    }
    if count == 0 {
        eprintln!("{} is up to date", a.output.display());
        return Ok(ExitStatus::Success);
    }
    eprintln!(
        "{} is out of date ({count} file(s) differ): run `{fix}` and commit the result",
        a.output.display(),
    );
    Ok(ExitStatus::Failure)
}

/// A drift as a finding at the file it is about (RKV017), for CI reports.
fn finding(d: &Drift, spec: Option<&str>, fix: &str) -> Diagnostic {
    let from = spec.map(|s| format!(" from `{s}`")).unwrap_or_default();
    let (file, message, line) = match d {
        Drift::Missing(p) => (p, format!("`{p}` is missing: rkv renders it{from}"), 0),
        Drift::Stale(p) => (p, format!("`{p}` is stale: no spec renders it"), 0),
        Drift::Changed { path, line, .. } => (
            path,
            format!("`{path}` is not what rkv renders{from}: it differs from this line on"),
            *line,
        ),
    };
    let mut diag = Diagnostic::new(codes::RKV017, file, message).help(format!(
        "run `{fix}` and commit the result (`--check` without `--format` prints the diff)"
    ));
    diag.line = line;
    diag
}

/// The command that brings the output directory up to date.
fn regenerate(paths: &[PathBuf], output: &Path, repo_root: &Path, prune: bool) -> String {
    let mut words = vec!["rkv render".to_string()];
    words.extend(paths.iter().map(|p| p.display().to_string()));
    if output != Path::new(crate::bundle::DEFAULT_OUTPUT) {
        words.push(format!("-o {}", output.display()));
    }
    if repo_root != Path::new(".") {
        words.push(format!("--repo-root {}", repo_root.display()));
    }
    // Without paths the render owns the output directory: pruning is implied.
    if prune && !paths.is_empty() {
        words.push("--prune".into());
    }
    words.join(" ")
}

/// One variant of every spec as one multi-document stream.
fn stdout(compiled: &[(Loaded, Compiled)], env: Option<&str>) -> Result {
    let mut docs = Vec::new();
    for (l, c) in compiled {
        let v = pick(&l.source.file, c, env)?;
        // The objects as the cluster gets them (the Helm tree as kustomize builds it).
        docs.extend(
            crate::gitops::stream_objects(v)?
                .into_iter()
                .map(|o| o.value),
        );
    }
    let s = crate::write::to_yaml_stream(&docs).map_err(super::Error::Yaml)?;
    let _ = std::io::stdout().lock().write_all(s.as_bytes());
    Ok(ExitStatus::Success)
}
