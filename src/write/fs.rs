//! Every file rkv writes goes through here.
//!
//! In: the files of one profile's tree (or one file, such as the schema). Out:
//! `generated/<profile>/` replaced whole, or a list of drifts in check mode; the trees of
//! specs that are gone. Invariant: a render killed at any moment leaves either the
//! previous tree or the new one, never a mix: the new tree is written beside the old and
//! the two directories are exchanged in one `renameat2(RENAME_EXCHANGE)` call (a single
//! file is renamed over the old one).

// The one writer: elsewhere these calls are refused (clippy.toml, disallowed-methods).
#![allow(clippy::disallowed_methods)]

use std::collections::BTreeMap;
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use similar::{DiffTag, TextDiff};

use crate::bundle::OutFile;

#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// A file or directory could not be created, read, renamed or removed.
    #[error("cannot {action} `{}`", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A generated path would leave the output directory.
    #[error("refusing to write outside the output directory: `{0}`")]
    Escape(String),
    /// A directory to prune holds a file that rkv did not write.
    #[error(
        "refusing to remove `{}`: `{}` was not written by rkv (remove it by hand, or render into another directory)",
        dir.display(),
        file.display()
    )]
    Foreign { dir: PathBuf, file: PathBuf },
}

fn io(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> WriteError {
    let path = path.to_path_buf();
    move |source| WriteError::Io {
        action,
        path,
        source,
    }
}

/// How a file on disk differs from what rkv renders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Drift {
    /// Rendered but not on disk.
    Missing(String),
    /// On disk but no longer rendered (a file, or a whole tree no spec renders to).
    Stale(String),
    /// Different content.
    Changed {
        path: String,
        /// The unified diff from disk to rendered.
        diff: String,
        /// The first line (1-based) of the file on disk that differs.
        line: usize,
    },
}

impl Drift {
    pub fn describe(&self) -> String {
        match self {
            Drift::Missing(p) => format!("missing: {p}\n"),
            Drift::Stale(p) => format!("stale (no longer rendered): {p}\n"),
            Drift::Changed { diff, .. } => diff.clone(),
        }
    }
}

/// Every regular file under `dir` (none when it does not exist), by its `/`-separated
/// relative path, with what `with` makes of it.
fn walk_tree<T>(
    dir: &Path,
    with: impl Fn(&Path) -> Result<T, WriteError>,
) -> Result<BTreeMap<String, T>, WriteError> {
    let mut out = BTreeMap::new();
    if !dir.exists() {
        return Ok(out);
    }
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d).map_err(io("read", &d))? {
            let entry = entry.map_err(io("read", &d))?;
            let p = entry.path();
            let ft = entry.file_type().map_err(io("read", &p))?;
            if ft.is_dir() {
                stack.push(p);
            } else {
                let rel = p
                    .strip_prefix(dir)
                    .unwrap_or(&p)
                    .to_string_lossy()
                    .replace('\\', "/");
                out.insert(rel, with(&p)?);
            }
        }
    }
    Ok(out)
}

/// Every regular file under `dir`, keyed by its `/`-separated relative path.
fn read_tree(dir: &Path) -> Result<BTreeMap<String, Vec<u8>>, WriteError> {
    walk_tree(dir, |p| fs::read(p).map_err(io("read", p)))
}

/// The files under `dir` as `<dir>/<relative path>`, sorted: what a stale tree holds.
pub fn files_in(dir: &Path) -> Result<Vec<String>, WriteError> {
    let shown = dir.display().to_string();
    Ok(walk_tree(dir, |_| Ok(()))?
        .into_keys()
        .map(|rel| format!("{shown}/{rel}"))
        .collect())
}

/// The first line of `old` that `new` does not have in place (1-based, at most the last
/// line of `old`): where a reviewer of the file on disk should look.
fn first_changed_line(old: &str, new: &str) -> usize {
    let diff = TextDiff::from_lines(old, new);
    let first = diff
        .ops()
        .iter()
        .find(|op| op.tag() != DiffTag::Equal)
        .map_or(0, |op| op.old_range().start);
    (first + 1).min(old.lines().count()).max(1)
}

/// Compare `files` with what is in `dir`.
pub fn check_tree(dir: &Path, files: &[OutFile]) -> Result<Vec<Drift>, WriteError> {
    let mut disk = read_tree(dir)?;
    let mut drifts = Vec::new();
    let shown = dir.display().to_string();
    for f in files {
        match disk.remove(&f.path) {
            None => drifts.push(Drift::Missing(format!("{shown}/{}", f.path))),
            Some(old) if old == f.content.as_bytes() => {}
            Some(old) => {
                let old = String::from_utf8_lossy(&old);
                let name = format!("{shown}/{}", f.path);
                let diff = TextDiff::from_lines(old.as_ref(), f.content.as_str())
                    .unified_diff()
                    .context_radius(3)
                    .header(&format!("{name} (on disk)"), &format!("{name} (rendered)"))
                    .to_string();
                let line = first_changed_line(&old, &f.content);
                drifts.push(Drift::Changed {
                    path: name,
                    diff,
                    line,
                });
            }
        }
    }
    drifts.extend(
        disk.into_keys()
            .map(|p| Drift::Stale(format!("{shown}/{p}"))),
    );
    Ok(drifts)
}

/// Replace `dir` with exactly `files`; returns false when it already held them.
pub fn write_tree(dir: &Path, files: &[OutFile]) -> Result<bool, WriteError> {
    write_trees(&[(dir.to_path_buf(), files)])
        .pop()
        .unwrap_or(Ok(false))
}

/// Replace each `dir` with exactly its files, as [`write_tree`] does for one.
///
/// Returns, in the order of `trees`, whether each tree changed, and stops at the first
/// tree that fails: the list then ends with its error, the trees before it are in place
/// and the ones after it are untouched (as if written one by one in order).
///
/// The trees are staged beside their destinations in parallel, made durable with one
/// `syncfs(2)` of their filesystem, then exchanged in order. One sync per render instead
/// of an `fsync` per file: on a journaling filesystem every `fsync` is a journal commit
/// and a disk flush (about 5 ms on the benchmark machine), which made a render of 1,000
/// specs (15,000 files) take over a minute of waiting. The data still reaches the disk
/// before any tree is exchanged, so the invariant above holds across a power loss too.
pub fn write_trees(trees: &[(PathBuf, &[OutFile])]) -> Vec<Result<bool, WriteError>> {
    commit_staged(crate::par::map(trees, |(dir, files)| stage(dir, files)))
}

/// Puts staged trees in place, in order, as [`write_trees`] does once they are staged:
/// `staged` holds, for each tree in order, what [`stage`] returned. Used by renders that
/// stage each tree as soon as it is compiled and drop the files, so that memory does not
/// grow with the number of trees (see `crate::render`).
pub fn commit_staged(
    staged: Vec<Result<Option<Staged>, WriteError>>,
) -> Vec<Result<bool, WriteError>> {
    let failed = staged.iter().position(Result::is_err);
    let mut out = Vec::with_capacity(staged.len());
    let mut ready = Vec::new();
    for (i, s) in staged.into_iter().enumerate() {
        match s {
            Ok(s) if failed.is_none_or(|f| i < f) => {
                out.push(Ok(s.is_some()));
                ready.extend(s.map(|s| (i, s)));
            }
            // Staged after the failing tree: it must not land, as if never written.
            Ok(Some(s)) => discard(&s),
            Ok(None) => {}
            Err(e) if failed == Some(i) => out.push(Err(e)),
            Err(_) => {}
        }
    }
    let staged: Vec<&Staged> = ready.iter().map(|(_, s)| s).collect();
    if let Err(e) = sync(&staged) {
        staged.into_iter().for_each(discard);
        return vec![Err(e)];
    }
    for (k, (i, s)) in ready.iter().enumerate() {
        if let Err(e) = commit(s) {
            ready[k + 1..].iter().for_each(|(_, s)| discard(s));
            out.truncate(*i);
            out.push(Err(e));
            break;
        }
    }
    out
}

/// A tree written beside its destination (`.<name>.rkv-new`), waiting to replace it.
/// Holds only the destination: a render of many trees keeps one of these per tree.
#[derive(Debug)]
pub struct Staged {
    dir: PathBuf,
}

impl Staged {
    /// `.<name>.rkv-new` (the new tree) and `.<name>.rkv-old` (the old one, where no
    /// atomic exchange exists) beside the destination.
    fn paths(&self) -> (PathBuf, PathBuf) {
        staging_paths(&self.dir)
    }
}

fn staging_paths(dir: &Path) -> (PathBuf, PathBuf) {
    let parent = dir.parent().unwrap_or(Path::new("."));
    let base = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".into());
    (
        parent.join(format!(".{base}.rkv-new")),
        parent.join(format!(".{base}.rkv-old")),
    )
}

/// Writes `files` into `.<dir name>.rkv-new` beside `dir`; `None` when `dir` already
/// holds exactly them.
pub fn stage(dir: &Path, files: &[OutFile]) -> Result<Option<Staged>, WriteError> {
    if check_tree(dir, files)?.is_empty() {
        return Ok(None);
    }
    let parent = dir.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(parent).map_err(io("create", parent))?;
    let (tmp, old) = staging_paths(dir);
    for leftover in [&tmp, &old] {
        if leftover.exists() {
            fs::remove_dir_all(leftover).map_err(io("remove", leftover))?;
        }
    }
    fs::create_dir_all(&tmp).map_err(io("create", &tmp))?;
    for f in files {
        if f.path.split('/').any(|s| s == ".." || s.is_empty()) || f.path.starts_with('/') {
            let _ = fs::remove_dir_all(&tmp);
            return Err(WriteError::Escape(f.path.clone()));
        }
        let p = tmp.join(&f.path);
        if let Some(d) = p.parent() {
            fs::create_dir_all(d).map_err(io("create", d))?;
        }
        let mut file = fs::File::create(&p).map_err(io("create", &p))?;
        file.write_all(f.content.as_bytes())
            .map_err(io("write", &p))?;
    }
    Ok(Some(Staged {
        dir: dir.to_path_buf(),
    }))
}

/// Makes every staged file durable: one `syncfs` per filesystem directory the trees
/// are staged in (usually one), else an `fsync` per file.
fn sync(staged: &[&Staged]) -> Result<(), WriteError> {
    let mut parents: Vec<&Path> = staged
        .iter()
        .map(|s| s.dir.parent().unwrap_or(Path::new(".")))
        .collect();
    parents.sort();
    parents.dedup();
    if parents.iter().all(|p| syncfs(p).is_ok()) {
        return Ok(());
    }
    crate::par::map(staged, |s| {
        // The staged tree, walked again: a staged tree does not hold its file list.
        let (tmp, _) = s.paths();
        let files = walk_tree(&tmp, |p| Ok(p.to_path_buf()))?;
        files.values().try_for_each(|p| {
            fs::File::open(p)
                .and_then(|f| f.sync_all())
                .map_err(io("write", p))
        })
    })
    .into_iter()
    .collect()
}

#[cfg(target_os = "linux")]
fn syncfs(dir: &Path) -> std::io::Result<()> {
    let d = fs::File::open(dir)?;
    Ok(rustix::fs::syncfs(&d)?)
}

#[cfg(not(target_os = "linux"))]
fn syncfs(_: &Path) -> std::io::Result<()> {
    Err(std::io::Error::other("no syncfs"))
}

/// Puts a staged tree in place of its destination.
fn commit(s: &Staged) -> Result<(), WriteError> {
    let (tmp, old) = s.paths();
    let (dir, tmp, old) = (&s.dir, &tmp, &old);
    if dir.exists() {
        if exchange(tmp, dir).is_err() {
            // No atomic exchange on this system or filesystem: two renames, old kept until the end.
            fs::rename(dir, old).map_err(io("rename", dir))?;
            fs::rename(tmp, dir).map_err(io("rename", tmp))?;
            fs::remove_dir_all(old).map_err(io("remove", old))?;
            return Ok(());
        }
        // After the exchange `tmp` holds the previous tree.
        fs::remove_dir_all(tmp).map_err(io("remove", tmp))?;
    } else {
        fs::rename(tmp, dir).map_err(io("rename", tmp))?;
    }
    Ok(())
}

/// Removes a staged tree that will not be put in place.
pub fn discard(s: &Staged) {
    let _ = fs::remove_dir_all(s.paths().0);
}

/// Removes each directory of `dirs` that is empty, in order (children before their
/// parents): the folders a render created to stage its trees in, when it then fails.
pub fn remove_empty_dirs(dirs: &[PathBuf]) {
    for d in dirs {
        // A directory that is not empty (or not there) stays: only empty ones go.
        let _ = fs::remove_dir(d);
    }
}

/// Remove a directory rkv no longer renders to, if rkv wrote everything in it: a prune
/// (a full render, `--prune`) must never take a user's file with it, whatever `-o` names.
pub fn remove_tree(dir: &Path) -> Result<(), WriteError> {
    let ours = walk_tree(dir, |p| written_by_rkv(p).map_err(io("read", p)))?;
    if let Some((rel, _)) = ours.into_iter().find(|(_, ours)| !ours) {
        return Err(WriteError::Foreign {
            dir: dir.to_path_buf(),
            file: dir.join(rel),
        });
    }
    fs::remove_dir_all(dir).map_err(io("remove", dir))
}

/// Does `path` start with the header every file rkv renders has (`# Generated by rkv
/// from …`, or `<!-- Generated by rkv from … -->` in Markdown)?
fn written_by_rkv(path: &Path) -> std::io::Result<bool> {
    use std::io::Read as _;
    let mut head = Vec::with_capacity(64);
    fs::File::open(path)?.take(64).read_to_end(&mut head)?;
    Ok([
        b"# Generated by rkv from ".as_slice(),
        b"<!-- Generated by rkv from ",
    ]
    .iter()
    .any(|h| head.starts_with(h)))
}

/// The directories under `output` that hold none of the trees named `keep` (`/`-separated
/// paths relative to `output`, such as `cordum` or `teams/a/redis`): what a full render
/// left behind for specs that are gone, or for a layout that changed. A directory on the
/// way to a kept tree is looked into, not stale; a kept tree is not looked into (its own
/// stale files are `check_tree`'s). Sorted; none when `output` cannot be read (nothing was
/// rendered there yet). Symbolic links are not followed.
pub fn stale_trees(output: &Path, keep: &[&str]) -> Vec<PathBuf> {
    let mut stale = Vec::new();
    let mut stack = vec![(output.to_path_buf(), String::new())];
    while let Some((dir, rel)) = stack.pop() {
        let Ok(entries) = fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.filter_map(Result::ok) {
            if !e.file_type().is_ok_and(|t| t.is_dir()) {
                continue;
            }
            let name = e.file_name().to_string_lossy().into_owned();
            let r = if rel.is_empty() {
                name
            } else {
                format!("{rel}/{name}")
            };
            if keep.contains(&r.as_str()) {
                continue;
            }
            let below = format!("{r}/");
            if keep.iter().any(|k| k.starts_with(&below)) {
                stack.push((e.path(), r));
            } else {
                stale.push(e.path());
            }
        }
    }
    stale.sort();
    stale
}

/// Replace the file `path` with `content` atomically (written beside it, synced, then
/// renamed over it); returns false when it already held exactly that.
pub fn write_file(path: &Path, content: &str) -> Result<bool, WriteError> {
    if fs::read(path).is_ok_and(|old| old == content.as_bytes()) {
        return Ok(false);
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .ok_or_else(|| WriteError::Escape(path.display().to_string()))?;
    fs::create_dir_all(dir).map_err(io("create", dir))?;
    let tmp = dir.join(format!(".{name}.rkv-new"));
    let written = fs::File::create(&tmp)
        .and_then(|mut f| {
            f.write_all(content.as_bytes())?;
            f.sync_all()
        })
        .map_err(io("write", &tmp))
        .and_then(|()| fs::rename(&tmp, path).map_err(io("rename", &tmp)));
    if written.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    written.map(|()| true)
}

/// A private scratch directory for files handed to another program (the `LIVE` and
/// `MERGED` trees `RKV_EXTERNAL_DIFF` compares), removed with everything in it when
/// dropped. Unlike the trees it is not written atomically: nothing reads it once the
/// program it was made for has exited.
#[derive(Debug)]
pub struct ScratchDir {
    path: PathBuf,
}

impl ScratchDir {
    /// A new directory `<prefix>-<pid>-<nanos>-<n>` in the system's temporary directory.
    /// Never one that already exists (someone else could have prepared it), and on Unix
    /// only the user may enter it: its files may hold Secret values (`--show-secrets`).
    pub fn new(prefix: &str) -> Result<Self, WriteError> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let path =
            std::env::temp_dir().join(format!("{prefix}-{}-{nanos}-{n}", std::process::id()));
        let mut builder = fs::DirBuilder::new();
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(&path).map_err(io("create", &path))?;
        Ok(ScratchDir { path })
    }

    /// Where the directory is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Creates the directory `rel` (a `/`-separated relative path) inside; its path.
    pub fn create_dir(&self, rel: &str) -> Result<PathBuf, WriteError> {
        let p = self.inside(rel)?;
        fs::create_dir_all(&p).map_err(io("create", &p))?;
        Ok(p)
    }

    /// Writes `content` to the file `rel` (a `/`-separated relative path) inside,
    /// creating the directories it needs.
    pub fn write(&self, rel: &str, content: &str) -> Result<(), WriteError> {
        let p = self.inside(rel)?;
        if let Some(d) = p.parent() {
            fs::create_dir_all(d).map_err(io("create", d))?;
        }
        fs::write(&p, content).map_err(io("write", &p))
    }

    /// `rel` under the directory, refused when it could lead out of it.
    fn inside(&self, rel: &str) -> Result<PathBuf, WriteError> {
        if rel.split('/').any(|s| s == ".." || s.is_empty()) || rel.starts_with('/') {
            return Err(WriteError::Escape(rel.to_string()));
        }
        Ok(self.path.join(rel))
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.path);
    }
}

#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> std::io::Result<()> {
    use rustix::fs::{CWD, RenameFlags, renameat_with};
    Ok(renameat_with(CWD, a, CWD, b, RenameFlags::EXCHANGE)?)
}

#[cfg(not(target_os = "linux"))]
fn exchange(_: &Path, _: &Path) -> std::io::Result<()> {
    Err(std::io::Error::other("no atomic exchange"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(path: &str, content: &str) -> OutFile {
        OutFile {
            path: path.into(),
            content: content.into(),
        }
    }

    #[test]
    fn write_replaces_whole_tree_and_check_sees_drift() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("p");
        assert!(write_tree(&dir, &[f("a/x.yaml", "1\n"), f("b.yaml", "2\n")]).unwrap());
        assert!(!write_tree(&dir, &[f("a/x.yaml", "1\n"), f("b.yaml", "2\n")]).unwrap());
        assert!(write_tree(&dir, &[f("a/x.yaml", "3\n")]).unwrap());
        assert!(!dir.join("b.yaml").exists(), "stale file removed");
        assert_eq!(fs::read_to_string(dir.join("a/x.yaml")).unwrap(), "3\n");
        fs::write(dir.join("a/x.yaml"), "edited\n").unwrap();
        fs::write(dir.join("extra.yaml"), "x").unwrap();
        let d = check_tree(&dir, &[f("a/x.yaml", "3\n"), f("new.yaml", "n")]).unwrap();
        assert_eq!(d.len(), 3);
        assert!(
            matches!(&d[0], Drift::Changed { diff, line: 1, .. } if diff.contains("-edited") && diff.contains("+3"))
        );
        assert!(matches!(&d[1], Drift::Missing(p) if p.ends_with("new.yaml")));
        assert!(matches!(&d[2], Drift::Stale(p) if p.ends_with("extra.yaml")));
        let leftovers: Vec<_> = fs::read_dir(tmp.path()).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "no temporary directories left behind");
    }

    #[cfg(unix)]
    #[test]
    fn a_scratch_directory_is_private_fresh_and_removed() {
        use std::os::unix::fs::PermissionsExt as _;
        let a = ScratchDir::new("rkv-test").unwrap();
        let b = ScratchDir::new("rkv-test").unwrap();
        assert_ne!(a.path(), b.path());
        let mode = fs::metadata(a.path()).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700);
        let live = a.create_dir("LIVE").unwrap();
        assert!(live.is_dir());
        a.write("MERGED/v1.ConfigMap.ns.x", "data\n").unwrap();
        assert_eq!(
            fs::read_to_string(a.path().join("MERGED/v1.ConfigMap.ns.x")).unwrap(),
            "data\n"
        );
        for bad in ["../x", "/etc/x", "a//b", ""] {
            assert!(
                matches!(a.write(bad, "x"), Err(WriteError::Escape(_))),
                "{bad}"
            );
        }
        let path = a.path().to_path_buf();
        drop(a);
        assert!(!path.exists(), "removed with its files");
        assert!(b.path().is_dir());
    }

    #[test]
    fn the_first_changed_line_is_on_the_disk_side() {
        assert_eq!(first_changed_line("a\nb\nc\n", "a\nB\nc\n"), 2);
        assert_eq!(first_changed_line("a\nb\n", "x\nb\n"), 1);
        // Lines added at the end: the last line on disk, not one past it.
        assert_eq!(first_changed_line("a\nb\n", "a\nb\nc\n"), 2);
        assert_eq!(first_changed_line("", "a\n"), 1);
    }

    #[test]
    fn files_in_lists_a_tree_sorted() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("t");
        write_tree(&dir, &[f("b/x.yaml", "1"), f("a.yaml", "2")]).unwrap();
        let shown = dir.display().to_string();
        assert_eq!(
            files_in(&dir).unwrap(),
            [format!("{shown}/a.yaml"), format!("{shown}/b/x.yaml")]
        );
        assert!(files_in(&tmp.path().join("none")).unwrap().is_empty());
    }

    #[test]
    fn paths_cannot_escape() {
        let tmp = tempfile::tempdir().unwrap();
        assert!(matches!(
            write_tree(&tmp.path().join("p"), &[f("../x", "1")]),
            Err(WriteError::Escape(_))
        ));
    }

    /// Every file under `dir` with its content, by relative path.
    fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
        read_tree(dir).unwrap()
    }

    #[test]
    fn many_trees_at_once_equal_one_by_one() {
        let tmp = tempfile::tempdir().unwrap();
        let trees: Vec<Vec<OutFile>> = (0..12)
            .map(|i| {
                (0..=i)
                    .map(|j| f(&format!("d{}/f{j}.yaml", j % 3), &format!("{i}-{j}\n")))
                    .collect()
            })
            .collect();
        let one = tmp.path().join("one");
        let all = tmp.path().join("all");
        for (i, files) in trees.iter().enumerate() {
            assert!(write_tree(&one.join(format!("p{i}")), files).unwrap());
        }
        let batch: Vec<(PathBuf, &[OutFile])> = trees
            .iter()
            .enumerate()
            .map(|(i, files)| (all.join(format!("p{i}")), &files[..]))
            .collect();
        let changed: Vec<bool> = write_trees(&batch)
            .into_iter()
            .map(Result::unwrap)
            .collect();
        assert_eq!(changed, vec![true; 12]);
        assert_eq!(snapshot(&one), snapshot(&all));
        // Again: nothing changes; one tree edited: only it is rewritten.
        let changed: Vec<bool> = write_trees(&batch)
            .into_iter()
            .map(Result::unwrap)
            .collect();
        assert_eq!(changed, vec![false; 12]);
        let edited = vec![f("x.yaml", "new\n")];
        let mut batch2 = batch.clone();
        batch2[5].1 = &edited;
        let changed: Vec<bool> = write_trees(&batch2)
            .into_iter()
            .map(Result::unwrap)
            .collect();
        assert_eq!(changed.iter().filter(|c| **c).count(), 1);
        assert!(changed[5]);
        assert_eq!(fs::read_to_string(all.join("p5/x.yaml")).unwrap(), "new\n");
        let leftovers = fs::read_dir(&all)
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .starts_with('.')
            })
            .count();
        assert_eq!(leftovers, 0, "no staging directories left behind");
    }

    #[test]
    fn a_failing_tree_stops_the_trees_after_it() {
        let tmp = tempfile::tempdir().unwrap();
        let good = [f("a.yaml", "1\n")];
        let bad = [f("../escape.yaml", "1\n")];
        let batch: Vec<(PathBuf, &[OutFile])> = vec![
            (tmp.path().join("p0"), &good[..]),
            (tmp.path().join("p1"), &bad[..]),
            (tmp.path().join("p2"), &good[..]),
        ];
        let out = write_trees(&batch);
        assert_eq!(out.len(), 2, "stops at the failing tree");
        assert!(matches!(out[0], Ok(true)));
        assert!(matches!(out[1], Err(WriteError::Escape(_))));
        assert!(tmp.path().join("p0/a.yaml").exists());
        assert!(
            !tmp.path().join("p2").exists(),
            "a tree after the failure is not written"
        );
        let names: Vec<String> = fs::read_dir(tmp.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["p0"], "no staging directories left behind");
    }

    #[test]
    fn write_file_replaces_a_file_whole_and_reports_no_change() {
        let tmp = tempfile::tempdir().unwrap();
        let p = tmp.path().join("d/schema.json");
        assert!(write_file(&p, "{}\n").unwrap());
        assert!(!write_file(&p, "{}\n").unwrap());
        assert!(write_file(&p, "{\"a\": 1}\n").unwrap());
        assert_eq!(fs::read_to_string(&p).unwrap(), "{\"a\": 1}\n");
        let names: Vec<String> = fs::read_dir(tmp.path().join("d"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["schema.json"], "no temporary file left behind");
        // A directory where the file should go: an error naming the path, nothing left.
        fs::create_dir(tmp.path().join("taken")).unwrap();
        let err = write_file(&tmp.path().join("taken"), "x").unwrap_err();
        assert!(err.to_string().contains("taken"), "{err}");
        assert!(!tmp.path().join(".taken.rkv-new").exists());
    }

    #[test]
    fn stale_trees_are_the_directories_not_kept() {
        let tmp = tempfile::tempdir().unwrap();
        for d in ["b", "a", "keep"] {
            fs::create_dir(tmp.path().join(d)).unwrap();
        }
        fs::write(tmp.path().join("file.yaml"), "x").unwrap();
        assert_eq!(
            stale_trees(tmp.path(), &["keep"]),
            [tmp.path().join("a"), tmp.path().join("b")]
        );
        assert!(stale_trees(&tmp.path().join("missing"), &[]).is_empty());
    }

    #[test]
    fn remove_tree_takes_only_what_rkv_wrote() {
        let tmp = tempfile::tempdir().unwrap();
        let ours = tmp.path().join("ours");
        write_tree(
            &ours,
            &[
                f(
                    "base/x.yaml",
                    "# Generated by rkv from a.yaml. Do not edit.\nx: 1\n",
                ),
                f(
                    "RUNBOOK.md",
                    "<!-- Generated by rkv from a.yaml. -->\n# Runbook\n",
                ),
            ],
        )
        .unwrap();
        fs::create_dir_all(ours.join("empty")).unwrap();
        remove_tree(&ours).unwrap();
        assert!(!ours.exists());
        let theirs = tmp.path().join("theirs");
        write_tree(
            &theirs,
            &[
                f("a.yaml", "# Generated by rkv from a.yaml.\n"),
                f("notes/todo.md", "# Generated by hand\n"),
            ],
        )
        .unwrap();
        let err = remove_tree(&theirs).unwrap_err();
        assert!(
            matches!(&err, WriteError::Foreign { file, .. } if file.ends_with("notes/todo.md")),
            "{err}"
        );
        assert!(theirs.join("a.yaml").exists(), "nothing removed");
    }

    #[test]
    fn stale_trees_look_into_the_folders_of_nested_trees_only() {
        let tmp = tempfile::tempdir().unwrap();
        for d in [
            "teams/a/redis/base",
            "teams/a/old",
            "teams/b/redis",
            "teams/gone/redis",
            "redis",
            "other",
        ] {
            fs::create_dir_all(tmp.path().join(d)).unwrap();
        }
        fs::write(tmp.path().join("teams/a/notes.txt"), "x").unwrap();
        let stale = stale_trees(tmp.path(), &["teams/a/redis", "teams/b/redis", "other"]);
        let names: Vec<String> = stale
            .iter()
            .map(|p| p.strip_prefix(tmp.path()).unwrap().display().to_string())
            .collect();
        // `teams/a/redis/base` belongs to a kept tree; files between trees are not trees.
        assert_eq!(names, ["redis", "teams/a/old", "teams/gone"]);
    }
}
