//! From a source save to the new output answering, under a real `wasmfn dev`, for a JS
//! function (esbuild + append to the engine) next to a Rust one (cargo): `cargo bench -p
//! wasmfn-cli --bench dev_save` (numbers in docs/benchmarks.md).

use wasmfn_test_support as support;

use std::{
    path::Path,
    time::{Duration, Instant},
};

use support::request as http;
use support::{Server, repo_root};

/// The binary under test.
const WASMFN: &str = env!("CARGO_BIN_EXE_wasmfn");

fn main() {
    // Inside the checkout, so the JS function's npm packages resolve from its node_modules.
    let functions = tempfile::tempdir_in(repo_root().join("target")).unwrap();
    let copy = |name: &str, files: &[&str]| {
        let (from, to) = (repo_root().join("examples").join(name), functions.path().join(name));
        std::fs::create_dir_all(to.join("src")).unwrap();
        for file in files {
            std::fs::copy(from.join(file), to.join(file)).unwrap();
        }
        to
    };
    let js = copy("hello-js", &["manifest.yaml", "package.json", "src/index.js"]);
    let rust = copy("hello-rust", &["manifest.yaml", "src/lib.rs"]);
    let cargo_toml = std::fs::read_to_string(repo_root().join("examples/hello-rust/Cargo.toml"))
        .unwrap()
        .replace(
            "path = \"../../pdk/rust\"",
            &format!("path = {:?}", repo_root().join("pdk/rust")),
        );
    std::fs::write(rust.join("Cargo.toml"), cargo_toml).unwrap();

    let target = repo_root().join("target/guests");
    let server = Server::start(
        WASMFN,
        &["dev", functions.path().to_str().unwrap()],
        &[("CARGO_TARGET_DIR", &target)],
    );
    let ask = |function: &str, input: &str, field: &str| {
        let (status, body) =
            http(&server.addr, "POST", &format!("/api/functions/{function}"), input);
        (status == 200).then(|| body[field].as_str().unwrap_or_default().to_owned())
    };
    let js_output = || ask("hello-js", r#"{"title":"t"}"#, "title");
    let rust_output = || ask("hello-rust", r#"{"name":"Ada"}"#, "message");
    server
        .wait_for("first builds", Duration::from_secs(20 * 60), || js_output().and(rust_output()));

    let js_source = std::fs::read_to_string(js.join("src/index.js")).unwrap();
    let rust_source = std::fs::read_to_string(rust.join("src/lib.rs")).unwrap();
    let js_times = rounds(10, |i| {
        let text = js_source.replace("title,", &format!("title: title + \"{i}\","));
        save_and_wait(&js.join("src/index.js"), &text, || {
            js_output().filter(|t| *t == format!("t{i}"))
        })
    });
    let rust_times = rounds(5, |i| {
        let text = rust_source
            .replace("\"{greeting}, {name}!\"", &format!("\"{{greeting}}, {{name}}{i}\""));
        save_and_wait(&rust.join("src/lib.rs"), &text, || {
            rust_output().filter(|m| *m == format!("Hello, Ada{i}"))
        })
    });
    let (js_median, rust_median) = (median(js_times), median(rust_times));
    println!("| save → new output served (`wasmfn dev`) | median ms | vs JS |");
    println!("| --- | ---: | ---: |");
    println!(
        "| hello-js (esbuild + engine append + reload), 10 saves | {:.0} | 1.00x |",
        js_median * 1e3
    );
    println!(
        "| hello-rust (cargo release build + reload), 5 saves | {:.0} | {:.1}x |",
        rust_median * 1e3,
        rust_median / js_median
    );
}

fn rounds(n: usize, mut round: impl FnMut(usize) -> Duration) -> Vec<f64> {
    (1..=n).map(|i| round(i).as_secs_f64()).collect()
}

fn median(mut times: Vec<f64>) -> f64 {
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

/// Writes `text` to `file`, then polls every 5 ms until `done` sees the new output.
fn save_and_wait(file: &Path, text: &str, done: impl Fn() -> Option<String>) -> Duration {
    std::fs::write(file, text).unwrap();
    let saved = Instant::now();
    while done().is_none() {
        assert!(
            saved.elapsed() < Duration::from_secs(300),
            "no new output after saving {}",
            file.display()
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    saved.elapsed()
}
