//! Rendering many specs with memory flat in their number.
//!
//! In: spec files, an output directory, and whether to write or only compare. Out: each
//! spec's findings, handed to the caller in file order as soon as they are known, then
//! per spec its tree put in place or its drift. Invariant: the result is the one of
//! compiling every spec first and writing after, as `rkv render` always did — nothing
//! is put in place unless every spec compiles, two specs that would render to the same
//! folder (RKV016) stop the render before anything is staged, findings come in file
//! order for any number of threads — but each spec is loaded, compiled and staged beside
//! its destination (or compared with it) on a worker thread and then dropped. What
//! stays per spec is its folder name and the path of its staged tree, so peak memory
//! depends on the number of threads, not of specs.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use crate::compile::{self, CompileError};
use crate::diag::{Diagnostic, Severity};
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
    /// Findings of one spec (warnings of one that compiled, errors of one that did not).
    Findings(&'a [Diagnostic]),
    /// An emitter failed: a bug in rkv, not in the spec.
    Error(&'a CompileError),
}

/// One spec's tree after a render in which every spec compiled.
#[derive(Debug)]
pub struct Tree {
    /// `<output>/<profile>`.
    pub dir: PathBuf,
    /// Files the spec renders.
    pub files: usize,
}

/// The result of a render in which every spec compiled.
#[derive(Debug)]
pub struct Rendered {
    /// The folder name of every spec, in file order.
    pub profiles: Vec<String>,
    /// Every tree, in file order.
    pub trees: Vec<Tree>,
    /// Write mode: whether each tree changed, in order, ending at the first failure
    /// (trees before it are in place, it and the rest untouched; see
    /// [`wfs::commit_staged`]). Check mode: empty.
    pub written: Vec<Result<bool, WriteError>>,
    /// Check mode: every difference, in file order, or the first error. Write mode: empty.
    pub drift: Result<Vec<Drift>, WriteError>,
}

/// What is kept of one spec once it is compiled and its files are gone.
enum Done {
    /// Not loaded or not compiled: the exit code it calls for (1 findings, 2 the rest).
    Failed(i32),
    Staged(Tree, Result<Option<Staged>, WriteError>),
    Checked(Tree, Result<Vec<Drift>, WriteError>),
    /// Compiled, but not staged: another spec had failed, or folders collide.
    Compiled(Tree),
}

/// Render `files` into `output`: `Ok` when every spec compiled (the trees are then in
/// place, or compared), else the exit code, with nothing written. `report` is called on
/// the calling thread, in file order.
pub fn render(
    files: &[PathBuf],
    output: &Path,
    mode: Mode,
    threads: usize,
    mut report: impl FnMut(Report<'_>),
) -> Result<Rendered, i32> {
    let labels: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
    let profiles: Vec<String> = labels.iter().map(|l| compile::names(l).1).collect();
    // Two specs with one folder would stage into one place: stage nothing then. The
    // render fails (RKV016 below, or the failure of one of them) either way.
    let collide = {
        let mut sorted: Vec<&String> = profiles.iter().collect();
        sorted.sort();
        sorted.windows(2).any(|w| w[0] == w[1])
    };
    let failed = AtomicBool::new(collide);
    // Folders staging creates; a failed render removes them again (when empty), so
    // that it leaves the disk as it found it.
    let missing: Vec<PathBuf> = output
        .ancestors()
        .take_while(|p| !p.as_os_str().is_empty() && !p.exists())
        .map(Path::to_path_buf)
        .collect();
    let mut done: Vec<Done> = Vec::with_capacity(files.len());
    crate::par::for_each_ordered(
        threads,
        files,
        |f| {
            let loaded = match spec::load_file(f) {
                Ok(l) => l,
                Err(d) => {
                    failed.store(true, Ordering::Relaxed);
                    return (Done::Failed(2), d, None);
                }
            };
            let c = match compile::compile(&loaded) {
                Ok(c) => c,
                Err(CompileError::Findings(d)) => {
                    failed.store(true, Ordering::Relaxed);
                    return (Done::Failed(1), d, None);
                }
                Err(e) => {
                    failed.store(true, Ordering::Relaxed);
                    return (Done::Failed(2), Vec::new(), Some(e));
                }
            };
            let tree = Tree {
                dir: output.join(&c.profile),
                files: c.files.len(),
            };
            let done = match mode {
                // Once a spec has failed nothing will be written: save the disk the work.
                _ if failed.load(Ordering::Relaxed) => Done::Compiled(tree),
                Mode::Write => {
                    let staged = wfs::stage(&tree.dir, &c.files);
                    Done::Staged(tree, staged)
                }
                Mode::Check => {
                    let drift = wfs::check_tree(&tree.dir, &c.files);
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
    let mut code = 0;
    let mut seen = std::collections::BTreeMap::new();
    let mut collisions = Vec::new();
    for (i, d) in done.iter().enumerate() {
        match d {
            Done::Failed(c) => code = code.max(*c),
            _ => {
                if let Some(first) = seen.insert(&profiles[i], &labels[i]) {
                    collisions.push(
                        Diagnostic::new(
                            "RKV016",
                            Severity::Error,
                            &labels[i],
                            format!(
                                "`{}` and `{first}` both render to `{}/`",
                                labels[i], profiles[i]
                            ),
                        )
                        .help("rename one of the files: the file stem names the output folder"),
                    );
                    code = 2;
                }
            }
        }
    }
    if !collisions.is_empty() {
        report(Report::Findings(&collisions));
    }
    if code != 0 {
        for d in &done {
            if let Done::Staged(_, Ok(Some(s))) = d {
                wfs::discard(s);
            }
        }
        for dir in &missing {
            let _ = std::fs::remove_dir(dir);
        }
        return Err(code);
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
                trees.push(t);
                if let Ok(all) = &mut drift {
                    match r {
                        Ok(d) => all.extend(d),
                        Err(e) => drift = Err(e),
                    }
                }
            }
            // Unreachable with every spec compiled and no collision; kept as a tree so
            // that the lists stay aligned with the files.
            Done::Compiled(t) => trees.push(t),
            Done::Failed(_) => {}
        }
    }
    Ok(Rendered {
        profiles,
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
    ) -> (Result<Rendered, i32>, String) {
        let mut text = String::new();
        let r = render(files, out, mode, threads, |r| match r {
            Report::Findings(d) => text.push_str(&crate::diag::render_text(d)),
            Report::Error(e) => text.push_str(&format!("error: {e}\n")),
        });
        (r, text)
    }

    /// The same render as compiling everything first and writing after.
    #[test]
    fn streamed_render_equals_compile_all_then_write() {
        let files = profiles();
        let tmp = tempfile::tempdir().unwrap();
        // The reference: every spec compiled and held, then written in one go.
        let compiled: Vec<compile::Compiled> = files
            .iter()
            .map(|f| compile::compile(&spec::load_file(f).unwrap()).unwrap())
            .collect();
        let want_text: String = compiled
            .iter()
            .map(|c| crate::diag::render_text(&c.findings))
            .collect();
        let reference = tmp.path().join("reference");
        let trees: Vec<(PathBuf, &[crate::emit::layout::OutFile])> = compiled
            .iter()
            .map(|c| (reference.join(&c.profile), &c.files[..]))
            .collect();
        assert!(wfs::write_trees(&trees).into_iter().all(|r| r.unwrap()));
        for threads in [1, 2, 3, 8] {
            let out = tmp.path().join(format!("t{threads}"));
            let (r, text) = run(&files, &out, Mode::Write, threads);
            let r = r.expect("every profile compiles");
            assert!(r.written.iter().all(|w| matches!(w, Ok(true))));
            assert_eq!(r.trees.len(), files.len());
            assert_eq!(text, want_text, "{threads} threads");
            assert_eq!(snapshot(&out), snapshot(&reference), "{threads} threads");
            // Up to date: nothing written, no drift.
            let (r, _) = run(&files, &out, Mode::Write, threads);
            assert!(r.unwrap().written.iter().all(|w| matches!(w, Ok(false))));
            let (r, _) = run(&files, &out, Mode::Check, threads);
            assert_eq!(r.unwrap().drift.unwrap(), Vec::new());
        }
    }

    /// One failing spec among many: every finding in file order, nothing written, no
    /// staging directory left behind, for any thread count.
    #[test]
    fn a_failing_spec_writes_nothing_and_reports_everything_in_order() {
        // Every golden spec is `spec.yaml`: give each a folder name of its own.
        let tmp = tempfile::tempdir().unwrap();
        let specs = tmp.path().join("specs");
        std::fs::create_dir_all(&specs).unwrap();
        let mut files = profiles();
        for f in all_specs() {
            if let Some(case) = f.parent().and_then(|d| d.file_name())
                && f.ends_with("spec.yaml")
            {
                let to = specs.join(format!("{}.yaml", case.to_string_lossy()));
                std::fs::copy(&f, &to).unwrap();
                files.push(to);
            }
        }
        let want_text: String = files
            .iter()
            .map(|f| match spec::load_file(f) {
                Err(d) => crate::diag::render_text(&d),
                Ok(l) => match compile::compile(&l) {
                    Ok(c) => crate::diag::render_text(&c.findings),
                    Err(CompileError::Findings(d)) => crate::diag::render_text(&d),
                    Err(e) => format!("error: {e}\n"),
                },
            })
            .collect();
        assert!(want_text.contains("error["), "some golden specs fail");
        let before = tmp.path().join("out");
        std::fs::create_dir_all(&before).unwrap();
        for threads in [1, 2, 8] {
            let (r, text) = run(&files, &before, Mode::Write, threads);
            assert_eq!(r.err(), Some(2), "a spec that does not load exits 2");
            assert_eq!(text, want_text, "{threads} threads");
            assert_eq!(
                std::fs::read_dir(&before).unwrap().count(),
                0,
                "nothing written or left staged"
            );
            // An output folder that did not exist is not left behind either.
            let fresh = tmp.path().join("new/out");
            let (r, _) = run(&files, &fresh, Mode::Write, threads);
            assert_eq!(r.err(), Some(2));
            assert!(!tmp.path().join("new").exists(), "{threads} threads");
        }
    }

    /// Two specs with one file stem: RKV016, nothing written, even though both compile.
    #[test]
    fn two_specs_for_one_folder_write_nothing() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let tmp = tempfile::tempdir().unwrap();
        let copy = tmp.path().join("copy");
        std::fs::create_dir_all(&copy).unwrap();
        let a = root.join("profiles/cordum.yaml");
        let b = copy.join("cordum.yaml");
        std::fs::copy(&a, &b).unwrap();
        let out = tmp.path().join("out");
        for threads in [1, 2] {
            let (r, text) = run(&[a.clone(), b.clone()], &out, Mode::Write, threads);
            assert_eq!(r.err(), Some(2));
            assert!(text.contains("error[RKV016]"), "{text}");
            assert!(!out.exists(), "nothing staged or written");
        }
    }
}
