//! Rendering many specs with memory flat in their number.
//!
//! In: spec files, an output directory, and whether to write or only compare. Out: each
//! spec's findings, handed to the caller in file order as soon as they are known, then
//! per spec its tree put in place or its drift. Invariant: the result is the one of
//! compiling every spec first ([`crate::batch::compile_files`]) and writing after, as
//! `rkv render` always did — nothing is put in place unless every spec compiles, the
//! trees are where [`batch::tree_dirs`] puts them, two specs whose trees clash (RKV016,
//! [`batch::clashes`]) stop the render before anything is staged, findings come in file
//! order for any number of threads — but each spec is loaded, compiled and staged beside
//! its destination (or compared with it) on a worker thread and then dropped. What
//! stays per spec is its file name, its tree and, once staged, the path of the staged
//! tree, so peak memory depends on the number of threads, not of specs.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use crate::batch::{self, Failure};
use crate::compile::{self, CompileError};
use crate::diag::Diagnostic;
use crate::spec;
use crate::write::fs::{self as wfs, Drift, Staged, WriteError};

/// Write the trees, or only compare them with what is on disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Write,
    Check,
}

/// What a render reports while it runs, in file order.
#[derive(Debug)]
pub enum Report<'a> {
    /// Findings of one spec (warnings of one that compiled, errors of one that did not),
    /// or, after every spec, the RKV016 clashes.
    Findings(&'a [Diagnostic]),
    /// An emitter failed: a bug in rkv, not in the spec.
    Error(&'a CompileError),
}

/// One spec's tree after a render in which every spec compiled.
#[derive(Debug)]
pub struct Tree {
    /// The spec file, as its diagnostics name it.
    pub spec: String,
    /// The tree's folder relative to the output directory, `/`-separated
    /// ([`batch::tree_dirs`]).
    pub dir: String,
    /// Files the spec renders.
    pub files: usize,
}

/// The result of a render in which every spec compiled.
#[derive(Debug)]
pub struct Rendered {
    /// Every tree, in file order.
    pub trees: Vec<Tree>,
    /// Write mode: whether each tree changed, in order, ending at the first failure
    /// (trees before it are in place, it and the rest untouched; see
    /// [`wfs::commit_staged`]). Check mode: empty.
    pub written: Vec<Result<bool, WriteError>>,
    /// Check mode: every difference with the index in `trees` of the tree it is in, in
    /// file order, or the first error. Write mode: empty.
    pub drift: Result<Vec<(Drift, usize)>, WriteError>,
}

/// What is kept of one spec once it is compiled and its files are gone.
enum Done {
    /// Not loaded or not compiled: how bad that is.
    Failed(Failure),
    Staged(Tree, Result<Option<Staged>, WriteError>),
    Checked(Tree, Result<Vec<Drift>, WriteError>),
    /// Compiled, but not staged: another spec had failed, or trees clash.
    Compiled(Tree),
}

impl Done {
    fn tree(&self) -> Option<&Tree> {
        match self {
            Done::Failed(_) => None,
            Done::Staged(t, _) | Done::Checked(t, _) | Done::Compiled(t) => Some(t),
        }
    }
}

/// Render `files` into `output`: `Ok` when every spec compiled (the trees are then in
/// place, or compared), else how bad the worst problem was, with nothing written and
/// the disk as it was. `repo_output` is the output directory's path in the GitOps
/// repository ([`batch::repo_output`]; Argo CD Applications name their tree's path in it).
/// `report` is called on the calling thread, in file order.
pub fn render(
    files: &[PathBuf],
    output: &Path,
    repo_output: Option<&str>,
    mode: Mode,
    threads: usize,
    mut report: impl FnMut(Report<'_>),
) -> Result<Rendered, Failure> {
    let labels: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
    let dirs = batch::trees_here(files);
    // Trees that clash would stage into one place, or one inside another: stage nothing
    // then. The render fails either way (RKV016 below, or the failure of a spec).
    let pairs: Vec<(&str, &str)> = labels
        .iter()
        .zip(&dirs)
        .map(|(l, d)| (l.as_str(), d.as_str()))
        .collect();
    let failed = AtomicBool::new(!batch::clashes(&pairs).is_empty());
    // Folders staging may create; a failed render removes them again (when empty), so
    // that it leaves the disk as it found it. Deepest first.
    let parents: BTreeSet<PathBuf> = dirs
        .iter()
        .filter_map(|d| output.join(d).parent().map(Path::to_path_buf))
        .collect();
    let missing: BTreeSet<PathBuf> = parents
        .iter()
        .flat_map(|p| {
            p.ancestors()
                .take_while(|a| !a.as_os_str().is_empty() && !a.exists())
                .map(Path::to_path_buf)
        })
        .collect();
    let mut missing: Vec<PathBuf> = missing.into_iter().collect();
    missing.sort_by_key(|p| std::cmp::Reverse(p.components().count()));
    let specs: Vec<(&PathBuf, &String)> = files.iter().zip(&dirs).collect();
    let mut done: Vec<Done> = Vec::with_capacity(files.len());
    crate::par::for_each_ordered(
        threads,
        &specs,
        |&(f, dir)| {
            let fail = |f| {
                failed.store(true, Ordering::Relaxed);
                Done::Failed(f)
            };
            let loaded = match spec::load_file(f) {
                Ok(l) => l,
                Err(d) => return (fail(Failure::Input), d, None),
            };
            let repo_dir = repo_output.map(|o| batch::in_repo(o, dir));
            let c = match compile::compile_in(&loaded, repo_dir.as_deref()) {
                Ok(c) => c,
                Err(CompileError::Findings(d)) => return (fail(Failure::Findings), d, None),
                Err(e) => return (fail(Failure::Input), Vec::new(), Some(e)),
            };
            let tree = Tree {
                spec: loaded.source.file.clone(),
                dir: dir.clone(),
                files: c.files.len(),
            };
            let path = output.join(&tree.dir);
            let done = match mode {
                // Once a spec has failed nothing will be written: save the disk the work.
                _ if failed.load(Ordering::Relaxed) => Done::Compiled(tree),
                Mode::Write => {
                    let staged = wfs::stage(&path, &c.files);
                    Done::Staged(tree, staged)
                }
                Mode::Check => {
                    let drift = wfs::check_tree(&path, &c.files);
                    Done::Checked(tree, drift)
                }
            };
            (done, c.findings, None)
        },
        |_, (d, findings, error)| {
            if let Some(e) = &error {
                report(Report::Error(e));
            }
            if !findings.is_empty() {
                report(Report::Findings(&findings));
            }
            done.push(d);
        },
    );
    let mut failure = done
        .iter()
        .filter_map(|d| match d {
            Done::Failed(f) => Some(*f),
            _ => None,
        })
        .max();
    // RKV016 among the specs that compiled, as `batch::compile_files` decides it.
    let compiled: Vec<(&str, &str)> = done
        .iter()
        .filter_map(Done::tree)
        .map(|t| (t.spec.as_str(), t.dir.as_str()))
        .collect();
    let clashes = batch::clashes(&compiled);
    if !clashes.is_empty() {
        report(Report::Findings(&clashes));
        failure = failure.max(Some(Failure::Input));
    }
    if let Some(f) = failure {
        for d in &done {
            if let Done::Staged(_, Ok(Some(s))) = d {
                wfs::discard(s);
            }
        }
        wfs::remove_empty_dirs(&missing);
        return Err(f);
    }
    let mut trees = Vec::with_capacity(done.len());
    let mut staged = Vec::new();
    let mut drift = Ok(Vec::new());
    for d in done {
        match d {
            Done::Staged(t, s) => {
                trees.push(t);
                staged.push(s);
            }
            Done::Checked(t, r) => {
                if let Ok(all) = &mut drift {
                    match r {
                        Ok(d) => all.extend(d.into_iter().map(|d| (d, trees.len()))),
                        Err(e) => drift = Err(e),
                    }
                }
                trees.push(t);
            }
            // Unreachable with every spec compiled and no clash; kept as a tree so that
            // the lists stay aligned with the files.
            Done::Compiled(t) => trees.push(t),
            Done::Failed(_) => {}
        }
    }
    Ok(Rendered {
        trees,
        written: if mode == Mode::Write {
            wfs::commit_staged(staged)
        } else {
            Vec::new()
        },
        drift,
    })
}

#[cfg(test)]
#[allow(clippy::disallowed_methods, reason = "tests write their fixtures")]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    /// Every profile and every golden case's spec (failing ones included), sorted.
    fn all_specs() -> Vec<PathBuf> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files: Vec<PathBuf> = std::fs::read_dir(root.join("profiles"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        for e in std::fs::read_dir(root.join("tests/golden")).unwrap() {
            let spec = e.unwrap().path().join("spec.yaml");
            if spec.is_file() {
                files.push(spec);
            }
        }
        files.sort();
        files
    }

    fn profiles() -> Vec<PathBuf> {
        all_specs()
            .into_iter()
            .filter(|p| p.parent().is_some_and(|d| d.ends_with("profiles")))
            .collect()
    }

    fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
        let mut out = BTreeMap::new();
        let mut stack = vec![dir.to_path_buf()];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).into_iter().flatten() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                } else {
                    let rel = p.strip_prefix(dir).unwrap().display().to_string();
                    out.insert(rel, std::fs::read(&p).unwrap());
                }
            }
        }
        out
    }

    /// The findings a render reports, rendered as text (errors as their message).
    fn run(
        files: &[PathBuf],
        out: &Path,
        mode: Mode,
        threads: usize,
    ) -> (Result<Rendered, Failure>, String) {
        let mut text = String::new();
        let r = render(files, out, Some("generated"), mode, threads, |r| match r {
            Report::Findings(d) => text.push_str(&crate::diag::render_text(d)),
            Report::Error(e) => text.push_str(&format!("error: {e}\n")),
        });
        (r, text)
    }

    /// Copies of a profile at `specs` (relative paths) in a temp directory: a monorepo.
    fn monorepo(specs: &[&str]) -> (tempfile::TempDir, Vec<PathBuf>) {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let dir = tempfile::tempdir().unwrap();
        let files: Vec<PathBuf> = specs.iter().map(|s| dir.path().join(s)).collect();
        for f in &files {
            std::fs::create_dir_all(f.parent().unwrap()).unwrap();
            std::fs::copy(root.join("profiles/cordum.yaml"), f).unwrap();
        }
        (dir, files)
    }

    /// The same render as compiling everything first ([`batch::compile_files`]) and
    /// writing after: the same findings, trees and files, for any thread count.
    #[test]
    fn streamed_render_equals_compile_all_then_write() {
        let (_repo, monorepo) = monorepo(&["teams/a/redis.yaml", "teams/b/x/redis.yaml"]);
        for files in [profiles(), monorepo] {
            let tmp = tempfile::tempdir().unwrap();
            // The reference: every spec compiled and held, then written in one go.
            let b = batch::compile_files(&files, false, 1, Some("generated"));
            assert_eq!(b.failure, None);
            let reference = tmp.path().join("reference");
            let trees: Vec<(PathBuf, &[crate::bundle::OutFile])> = b
                .compiled
                .iter()
                .zip(&b.trees)
                .map(|((_, c), t)| (reference.join(t), &c.files[..]))
                .collect();
            assert!(wfs::write_trees(&trees).into_iter().all(|r| r.unwrap()));
            let want_text = crate::diag::render_text(&b.diags);
            for threads in [1, 2, 3, 8] {
                let out = tmp.path().join(format!("t{threads}"));
                let (r, text) = run(&files, &out, Mode::Write, threads);
                let r = r.expect("every spec compiles");
                assert!(r.written.iter().all(|w| matches!(w, Ok(true))));
                let dirs: Vec<&str> = r.trees.iter().map(|t| t.dir.as_str()).collect();
                assert_eq!(dirs, b.trees, "{threads} threads");
                assert_eq!(text, want_text, "{threads} threads");
                assert_eq!(snapshot(&out), snapshot(&reference), "{threads} threads");
                // Up to date: nothing written, no drift.
                let (r, _) = run(&files, &out, Mode::Write, threads);
                assert!(r.unwrap().written.iter().all(|w| matches!(w, Ok(false))));
                let (r, _) = run(&files, &out, Mode::Check, threads);
                assert_eq!(r.unwrap().drift.unwrap(), Vec::new());
            }
        }
    }

    /// Check mode: each drift with the tree (and so the spec) it is in.
    #[test]
    fn drift_names_its_tree() {
        let (_repo, files) = monorepo(&["teams/a/redis.yaml", "teams/b/redis.yaml"]);
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        let (r, _) = run(&files, &out, Mode::Write, 2);
        assert!(r.unwrap().written.iter().all(|w| matches!(w, Ok(true))));
        std::fs::remove_file(out.join("b/redis/RUNBOOK.md")).unwrap();
        let (r, _) = run(&files, &out, Mode::Check, 2);
        let r = r.unwrap();
        let drift = r.drift.unwrap();
        assert_eq!(drift.len(), 1, "{drift:?}");
        let (d, tree) = &drift[0];
        assert!(matches!(d, Drift::Missing(p) if p.ends_with("b/redis/RUNBOOK.md")));
        assert_eq!(r.trees[*tree].dir, "b/redis");
        assert_eq!(r.trees[*tree].spec, files[1].display().to_string());
    }

    /// One failing spec among many: every finding in file order (as the batch reports
    /// them), nothing written, no staging directory left behind, for any thread count.
    #[test]
    fn a_failing_spec_writes_nothing_and_reports_everything_in_order() {
        // Every golden spec is `spec.yaml`: give each a file name of its own.
        let tmp = tempfile::tempdir().unwrap();
        let specs = tmp.path().join("specs");
        std::fs::create_dir_all(&specs).unwrap();
        let mut files = Vec::new();
        for f in all_specs() {
            let name = if f.ends_with("spec.yaml") {
                f.parent().and_then(|d| d.file_name()).unwrap()
            } else {
                f.file_stem().unwrap()
            };
            let to = specs.join(format!("{}.yaml", name.to_string_lossy()));
            std::fs::copy(&f, &to).unwrap();
            files.push(to);
        }
        let b = batch::compile_files(&files, false, 1, Some("generated"));
        assert_eq!(b.failure, Some(Failure::Input), "a spec that does not load");
        // The batch prints emitter errors first; the render in file order. No spec has one.
        assert!(b.errors.is_empty());
        let want_text = crate::diag::render_text(&b.diags);
        assert!(want_text.contains("error["), "some golden specs fail");
        let before = tmp.path().join("out");
        std::fs::create_dir_all(&before).unwrap();
        for threads in [1, 2, 8] {
            let (r, text) = run(&files, &before, Mode::Write, threads);
            assert_eq!(r.err(), Some(Failure::Input));
            assert_eq!(text, want_text, "{threads} threads");
            assert_eq!(
                std::fs::read_dir(&before).unwrap().count(),
                0,
                "nothing written or left staged"
            );
            // An output folder that did not exist is not left behind either.
            let fresh = tmp.path().join("new/out");
            let (r, _) = run(&files, &fresh, Mode::Write, threads);
            assert_eq!(r.err(), Some(Failure::Input));
            assert!(!tmp.path().join("new").exists(), "{threads} threads");
        }
    }

    /// Trees that clash (one folder, or one inside another): RKV016 as the batch reports
    /// it, nothing staged or written, no folder created, although every spec compiles.
    #[test]
    fn clashing_trees_write_nothing() {
        for specs in [
            &["teams/a/redis.yaml", "teams/a/redis.yml"][..],
            &["x/a.yaml", "x/a/redis.yaml"],
            &["p/a/redis.yaml", "p/a.yml", "q/c.yaml"],
        ] {
            let (repo, files) = monorepo(specs);
            let b = batch::compile_files(&files, false, 1, Some("generated"));
            assert_eq!(b.failure, Some(Failure::Input));
            let want = crate::diag::render_text(&b.diags);
            assert!(want.contains("error[RKV016]"), "{want}");
            // Nested under a folder that does not exist: staging would create `out/a/`.
            let out = repo.path().join("new/out");
            for threads in [1, 2] {
                for mode in [Mode::Write, Mode::Check] {
                    let (r, text) = run(&files, &out, mode, threads);
                    assert_eq!(r.err(), Some(Failure::Input));
                    assert_eq!(text, want, "{specs:?}");
                    assert!(
                        !repo.path().join("new").exists(),
                        "nothing staged or written"
                    );
                }
            }
            // An output folder that exists is not touched at all: staging and removing
            // again would change its modification time.
            let out = repo.path().join("out");
            std::fs::create_dir_all(out.join("a")).unwrap();
            let stamp = |d: &Path| std::fs::metadata(d).unwrap().modified().unwrap();
            let before = (stamp(&out), stamp(&out.join("a")));
            // Past the file system's clock tick, so that a change would show.
            std::thread::sleep(std::time::Duration::from_millis(30));
            let (r, _) = run(&files, &out, Mode::Write, 2);
            assert_eq!(r.err(), Some(Failure::Input));
            assert_eq!((stamp(&out), stamp(&out.join("a"))), before, "{specs:?}");
        }
    }

    /// A spec that fails after others were staged: the staged trees and the folders
    /// created for them (a monorepo's `a/`) are removed; folders that were there stay.
    #[test]
    fn a_failed_render_leaves_the_disk_as_it_was() {
        let (repo, mut files) = monorepo(&["t/a/redis.yaml", "t/b/redis.yaml", "t/c/x.yaml"]);
        std::fs::write(&files[2], "not: [a spec").unwrap();
        files.sort();
        let out = repo.path().join("out");
        std::fs::create_dir_all(out.join("b/keep")).unwrap();
        std::fs::create_dir_all(out.join("empty")).unwrap();
        let before = snapshot(&out);
        for threads in [1, 2] {
            let (r, _) = run(&files, &out, Mode::Write, threads);
            assert_eq!(r.err(), Some(Failure::Input));
            assert_eq!(snapshot(&out), before);
            let mut left: Vec<String> = std::fs::read_dir(&out)
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            left.sort();
            assert_eq!(left, ["b", "empty"], "{threads} threads");
            assert!(out.join("b/keep").is_dir());
            assert_eq!(std::fs::read_dir(out.join("b")).unwrap().count(), 1);
        }
    }
}
