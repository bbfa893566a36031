//! Every file rkv writes goes through here.
//!
//! In: the files of one profile's tree. Out: `generated/<profile>/` replaced whole, or a
//! list of drifts in check mode. Invariant: a render killed at any moment leaves either
//! the previous tree or the new one, never a mix: the new tree is written beside the old
//! and the two directories are exchanged in one `renameat2(RENAME_EXCHANGE)` call.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use similar::TextDiff;

use crate::emit::layout::OutFile;

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
    /// On disk but no longer rendered.
    Stale(String),
    /// Different content: the unified diff from disk to rendered.
    Changed(String, String),
}

impl Drift {
    pub fn describe(&self) -> String {
        match self {
            Drift::Missing(p) => format!("missing: {p}\n"),
            Drift::Stale(p) => format!("stale (no longer rendered): {p}\n"),
            Drift::Changed(_, diff) => diff.clone(),
        }
    }
}

/// Every regular file under `dir`, keyed by its `/`-separated relative path.
fn read_tree(dir: &Path) -> Result<BTreeMap<String, Vec<u8>>, WriteError> {
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
                out.insert(rel, fs::read(&p).map_err(io("read", &p))?);
            }
        }
    }
    Ok(out)
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
                drifts.push(Drift::Changed(name, diff));
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
    if check_tree(dir, files)?.is_empty() {
        return Ok(false);
    }
    let parent = dir.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(parent).map_err(io("create", parent))?;
    let base = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".into());
    let tmp = parent.join(format!(".{base}.rkv-new"));
    let old = parent.join(format!(".{base}.rkv-old"));
    for leftover in [&tmp, &old] {
        if leftover.exists() {
            fs::remove_dir_all(leftover).map_err(io("remove", leftover))?;
        }
    }
    fs::create_dir_all(&tmp).map_err(io("create", &tmp))?;
    for f in files {
        if f.path.split('/').any(|s| s == ".." || s.is_empty()) || f.path.starts_with('/') {
            return Err(WriteError::Escape(f.path.clone()));
        }
        let p = tmp.join(&f.path);
        if let Some(d) = p.parent() {
            fs::create_dir_all(d).map_err(io("create", d))?;
        }
        let mut file = fs::File::create(&p).map_err(io("create", &p))?;
        file.write_all(f.content.as_bytes())
            .map_err(io("write", &p))?;
        file.sync_all().map_err(io("write", &p))?;
    }
    if dir.exists() {
        if exchange(&tmp, dir).is_err() {
            // No atomic exchange on this system or filesystem: two renames, old kept until the end.
            fs::rename(dir, &old).map_err(io("rename", dir))?;
            fs::rename(&tmp, dir).map_err(io("rename", &tmp))?;
            fs::remove_dir_all(&old).map_err(io("remove", &old))?;
            return Ok(true);
        }
        // After the exchange `tmp` holds the previous tree.
        fs::remove_dir_all(&tmp).map_err(io("remove", &tmp))?;
    } else {
        fs::rename(&tmp, dir).map_err(io("rename", &tmp))?;
    }
    Ok(true)
}

/// Remove a directory rkv no longer renders to.
pub fn remove_tree(dir: &Path) -> Result<(), WriteError> {
    fs::remove_dir_all(dir).map_err(io("remove", dir))
}

#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> std::io::Result<()> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let ca = CString::new(a.as_os_str().as_bytes())?;
    let cb = CString::new(b.as_os_str().as_bytes())?;
    // SAFETY: both paths are valid NUL-terminated strings that outlive the call.
    let rc = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            ca.as_ptr(),
            libc::AT_FDCWD,
            cb.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
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
            matches!(&d[0], Drift::Changed(_, diff) if diff.contains("-edited") && diff.contains("+3"))
        );
        assert!(matches!(&d[1], Drift::Missing(p) if p.ends_with("new.yaml")));
        assert!(matches!(&d[2], Drift::Stale(p) if p.ends_with("extra.yaml")));
        let leftovers: Vec<_> = fs::read_dir(tmp.path()).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "no temporary directories left behind");
    }

    #[test]
    fn paths_cannot_escape() {
        let tmp = tempfile::tempdir().unwrap();
        assert!(matches!(
            write_tree(&tmp.path().join("p"), &[f("../x", "1")]),
            Err(WriteError::Escape(_))
        ));
    }
}
