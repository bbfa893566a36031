//! Golden cases: `tests/golden/<case>/spec.yaml` with its expected output, one test each.
//!
//! A case holds `spec.yaml`, `diagnostics.txt` (every finding, exactly as `rkv` prints
//! it, plus the exit code) and, when the spec compiles, `expected/` (the whole tree).
//! Any other file in a case directory is an error, so nothing stale survives.
//!
//! Each case is the test `golden::<case>` with `-` written `_`: `cargo test -- cluster_4x3`
//! runs one. `RKV_UPDATE_GOLDEN=1 cargo test -- golden::` rewrites them. A case directory
//! that no test names fails [`every_case_directory_has_a_test`].

use std::fs;
use std::path::Path;

use rkv::compile::{CompileError, compile};
use rkv::diag::render_text;
use rkv::write::fs::{check_tree, write_tree};

use crate::support::root;

/// What `rkv` says about the spec, and with which exit code; the tree when it compiles.
fn outcome(case: &Path) -> (String, Option<Vec<rkv::bundle::OutFile>>) {
    let spec = case.join("spec.yaml");
    // Bytes, not text: a case may hold a spec that is not UTF-8 (`load-not-utf8`).
    let bytes = fs::read(&spec).expect("spec.yaml");
    match rkv::spec::load_bytes("spec.yaml", bytes) {
        Err(d) => (format!("{}exit: 2\n", render_text(&d)), None),
        Ok(loaded) => match compile(&loaded) {
            Err(CompileError::Findings(d)) => (format!("{}exit: 1\n", render_text(&d)), None),
            Err(e) => panic!("{}: {e}", case.display()),
            Ok(c) => (
                format!("{}exit: 0\n", render_text(&c.findings)),
                Some(c.files),
            ),
        },
    }
}

/// Compare (or with `RKV_UPDATE_GOLDEN`, rewrite) the case `tests/golden/<name>/`.
fn check_case(name: &str) {
    let case = root().join("tests/golden").join(name);
    assert!(
        case.is_dir(),
        "no golden case directory `{}`",
        case.display()
    );
    let update = std::env::var_os("RKV_UPDATE_GOLDEN").is_some();
    let mut failures = Vec::new();
    for entry in fs::read_dir(&case).unwrap() {
        let f = entry.unwrap().file_name().to_string_lossy().to_string();
        if !["spec.yaml", "diagnostics.txt", "expected"].contains(&f.as_str()) {
            failures.push(format!("unreferenced golden file `{f}`"));
        }
    }
    let (diags, files) = outcome(&case);
    let diag_path = case.join("diagnostics.txt");
    let expected_dir = case.join("expected");
    if update {
        fs::write(&diag_path, &diags).unwrap();
        match &files {
            Some(f) => {
                write_tree(&expected_dir, f).unwrap();
            }
            None if expected_dir.exists() => fs::remove_dir_all(&expected_dir).unwrap(),
            None => {}
        }
        assert!(failures.is_empty(), "{name}: {}", failures.join("\n"));
        return;
    }
    match fs::read_to_string(&diag_path) {
        Ok(want) if want == diags => {}
        Ok(want) => failures.push(format!(
            "diagnostics differ\n--- expected\n{want}\n--- actual\n{diags}"
        )),
        Err(_) => failures.push("missing diagnostics.txt".to_string()),
    }
    match (&files, expected_dir.exists()) {
        (Some(f), _) => {
            for d in check_tree(&expected_dir, f).unwrap() {
                failures.push(d.describe());
            }
        }
        (None, true) => failures.push("expected/ exists but the spec does not compile".into()),
        (None, false) => {}
    }
    assert!(
        failures.is_empty(),
        "{name}: {}\n\nrun `RKV_UPDATE_GOLDEN=1 cargo test -- golden::{}` if the change is intended",
        failures.join("\n"),
        name.replace('-', "_")
    );
}

/// One `#[test]` per case, named after its directory with `-` as `_`, and the list of
/// every case directory a test covers.
macro_rules! golden_cases {
    ($($case:ident,)*) => {
        $(
            #[test]
            fn $case() {
                check_case(&stringify!($case).replace('_', "-"));
            }
        )*

        /// The case directories the tests above cover.
        const COVERED: &[&str] = &[$(stringify!($case)),*];
    };
}

golden_cases! {
    accept_refused,
    accept_stale,
    accept_waivers,
    check_aof_no_fsync,
    check_durable_no_backup,
    check_durable_no_persistence,
    check_rkv100_sites_and_environments_fails,
    check_rkv101_no_password_fails,
    check_rkv101_password_passes,
    check_rkv103_loadbalancer_accepted_with_reason_warns,
    check_rkv103_loadbalancer_with_auth_and_tls_passes,
    check_rkv103_loadbalancer_without_tls_fails,
    check_rkv108_no_client_warns,
    check_rkv109_client_without_sentinel_warns,
    check_rkv110_min_available_2_fails,
    check_rkv110_min_available_4_fails,
    check_rkv110_min_available_5_passes,
    check_rkv110_replication_max_unavailable_2_fails,
    check_rkv111_three_shards_passes,
    check_rkv111_two_shards_fails,
    check_rkv112_quorum_above_sentinels_fails,
    check_rkv113_even_sentinels_fails,
    check_rkv114_quorum_below_majority_fails,
    check_rkv115_quorum_equals_sentinels_fails,
    check_rkv116_117_auto_maxmemory_passes,
    check_rkv116_maxmemory_above_limit_fails,
    check_rkv117_no_fork_headroom_fails,
    check_rkv118_durable_2x_passes,
    check_rkv118_durable_below_2x_fails,
    check_rkv120_no_memory_bound_fails,
    check_rkv121_pvc_holds_peak_passes,
    check_rkv121_pvc_too_small_fails,
    check_rkv122_failover_timeout_short_fails,
    check_rkv122_node_timeout_too_short_fails,
    check_rkv122_timeouts_pass,
    check_rkv123_allkeys_lru_on_session_fails,
    check_rkv123_noeviction_on_cache_fails,
    check_rkv123_volatile_lru_on_session_passes,
    check_rkv124_required_anti_affinity_passes,
    check_rkv124_soft_anti_affinity_fails,
    check_rkv124_zone_loss_sentinel_fails,
    check_rkv124_zone_spread_cannot_help_fails,
    check_rkv124_zones_not_spread_fails,
    check_rkv155_operator_kept_out_fails,
    check_rkv168_operator_kept_out_fails,
    check_rkv180_chart_secret_without_chart_fails,
    check_sentinel_3_quorum_2_passes,
    check_tls_only_passes,
    check_tls_plaintext_port_open_fails,
    cluster_3x2_tls,
    cluster_4x3,
    cluster_bus_port_out_of_range,
    cluster_mutual_no_client_secret,
    cluster_namespace_change,
    cluster_tls_plaintext_port,
    effects_cluster_exposure_refused,
    effects_failover_refused,
    effects_helm_sentinel_refused,
    effects_helm_site_argocd_refused,
    effects_overrides_refused,
    effects_replication_refused,
    effects_requires_refused,
    effects_standalone_refused,
    extra_config_failover_startup_only,
    extra_config_refused,
    failover_auth_no_wal,
    failover_exposure_backup,
    failover_mirror_incomplete,
    failover_mirror_unknown_site,
    failover_operator_quirks,
    failover_retention_short,
    failover_retention_unstated,
    failover_wal,
    helm_chart_version,
    helm_failover_shape,
    helm_bitnami_image_moved,
    helm_non_bitnami_image,
    helm_password_chart_made,
    helm_redis_cluster,
    helm_redis_replication,
    helm_redis_standalone,
    helm_sentinel_count,
    helm_sentinel_placement,
    helm_standalone_exposure_backup,
    knobs_cluster,
    knobs_failover,
    knobs_helm_cluster,
    knobs_helm_replication,
    knobs_helm_standalone,
    knobs_replication,
    knobs_replication_annotations_refused,
    knobs_standalone,
    knobs_standalone_zones_refused,
    knobs_tolerations_refused,
    load_alias_bomb,
    load_bad_enum_and_format,
    load_duplicate_key,
    load_empty,
    load_no_shape,
    load_not_utf8,
    load_not_yaml,
    load_out_of_range,
    load_secrets_masked,
    load_tab_indent,
    load_two_documents,
    load_two_shapes,
    load_unknown_field,
    load_wrong_type,
    names_chart_statefulset_too_long,
    names_cluster_job_too_long,
    names_cronjob_too_long,
    names_helm_release_too_long,
    names_labels_refused,
    names_mirror_topic_too_long,
    names_namespace_and_common_name,
    names_operator_sentinel_too_long,
    names_service_starts_with_digit,
    replication_auth_overlay,
    replication_durable_hazards,
    replication_maxmemory_over_limit,
    replication_memory_unreadable,
    replication_no_fork_headroom,
    replication_platform_kv,
    replication_tls_backup,
    sites_argocd_standalone,
    standalone_base,
    standalone_tls_exposure_backup,
}

#[test]
fn every_case_directory_has_a_test() {
    let mut dirs: Vec<String> = fs::read_dir(root().join("tests/golden"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    dirs.sort();
    let covered: Vec<String> = COVERED.iter().map(|c| c.replace('_', "-")).collect();
    let missing: Vec<&String> = dirs.iter().filter(|d| !covered.contains(d)).collect();
    assert!(
        missing.is_empty(),
        "golden cases without a test: add them to `golden_cases!` in tests/golden.rs (with `-` as `_`): {missing:?}"
    );
    let gone: Vec<&String> = covered.iter().filter(|c| !dirs.contains(c)).collect();
    assert!(gone.is_empty(), "tests for missing cases: {gone:?}");
    assert!(!dirs.is_empty(), "no golden cases");
}
