//! The Argo CD Applications rkv writes sync paths that exist in the repository as
//! docs/gitops.md lays it out: `generated/` committed at the repository's root, specs from
//! one folder or from several (a monorepo), another output directory, `--repo-root`.
//!
//! Each test renders into a temp repository as a user would, then reads every rendered
//! Application's `spec.source.path` and looks for a kustomize directory there.

use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

use crate::support::{rkv, root};

fn in_dir(dir: &Path) -> Command {
    let mut c = rkv();
    c.current_dir(dir);
    c
}

/// Every file under `dir` whose document is an Argo CD Application, with its source path.
fn applications(dir: &Path) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "yaml") {
                let text = fs::read_to_string(&p).unwrap();
                let Ok(v) = serde_saphyr::from_str::<Value>(&text) else {
                    continue;
                };
                if v["kind"] == "Application" && v["apiVersion"] == "argoproj.io/v1alpha1" {
                    let path = v["spec"]["source"]["path"].as_str().unwrap().to_string();
                    out.push((p, path));
                }
            }
        }
    }
    out.sort();
    out
}

/// Every Application under `rendered` syncs a kustomize directory of `repo`; at least
/// `expected` of them were found.
fn assert_paths_exist(repo: &Path, rendered: &Path, expected: usize) {
    let apps = applications(rendered);
    assert!(
        apps.len() >= expected,
        "{} Application(s) under {}, expected {expected}",
        apps.len(),
        rendered.display()
    );
    for (file, path) in apps {
        assert!(
            !path.starts_with('/') && !path.split('/').any(|p| p == ".."),
            "{}: `{path}` is not a path inside the repository",
            file.display()
        );
        assert!(
            repo.join(&path).join("kustomization.yaml").is_file(),
            "{}: source.path `{path}` is no kustomize directory of the repository",
            file.display()
        );
    }
}

fn profile(name: &str) -> String {
    fs::read_to_string(root().join("profiles").join(name)).unwrap()
}

/// The committed tree: this repository is laid out as the docs say (`generated/` at its
/// root), and every Application in it points at a directory of it.
#[test]
fn committed_applications_sync_directories_of_this_repository() {
    assert_paths_exist(root(), &root().join("generated"), 2);
}

/// `rkv render` from the root of a repository that holds `profiles/`.
#[test]
fn a_render_from_the_repository_root_points_into_generated() {
    let repo = tempfile::tempdir().unwrap();
    fs::create_dir(repo.path().join("profiles")).unwrap();
    fs::write(
        repo.path().join("profiles/wal-failover.yaml"),
        profile("wal-failover.yaml"),
    )
    .unwrap();
    let out = in_dir(repo.path()).arg("render").output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_paths_exist(repo.path(), &repo.path().join("generated"), 2);
}

/// A monorepo: two teams' `redis.yaml` mirror their folders under `generated/`, and
/// another output directory inside the repository is followed too.
#[test]
fn monorepo_trees_and_other_output_directories_are_followed() {
    let repo = tempfile::tempdir().unwrap();
    for team in ["a", "b"] {
        let folder = repo.path().join("teams").join(team);
        fs::create_dir_all(&folder).unwrap();
        fs::write(folder.join("redis.yaml"), profile("wal-failover.yaml")).unwrap();
    }
    let out = in_dir(repo.path())
        .args(["render", "teams/a", "teams/b"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_paths_exist(repo.path(), &repo.path().join("generated"), 4);
    let apps = applications(&repo.path().join("generated"));
    assert!(
        apps.iter()
            .any(|(_, p)| p == "generated/a/redis/clusters/dc/apps/redis"),
        "{apps:?}"
    );

    let out = in_dir(repo.path())
        .args(["render", "teams/a", "-o", "deploy/rendered"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_paths_exist(repo.path(), &repo.path().join("deploy/rendered"), 2);
}

/// Run from a subfolder, `--repo-root` names the repository's root.
#[test]
fn repo_root_names_the_repository_from_elsewhere() {
    let repo = tempfile::tempdir().unwrap();
    let work = repo.path().join("tools");
    fs::create_dir_all(&work).unwrap();
    fs::write(work.join("kv.yaml"), profile("wal-failover.yaml")).unwrap();
    let out = in_dir(&work)
        .args([
            "render",
            "kv.yaml",
            "-o",
            "../generated",
            "--repo-root",
            "..",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_paths_exist(repo.path(), &repo.path().join("generated"), 2);
}

/// An output directory outside the repository cannot be synced: exit 2 and say so,
/// unless the spec names each Application's path itself.
#[test]
fn an_output_directory_outside_the_repository_is_refused() {
    let repo = tempfile::tempdir().unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    fs::write(repo.path().join("kv.yaml"), profile("wal-failover.yaml")).unwrap();
    let out = in_dir(repo.path())
        .arg("render")
        .arg("kv.yaml")
        .arg("-o")
        .arg(elsewhere.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("is not inside the repository's root") && stderr.contains("--repo-root"),
        "{stderr}"
    );
    assert!(fs::read_dir(elsewhere.path()).unwrap().next().is_none());
}
