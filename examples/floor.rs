//! The process floor of a render: what a Rust program costs that reads the specs and
//! writes the same bytes rkv writes, without compiling anything. `benches/rkv.rs` runs it
//! beside `rkv render` in the same run (`benches/run.sh` builds it with
//! `cargo build --release --example floor`), so the distance from rkv to it can be compared
//! across machines (absolute times cannot).
//!
//! In: `floor BUNDLE SPEC|DIR... -o OUT` (the arguments of `rkv render`, after the bundle). BUNDLE holds the trees rkv rendered for the same
//! specs (written by the harness from rkv's own output): lines `T <folder>` open a tree,
//! `F <path> <length>` followed by that many bytes is one of its files. Out: `OUT/<folder>/`
//! for each tree, written the way rkv writes (staged beside the destination, one
//! `syncfs`, then renamed into place), or left alone when it already holds those bytes.
//! Invariant: it does what rkv does to the disk and reads each spec file, nothing else.

// The floor writes what rkv writes, the way it does, without rkv's writer module: a
// measuring program that stops loudly on a failed step.
#![allow(clippy::disallowed_methods)]

use std::fs;
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::path::{Path, PathBuf};

fn main() {
    if let Err(e) = run() {
        eprintln!("floor: {e}");
        std::process::exit(2);
    }
}

type Files = Vec<(String, Vec<u8>)>;

fn run() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (bundle, specs, out) = match args.as_slice() {
        [bundle, specs @ .., o, out] if o == "-o" => (bundle, specs, PathBuf::from(out)),
        _ => return Err("usage: floor BUNDLE SPEC|DIR... -o OUT".into()),
    };
    // Read every spec, as rkv does (it parses them; the floor only reads).
    let mut read = 0;
    for s in specs {
        let p = Path::new(s);
        let mut files = vec![p.to_path_buf()];
        if p.is_dir() {
            files = fs::read_dir(p)
                .map_err(|e| format!("{s}: {e}"))?
                .flatten()
                .map(|e| e.path())
                .filter(|f| f.extension().is_some_and(|x| x == "yaml" || x == "yml"))
                .collect();
            files.sort();
        }
        for f in files {
            read += fs::read(&f)
                .map_err(|e| format!("{}: {e}", f.display()))?
                .len();
        }
    }
    std::hint::black_box(read);
    let mut r = BufReader::new(fs::File::open(bundle).map_err(|e| format!("{bundle}: {e}"))?);
    let mut staged = Vec::new();
    let mut tree: Option<(String, Files)> = None;
    let mut line = String::new();
    loop {
        line.clear();
        if r.read_line(&mut line).map_err(|e| e.to_string())? == 0 {
            break;
        }
        let l = line.trim_end_matches('\n');
        if let Some(name) = l.strip_prefix("T ") {
            if let Some((n, files)) = tree.take() {
                staged.extend(stage(&out, &n, &files)?);
            }
            tree = Some((name.to_string(), Vec::new()));
        } else if let Some(rest) = l.strip_prefix("F ") {
            let (path, len) = rest.rsplit_once(' ').ok_or("bad bundle line")?;
            let len: usize = len.parse().map_err(|_| "bad length")?;
            let mut bytes = vec![0; len];
            r.read_exact(&mut bytes).map_err(|e| e.to_string())?;
            let (_, files) = tree.as_mut().ok_or("file before tree")?;
            files.push((path.to_string(), bytes));
        }
    }
    if let Some((n, files)) = tree.take() {
        staged.extend(stage(&out, &n, &files)?);
    }
    if let Some((tmp, _)) = staged.first() {
        syncfs(tmp)?;
    }
    for (tmp, dir) in staged {
        if dir.exists() {
            fs::remove_dir_all(&dir).map_err(|e| e.to_string())?;
        }
        fs::rename(&tmp, &dir).map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// Writes one tree beside its destination; `None` when the destination holds it already.
fn stage(out: &Path, name: &str, files: &Files) -> Result<Option<(PathBuf, PathBuf)>, String> {
    let dir = out.join(name);
    let same = files
        .iter()
        .all(|(p, b)| fs::read(dir.join(p)).is_ok_and(|old| &old == b));
    if same && count(&dir) == files.len() {
        return Ok(None);
    }
    let tmp = out.join(format!(".{name}.rkv-new"));
    for (p, b) in files {
        let path = tmp.join(p);
        if let Some(d) = path.parent() {
            fs::create_dir_all(d).map_err(|e| e.to_string())?;
        }
        fs::File::create(&path)
            .and_then(|mut f| f.write_all(b))
            .map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(Some((tmp, dir)))
}

fn count(dir: &Path) -> usize {
    let mut n = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).into_iter().flatten().flatten() {
            match e.file_type() {
                Ok(t) if t.is_dir() => stack.push(e.path()),
                Ok(_) => n += 1,
                Err(_) => {}
            }
        }
    }
    n
}

/// `syncfs(2)` as rkv calls it (`rkv::write::fs`, through rustix).
fn syncfs(dir: &Path) -> Result<(), String> {
    let d = fs::File::open(dir).map_err(|e| e.to_string())?;
    rustix::fs::syncfs(&d).map_err(|e| e.to_string())
}
