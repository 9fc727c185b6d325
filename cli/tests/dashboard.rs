//! The dashboard in a real browser: `wasmfn dev` on a copy of examples/hello-js (with a
//! schedule), driven by Debian's chromium through playwright-core (`tests/browser/`): the list,
//! an invoke from the form, a live reload to version 2, a build error, a schedule fired by
//! hand. The screenshot lands in `target/dashboard.png`.

use wasmfn_test_support as support;

use std::{process::Command, time::Duration};

use support::request as http;
use support::{Server, repo_root};

/// The binary under test.
const WASMFN: &str = env!("CARGO_BIN_EXE_wasmfn");

#[test]
fn the_dashboard_lists_invokes_reloads_live_shows_build_errors_and_fires_a_schedule() {
    let (functions, function) =
        support::example_copy("hello-js", &["package.json", "src/index.js"]);
    let example = repo_root().join("examples/hello-js");
    // A schedule that never ticks during the test: firing it by hand is the only way it runs.
    let manifest = std::fs::read_to_string(example.join("manifest.yaml")).unwrap();
    let manifest = format!("{manifest}\nhooks:\n  - type: schedule\n    cron: \"0 0 1 1 *\"\n");
    std::fs::write(function.join("manifest.yaml"), manifest).unwrap();

    let server = Server::start(WASMFN, &["dev", functions.path().to_str().unwrap()], &[]);
    // The first build may have to compile the engine (minutes when cold).
    server.wait_for("the first build", Duration::from_secs(20 * 60), || {
        let (_, info) = http(&server.addr, "GET", "/api/functions/hello-js", "");
        (info["status"] == "ready").then_some(())
    });
    assert!(server.log().contains("/_wasmfn/"), "dev mode names the dashboard: {}", server.log());

    let screenshot = repo_root().join("target/dashboard.png");
    let output = Command::new("node")
        .arg(repo_root().join("cli/tests/browser/dashboard.mjs"))
        .env("WASMFN_URL", format!("http://{}", server.addr))
        .env("FUNCTION_DIR", &function)
        .env("SCREENSHOT", &screenshot)
        .current_dir(repo_root())
        .output()
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the browser test failed:\n{stdout}\n{stderr}\nserver log:\n{}",
        server.log()
    );
    assert!(screenshot.is_file());

    // What the page did shows in the history and the metrics too.
    let (status, calls) = http(&server.addr, "GET", "/api/functions/hello-js/calls", "");
    assert_eq!(status, 200, "{calls}");
    let triggers: Vec<&str> =
        calls["calls"].as_array().unwrap().iter().filter_map(|c| c["trigger"].as_str()).collect();
    assert!(triggers.contains(&"schedule") && triggers.contains(&"http"), "{calls}");
    let (_, metrics) = support::http::request_text(&server.addr, "GET", "/metrics");
    let failed_builds = metrics
        .lines()
        .find(|line| line.starts_with("wasmfn_builds_total{") && line.contains("result=\"error\""))
        .and_then(|line| line.rsplit(' ').next()?.parse::<f64>().ok());
    assert!(failed_builds >= Some(1.0), "{metrics}");
}
