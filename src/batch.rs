//! Many specs at once: the spec files a command names, loaded and compiled in parallel,
//! and where each one's tree goes under the output directory.
//!
//! In: the paths a user gave (spec files, or directories of specs; `profiles/` when
//! none). Out: a [`Batch`]: the specs that compiled with their trees, every diagnostic,
//! and how bad the worst problem was. Invariants: the result and the order of the
//! diagnostics are the order of the files, whatever the number of threads; no two specs
//! share a tree and no tree lies inside another (RKV016), since a render replaces each
//! tree whole.
//!
//! The layout ([`tree_dirs`]): a spec's tree is its file stem, below the spec's folder
//! relative to the folder all the specs share. Specs from one folder (`profiles/`) render
//! to `<stem>/`, as they always have; specs from `teams/a/` and `teams/b/` to `a/<stem>/`
//! and `b/<stem>/`, so two `redis.yaml` of a monorepo do not collide.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use crate::compile::{CompileError, Compiled, compile_in};
use crate::diag::codes;
use crate::diag::{Diagnostic, Severity};
use crate::spec::{self, Loaded};

/// The directory a command reads when it is given no path.
pub const DEFAULT_DIR: &str = "profiles";

/// Spec files named by `paths`: files as given, and the `*.yaml`/`*.yml` files directly
/// in each directory, sorted. No path means [`DEFAULT_DIR`].
pub fn spec_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, Box<Diagnostic>> {
    let default = [PathBuf::from(DEFAULT_DIR)];
    let paths = if paths.is_empty() {
        &default[..]
    } else {
        paths
    };
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let found = yaml_files_in(p)?;
            if found.is_empty() {
                return Err(Box::new(
                    Diagnostic::new(
                        codes::RKV008,
                        &p.display().to_string(),
                        "no spec files (*.yaml, *.yml) in this directory",
                    )
                    .help("give a spec file, or a directory that holds specs such as `profiles/`"),
                ));
            }
            out.extend(found);
        } else {
            out.push(p.clone());
        }
    }
    Ok(out)
}

/// The `*.yaml`/`*.yml` files directly in `dir`, sorted.
fn yaml_files_in(dir: &Path) -> Result<Vec<PathBuf>, Box<Diagnostic>> {
    let entries = std::fs::read_dir(dir).map_err(|e| {
        Box::new(Diagnostic::new(
            codes::RKV001,
            &dir.display().to_string(),
            format!("cannot read the directory: {e}"),
        ))
    })?;
    let mut found: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|f| {
            f.is_file() && matches!(f.extension().and_then(|x| x.to_str()), Some("yaml" | "yml"))
        })
        .collect();
    found.sort();
    Ok(found)
}

/// The folder each spec file's tree goes to, relative to the output directory and
/// `/`-separated, in the order of `files`: the file stem, below the file's folder relative
/// to the deepest folder all of `files` share. Relative paths start at `cwd`; `.` and `..`
/// are resolved without reading the file system (as a shell's `cd -L` does).
pub fn tree_dirs(files: &[PathBuf], cwd: &Path) -> Vec<String> {
    let folders: Vec<Vec<String>> = files
        .iter()
        .map(|f| {
            let mut c = normalize(&cwd.join(f));
            c.pop(); // the file name
            c
        })
        .collect();
    let common = folders.first().map_or(0, |first| {
        (0..first.len())
            .take_while(|&i| folders.iter().all(|f| f.get(i) == first.get(i)))
            .count()
    });
    files
        .iter()
        .zip(&folders)
        .map(|(f, folder)| {
            let stem = crate::compile::names(&f.display().to_string()).1;
            let mut parts: Vec<&str> = folder[common..].iter().map(String::as_str).collect();
            parts.push(&stem);
            parts.join("/")
        })
        .collect()
}

/// [`tree_dirs`] of `files` from the working directory: the folders a command that reads
/// `files` renders to.
pub fn trees_here(files: &[PathBuf]) -> Vec<String> {
    tree_dirs(files, &std::env::current_dir().unwrap_or_default())
}

/// `dir/tree`, or `tree` when `dir` is the repository's root itself: the repository
/// path of a tree under an output directory at `dir` ([`repo_output`]).
pub fn in_repo(dir: &str, tree: &str) -> String {
    if dir.is_empty() {
        tree.to_string()
    } else {
        format!("{dir}/{tree}")
    }
}

/// The output directory's path from the GitOps repository's root (both relative to
/// `cwd`, `.` and `..` resolved as [`tree_dirs`] does), `/`-separated and empty for the
/// root itself; `None` when the output directory is not inside the repository.
pub fn repo_output(output: &Path, repo_root: &Path, cwd: &Path) -> Option<String> {
    let out = normalize(&cwd.join(output));
    let root = normalize(&cwd.join(repo_root));
    let rest = out.strip_prefix(root.as_slice())?;
    Some(rest.join("/"))
}

/// The components of `p` with `.` dropped and `..` taking back the one before it (kept
/// only where nothing is left to take back: a path above an unreadable working directory).
fn normalize(p: &Path) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => match out.last().map(String::as_str) {
                Some("/") => {}
                None | Some("..") => out.push("..".into()),
                Some(_) => {
                    out.pop();
                }
            },
            Component::RootDir => out.push("/".into()),
            Component::Prefix(x) => out.push(x.as_os_str().to_string_lossy().into_owned()),
            Component::Normal(n) => out.push(n.to_string_lossy().into_owned()),
        }
    }
    out
}

/// How bad the worst problem of a batch was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Failure {
    /// A spec has error findings (or warnings, when they are denied).
    Findings,
    /// A spec did not load, two specs render to one folder, or an emitter failed.
    Input,
}

/// Specs loaded and compiled together.
#[derive(Debug)]
pub struct Batch {
    /// The specs that compiled, in the order of the files.
    pub compiled: Vec<(Loaded, Compiled)>,
    /// The tree of each spec in `compiled` (same order), relative to the output directory.
    pub trees: Vec<String>,
    /// Every diagnostic, in the order of the files.
    pub diags: Vec<Diagnostic>,
    /// Emitters that failed on a spec that passed its checks (a defect in rkv).
    pub errors: Vec<CompileError>,
    /// The worst problem, if any: then `compiled` must not be used as the output.
    pub failure: Option<Failure>,
}

impl Batch {
    fn fail(&mut self, f: Failure) {
        self.failure = self.failure.max(Some(f));
    }
}

/// Load and compile `files` on `threads` threads, for trees under an output directory
/// at `repo_output` in the GitOps repository (its path from the repository's root, as
/// [`repo_output`] finds it; `None` when it is not inside the repository). With
/// `deny_warnings`, a warning is a [`Failure::Findings`] too.
pub fn compile_files(
    files: &[PathBuf],
    deny_warnings: bool,
    threads: usize,
    repo_output: Option<&str>,
) -> Batch {
    let trees = trees_here(files);
    let jobs: Vec<(&PathBuf, &String)> = files.iter().zip(&trees).collect();
    // Specs are independent: load and compile them in parallel, then report in the
    // order of the files, so output and diagnostics do not depend on the thread count.
    let results = crate::par::map_with(threads, &jobs, |(f, tree)| {
        spec::load_file(f).map(|loaded| {
            let repo_dir = repo_output.map(|o| in_repo(o, tree));
            let compiled = compile_in(&loaded, repo_dir.as_deref());
            (loaded, compiled)
        })
    });
    let mut batch = Batch {
        compiled: Vec::new(),
        trees: Vec::new(),
        diags: Vec::new(),
        errors: Vec::new(),
        failure: None,
    };
    for (r, tree) in results.into_iter().zip(trees) {
        match r {
            Err(d) => {
                batch.diags.extend(d);
                batch.fail(Failure::Input);
            }
            Ok((loaded, Ok(c))) => {
                batch.diags.extend(c.findings.iter().cloned());
                batch.compiled.push((loaded, c));
                batch.trees.push(tree);
            }
            Ok((_, Err(CompileError::Findings(d)))) => {
                batch.diags.extend(d);
                batch.fail(Failure::Findings);
            }
            Ok((_, Err(e))) => {
                batch.errors.push(e);
                batch.fail(Failure::Input);
            }
        }
    }
    let specs: Vec<(&str, &str)> = batch
        .compiled
        .iter()
        .zip(&batch.trees)
        .map(|((l, _), tree)| (l.source.file.as_str(), tree.as_str()))
        .collect();
    let clashes = clashes(&specs);
    if !clashes.is_empty() {
        batch.diags.extend(clashes);
        batch.fail(Failure::Input);
    }
    if deny_warnings && batch.diags.iter().any(|d| d.severity == Severity::Warning) {
        batch.fail(Failure::Findings);
    }
    batch
}

/// RKV016 for every spec whose tree another spec's tree already is, or lies inside or
/// around: writing one would replace the other. `specs` are (file, tree) pairs in the
/// order of the files: the file as its diagnostics name it, the tree from [`tree_dirs`].
pub fn clashes(specs: &[(&str, &str)]) -> Vec<Diagnostic> {
    let mut first: BTreeMap<&str, &str> = BTreeMap::new();
    let mut out = Vec::new();
    for &(file, tree) in specs {
        if let Some(other) = first.get(tree) {
            out.push(
                Diagnostic::new(
                    codes::RKV016,
                    file,
                    format!("`{file}` and `{other}` both render to `{tree}/`"),
                )
                .help("rename one of the files: the file stem names the output folder"),
            );
        } else {
            first.insert(tree, file);
        }
    }
    // A tree's enclosing trees are its own prefixes that end before a `/`.
    for (tree, file) in &first {
        let outers = tree.match_indices('/').map(|(i, _)| &tree[..i]);
        for (outer, other) in outers.filter_map(|o| first.get_key_value(o)) {
            out.push(
                Diagnostic::new(
                    codes::RKV016,
                    file,
                    format!(
                        "`{file}` renders to `{tree}/`, inside `{outer}/`, the output folder of `{other}`"
                    ),
                )
                .help(
                    "rename or move one of the specs: each output folder is replaced whole, so one cannot hold another",
                ),
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every profile and every golden case's spec (failing ones included), sorted.
    fn all_specs() -> Vec<PathBuf> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = spec_files(&[root.join("profiles")]).expect("profiles/");
        for e in std::fs::read_dir(root.join("tests/golden")).expect("tests/golden") {
            let spec = e.expect("a golden case").path().join("spec.yaml");
            if spec.is_file() {
                files.push(spec);
            }
        }
        files.sort();
        files
    }

    /// Each profile with its files (path, content), or the failure.
    type Outcome = Result<Vec<(String, Vec<(String, String)>)>, Failure>;

    fn outcome(b: &Batch) -> Outcome {
        if let Some(f) = b.failure {
            return Err(f);
        }
        Ok(b.compiled
            .iter()
            .map(|(_, c)| {
                let files = c
                    .files
                    .iter()
                    .map(|f| (f.path.clone(), f.content.clone()))
                    .collect();
                (c.profile.clone(), files)
            })
            .collect())
    }

    #[test]
    fn parallel_compile_gives_the_same_files_and_diagnostics_as_sequential() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let profiles = spec_files(&[root.join("profiles")]).expect("profiles/");
        let everything = all_specs();
        assert!(everything.len() > profiles.len());
        for files in [&profiles, &everything] {
            let seq = compile_files(files, false, 1, Some("generated"));
            for threads in [2, 3, 8] {
                let par = compile_files(files, false, threads, Some("generated"));
                assert_eq!(outcome(&par), outcome(&seq), "{threads} threads");
                assert_eq!(par.diags, seq.diags, "{threads} threads");
                assert_eq!(
                    crate::diag::render_text(&par.diags),
                    crate::diag::render_text(&seq.diags)
                );
            }
        }
        // The failing golden cases are in: the diagnostics are not trivially empty.
        assert!(
            !compile_files(&everything, false, 2, Some("generated"))
                .diags
                .is_empty()
        );
    }

    #[test]
    fn the_worst_problem_decides_the_failure() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let good = root.join("profiles/cordum.yaml");
        let findings = root.join("tests/golden/check-tls-plaintext-port-open-fails/spec.yaml");
        let warnings = root.join("tests/golden/check-rkv101-no-password-fails/spec.yaml");
        let unloadable = root.join("tests/golden/load-not-yaml/spec.yaml");
        assert_eq!(
            compile_files(std::slice::from_ref(&good), false, 1, Some("generated")).failure,
            None
        );
        assert_eq!(
            compile_files(std::slice::from_ref(&warnings), false, 1, Some("generated")).failure,
            None
        );
        assert_eq!(
            compile_files(&[warnings], true, 1, Some("generated")).failure,
            Some(Failure::Findings),
            "warnings denied"
        );
        assert_eq!(
            compile_files(
                &[good.clone(), findings.clone()],
                false,
                1,
                Some("generated")
            )
            .failure,
            Some(Failure::Findings)
        );
        assert_eq!(
            compile_files(
                &[findings, unloadable, good.clone()],
                false,
                1,
                Some("generated")
            )
            .failure,
            Some(Failure::Input)
        );
        // The same file twice renders twice into one folder.
        let twice = compile_files(&[good.clone(), good], false, 1, Some("generated"));
        assert_eq!(twice.failure, Some(Failure::Input));
        assert_eq!(twice.diags.last().map(|d| d.code), Some(codes::RKV016));
    }

    fn trees(files: &[&str], cwd: &str) -> Vec<String> {
        let files: Vec<PathBuf> = files.iter().map(PathBuf::from).collect();
        tree_dirs(&files, Path::new(cwd))
    }

    #[test]
    fn one_folder_keeps_the_stem_and_several_mirror_their_folders() {
        assert_eq!(
            trees(&["profiles/a.yaml", "profiles/b.yml"], "/w"),
            ["a", "b"]
        );
        assert_eq!(trees(&["teams/a/redis.yaml"], "/w"), ["redis"]);
        assert_eq!(
            trees(&["teams/a/redis.yaml", "teams/b/redis.yaml"], "/w"),
            ["a/redis", "b/redis"]
        );
        assert_eq!(
            trees(
                &[
                    "teams/a/redis.yaml",
                    "teams/b/x/redis.yaml",
                    "platform/kv.yaml"
                ],
                "/w"
            ),
            ["teams/a/redis", "teams/b/x/redis", "platform/kv"]
        );
        // One folder however it is spelled.
        assert_eq!(
            trees(
                &["./profiles/a.yaml", "/w/profiles/../profiles/b.yaml"],
                "/w"
            ),
            ["a", "b"]
        );
        // Above the working directory: never a `..` in a tree.
        assert_eq!(trees(&["../x/a.yaml", "b.yaml"], "/w/r"), ["x/a", "r/b"]);
        assert!(trees(&[], "/w").is_empty());
    }

    #[test]
    fn the_output_directory_is_found_in_the_repository() {
        let at =
            |out: &str, root: &str| repo_output(Path::new(out), Path::new(root), Path::new("/w/r"));
        assert_eq!(at("generated", ".").as_deref(), Some("generated"));
        assert_eq!(at("./deploy/out/", ".").as_deref(), Some("deploy/out"));
        assert_eq!(at("/w/r/generated", "/w/r").as_deref(), Some("generated"));
        assert_eq!(at("../generated", "..").as_deref(), Some("generated"));
        assert_eq!(at(".", ".").as_deref(), Some(""));
        // Outside the repository: no path an Application could sync.
        assert_eq!(at("/tmp/out", "."), None);
        assert_eq!(at("../generated", "."), None);
    }

    /// Write `specs` (relative paths) into a temp directory, each a copy of a profile.
    #[allow(clippy::disallowed_methods)] // test fixtures, not rkv's output
    fn monorepo(specs: &[&str]) -> (tempfile::TempDir, Vec<PathBuf>) {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(root.join("profiles/cordum.yaml")).expect("profile");
        let dir = tempfile::tempdir().expect("temp dir");
        let files: Vec<PathBuf> = specs.iter().map(|s| dir.path().join(s)).collect();
        for f in &files {
            std::fs::create_dir_all(f.parent().expect("a folder")).expect("mkdir");
            std::fs::write(f, &text).expect("write");
        }
        (dir, files)
    }

    #[test]
    fn specs_of_one_name_in_two_folders_render_apart() {
        let (_dir, files) = monorepo(&["teams/a/redis.yaml", "teams/b/redis.yaml"]);
        let b = compile_files(&files, false, 1, Some("generated"));
        assert_eq!(b.failure, None, "{:?}", b.diags);
        assert_eq!(b.trees, ["a/redis", "b/redis"]);
    }

    #[test]
    fn real_collisions_are_refused() {
        // One folder, one stem.
        let (_dir, files) = monorepo(&["teams/a/redis.yaml", "teams/a/redis.yml"]);
        let b = compile_files(&files, false, 1, Some("generated"));
        assert_eq!(b.failure, Some(Failure::Input));
        let last = b.diags.last().expect("a diagnostic");
        assert_eq!(last.code, codes::RKV016);
        assert!(
            last.message.ends_with("both render to `redis/`"),
            "{}",
            last.message
        );
        // One tree inside another: `a.yaml` owns `a/`, which `a/redis.yaml` renders into.
        let (_dir, files) = monorepo(&["x/a.yaml", "x/a/redis.yaml"]);
        let b = compile_files(&files, false, 1, Some("generated"));
        assert_eq!(b.failure, Some(Failure::Input));
        let last = b.diags.last().expect("a diagnostic");
        assert_eq!(last.code, codes::RKV016);
        assert!(
            last.message.contains("renders to `a/redis/`, inside `a/`"),
            "{}",
            last.message
        );
        assert!(last.file.ends_with("x/a/redis.yaml"));
    }
}
