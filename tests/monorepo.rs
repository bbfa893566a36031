//! Monorepos: specs of one file name in several folders render apart, mirrored under the
//! output directory; specs from one folder keep `<output>/<stem>/`.
//!
//! A temp repository holds `teams/a/redis.yaml` and `teams/b/redis.yaml` (different
//! topologies), rendered, checked, pruned and served by the Argo CD plugin as users run
//! them, with relative paths so snapshots hold no machine's path.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use assert_cmd::Command;
use insta::assert_snapshot;
use serde_json::Value;

use crate::support::{docs, outcome, rkv};

fn in_dir(dir: &Path) -> Command {
    let mut c = rkv();
    c.current_dir(dir);
    c
}

/// A spec without findings, so that the snapshots show the layout only.
const SPEC: &str = "apiVersion: rkv.dev/v1alpha1\nkind: RedisTopology\nmetadata: {name: kv, namespace: TEAM}\nspec:\n  use: cache\n  shape: {standalone: {}}\n  redis: {image: \"redis:7.2\"}\n  auth: {passwordSecret: {name: kv, key: password}}\n  resources: {limits: {memory: 1Gi}}\n  clients: [{namespace: TEAM}]\n";

/// `teams/<team>/redis.yaml` for each team, in the namespace `team-<team>`.
fn monorepo(teams: &[&str]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for team in teams {
        let folder = dir.path().join("teams").join(team);
        fs::create_dir_all(&folder).unwrap();
        fs::write(
            folder.join("redis.yaml"),
            SPEC.replace("TEAM", &format!("team-{team}")),
        )
        .unwrap();
    }
    dir
}

/// Every file under `dir`, by relative path.
fn tree(dir: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).unwrap().display().to_string();
                out.insert(rel, fs::read_to_string(&p).unwrap());
            }
        }
    }
    out
}

fn code(cmd: &mut Command) -> Option<i32> {
    cmd.output().unwrap().status.code()
}

#[test]
fn two_folders_render_apart_and_check_clean() {
    let dir = monorepo(&["a", "b"]);
    let run = |args: &[&str]| outcome(in_dir(dir.path()).args(args));
    assert_snapshot!(
        "monorepo_render",
        run(&["render", "teams/a", "teams/b", "-o", "gen"])
    );
    // Each tree is what the spec renders alone (one folder: `<stem>/`).
    for team in ["a", "b"] {
        let alone = format!("alone-{team}");
        let out = in_dir(dir.path())
            .args(["render", &format!("teams/{team}/redis.yaml"), "-o", &alone])
            .output()
            .unwrap();
        assert!(out.status.success());
        let mirrored = tree(&dir.path().join(format!("gen/{team}/redis")));
        assert!(!mirrored.is_empty());
        assert_eq!(mirrored, tree(&dir.path().join(&alone).join("redis")));
    }
    assert_ne!(
        tree(&dir.path().join("gen/a/redis")),
        tree(&dir.path().join("gen/b/redis")),
        "the teams' trees are their own specs'"
    );
    assert_eq!(
        code(in_dir(dir.path()).args(["render", "teams/a", "teams/b", "-o", "gen", "--check"])),
        Some(0)
    );
    let svc = dir.path().join("gen/b/redis/base/service-kv.yaml");
    let text = fs::read_to_string(&svc).unwrap();
    assert!(text.contains("port: 6379"));
    fs::write(&svc, text.replace("port: 6379", "port: 6380")).unwrap();
    assert_snapshot!(
        "monorepo_check_edited",
        run(&["render", "teams/a", "teams/b", "-o", "gen", "--check"])
    );
    assert_snapshot!(
        "monorepo_check_github",
        run(&[
            "render", "teams/a", "teams/b", "-o", "gen", "--check", "--format", "github"
        ])
    );
}

#[test]
fn prune_removes_the_trees_of_specs_that_are_gone() {
    let dir = monorepo(&["a", "b", "c"]);
    let args = |teams: &[&str], extra: &[&str]| -> Vec<String> {
        let mut v = vec!["render".to_string()];
        v.extend(teams.iter().map(|t| format!("teams/{t}")));
        v.extend(["-o", "gen"].iter().chain(extra).map(|s| s.to_string()));
        v
    };
    assert_eq!(
        code(in_dir(dir.path()).args(args(&["a", "b", "c"], &[]))),
        Some(0)
    );
    fs::write(dir.path().join("gen/README.md"), "not a tree\n").unwrap();
    fs::remove_dir_all(dir.path().join("teams/c")).unwrap();
    // Named specs own only their trees, unless --prune says they are all there is.
    assert_eq!(
        code(in_dir(dir.path()).args(args(&["a", "b"], &["--check"]))),
        Some(0)
    );
    assert_snapshot!(
        "monorepo_check_prune",
        outcome(in_dir(dir.path()).args(args(&["a", "b"], &["--check", "--prune"])))
    );
    assert!(
        dir.path().join("gen/c/redis").exists(),
        "--check writes nothing"
    );
    assert_snapshot!(
        "monorepo_prune",
        outcome(in_dir(dir.path()).args(args(&["a", "b"], &["--prune"])))
    );
    assert!(!dir.path().join("gen/c").exists());
    for kept in ["gen/a/redis/base", "gen/b/redis/base", "gen/README.md"] {
        assert!(dir.path().join(kept).exists(), "{kept}");
    }
    assert_eq!(
        code(in_dir(dir.path()).args(args(&["a", "b"], &["--check", "--prune"]))),
        Some(0)
    );
    // Back to one folder: the layout is `<stem>/` again, and the mirrored trees are stale.
    assert_snapshot!(
        "monorepo_to_one_folder",
        outcome(in_dir(dir.path()).args(args(&["a"], &["--check", "--prune"])))
    );
}

#[test]
fn one_folder_two_specs_of_one_stem_still_collide() {
    let dir = monorepo(&["a"]);
    fs::copy(
        dir.path().join("teams/a/redis.yaml"),
        dir.path().join("teams/a/redis.yml"),
    )
    .unwrap();
    assert_snapshot!(
        "monorepo_collision",
        outcome(in_dir(dir.path()).args(["render", "teams/a", "-o", "gen"]))
    );
    assert!(!dir.path().join("gen").exists(), "nothing written");
}

#[test]
fn a_tree_inside_another_is_refused() {
    let dir = monorepo(&["a"]);
    let spec = fs::read_to_string(dir.path().join("teams/a/redis.yaml")).unwrap();
    // `teams/a.yaml` renders to `a/`, which would hold `a/redis/` of `teams/a/redis.yaml`.
    fs::write(dir.path().join("teams/a.yaml"), &spec).unwrap();
    let out = in_dir(dir.path())
        .args(["render", "teams", "teams/a", "-o", "gen"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("`teams/a/redis.yaml` renders to `a/redis/`, inside `a/`, the output folder of `teams/a.yaml`"),
        "{err}"
    );
    assert!(!dir.path().join("gen").exists(), "nothing written");
}

/// The Argo CD plugin renders the spec in the Application's path, whatever the layout of
/// the committed tree: in `teams/b` it deploys exactly what `gen/b/redis/base` holds.
#[test]
fn the_argocd_plugin_in_a_team_folder_deploys_that_teams_tree() {
    let dir = monorepo(&["a", "b"]);
    assert_eq!(
        code(in_dir(dir.path()).args(["render", "teams/a", "teams/b", "-o", "gen"])),
        Some(0)
    );
    let out = in_dir(&dir.path().join("teams/b"))
        .arg("argocd-generate")
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut served: Vec<String> = docs(&out.stdout).iter().map(Value::to_string).collect();
    served.sort();
    let mut committed: Vec<String> = tree(&dir.path().join("gen/b/redis/base"))
        .into_iter()
        .filter(|(name, _)| name != "kustomization.yaml")
        .map(|(_, text)| docs(text.as_bytes())[0].to_string())
        .collect();
    committed.sort();
    assert!(!served.is_empty());
    assert_eq!(served, committed);
    assert!(served.iter().all(|d| d.contains("team-b")));
}

/// Pruning removes what rkv wrote and nothing else: a stale folder that holds a file of
/// the user's is refused, with the file named, and left as it was.
#[test]
fn prune_never_removes_a_file_rkv_did_not_write() {
    let dir = monorepo(&["a", "b"]);
    fs::create_dir_all(dir.path().join("gen/docs")).unwrap();
    fs::write(dir.path().join("gen/docs/notes.md"), "mine\n").unwrap();
    assert_snapshot!(
        "monorepo_prune_foreign",
        outcome(in_dir(dir.path()).args(["render", "teams/a", "teams/b", "-o", "gen", "--prune"]))
    );
    assert_eq!(
        fs::read_to_string(dir.path().join("gen/docs/notes.md")).unwrap(),
        "mine\n"
    );
}
