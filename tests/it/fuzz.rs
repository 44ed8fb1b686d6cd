//! Schemathesis, the published OpenAPI fuzzer (pinned in `scripts/test`),
//! against the live server with an admin token: every operation of
//! `/api/openapi.json`, its stateful phase included, with a fixed seed and a
//! bounded budget. Zero server errors, zero schema violations, zero valid
//! requests rejected: the document and the server agree.

use crate::common::{Backend, TestApp};

/// Examples per operation and phase: enough to find disagreements, small enough for CI.
const MAX_EXAMPLES: &str = "25";
const SEED: &str = "20261202";

#[tokio::test]
async fn schemathesis_finds_no_disagreement_between_the_document_and_the_server() {
    let app = TestApp::demo(Backend::Sqlite).await;
    let token = app.login_with("admin", minqing::app::DEMO_PASSWORD).await;
    let root = env!("CARGO_MANIFEST_DIR");
    let schema = app.url("/api/openapi.json");
    let mut out = schemathesis(root, schema.clone(), token.clone()).await;
    // Schemathesis 4.32.5 sometimes crashes inside its own coverage phase
    // (a `KeyError` in its generator, once per few dozen runs with two
    // workers) and reports that operation as an error, not a failure. Such a
    // crash says nothing about our server: run once more. A failed check
    // (a finding) is never retried.
    if tool_crash_only(&out) {
        eprintln!(
            "schemathesis crashed internally (no failed check); running it once more:\n{}",
            String::from_utf8_lossy(&out.stdout)
        );
        out = schemathesis(root, schema, token).await;
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "Schemathesis found disagreements:\n{stdout}\n{stderr}"
    );
    let tested: usize = stdout
        .lines()
        .find_map(|l| l.trim().strip_prefix("Tested: "))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0);
    assert!(
        tested >= 30,
        "Schemathesis tested every documented operation but the two excluded ({tested}): {stdout}"
    );
    app.stop().await;
}

/// A run that ended badly only because Schemathesis itself raised a
/// `KeyError`, with no check failed (its summary counts failures as
/// `N failed`; the traceback it prints may hold the word anywhere).
fn tool_crash_only(out: &std::process::Output) -> bool {
    let text = String::from_utf8_lossy(&out.stdout);
    let words: Vec<&str> = text.split_whitespace().collect();
    let failed_count = words
        .windows(2)
        .any(|w| w[1] == "failed" && w[0].chars().all(|c| c.is_ascii_digit()));
    !out.status.success() && text.contains("KeyError") && !failed_count
}

/// One Schemathesis run against `schema` with an admin token.
async fn schemathesis(root: &'static str, schema: String, token: String) -> std::process::Output {
    tokio::task::spawn_blocking(move || {
        std::process::Command::new("st")
            .args([
                "--config-file",
                &format!("{root}/tests/schemathesis/schemathesis.toml"),
                "run",
                &schema,
            ])
            .args(["-H", &format!("Authorization: Bearer {token}")])
            // An endless stream and the end of our own session are not for a fuzzer.
            .args([
                "--exclude-path",
                "/api/events",
                "--exclude-path",
                "/api/auth/logout",
            ])
            .args([
                "--max-examples",
                MAX_EXAMPLES,
                "--seed",
                SEED,
                // One worker: with two, Hypothesis's lambda-source caches are
                // shared by two threads, and two of its ASTs built at once trip
                // CPython 3.11's per-interpreter depth counter ("AST
                // constructor recursion depth mismatch", twice in a row on 3
                // Dec 2026, Hypothesis 6.170.17), or raise the `KeyError`
                // retried below.
                "--workers",
                "1",
                "--no-color",
            ])
            .current_dir(std::env::temp_dir())
            .output()
    })
    .await
    .unwrap()
    .expect("schemathesis (`st`) must be installed: scripts/test installs the pinned version")
}
