//! Load from wrk (a separate process, so the client's cost is not the server's): requests per
//! second and latency percentiles, for the benches that compare wasmfn with a plain handler.

use std::{path::PathBuf, process::Command};

/// What one wrk run measured.
#[derive(Clone, Copy, Debug)]
pub struct Wrk {
    pub rps: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
}

/// Whether wrk is installed (scripts/setup installs it).
pub fn available() -> bool {
    Command::new("wrk").arg("--version").output().is_ok()
}

/// A Lua script making wrk send `method` with `body` as JSON; keep the path while it is used.
pub fn script(method: &str, body: &str) -> tempfile::TempPath {
    let file = tempfile::Builder::new().suffix(".lua").tempfile().unwrap();
    let lua = format!(
        "wrk.method = {method:?}\nwrk.body = {body:?}\nwrk.headers[\"Content-Type\"] = \"application/json\"\n"
    );
    std::fs::write(file.path(), lua).unwrap();
    file.into_temp_path()
}

/// Runs `wrk --latency` with `args` (threads, connections, duration, maybe `-s script`) on
/// `url`; panics if any answer was not 2xx/3xx or a socket failed.
pub fn run(url: &str, args: &[&str], script: Option<&PathBuf>) -> Wrk {
    let mut command = Command::new("wrk");
    command.args(args).arg("--latency");
    if let Some(script) = script {
        command.arg("-s").arg(script);
    }
    let output = command.arg(url).output().expect("wrk runs");
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success() && !text.contains("Non-2xx"), "{url}: {text}");
    assert!(!text.contains("Socket errors"), "{url}: {text}");
    let percentile = |prefix: &str| -> f64 {
        let line = text
            .lines()
            .find(|l| l.trim_start().starts_with(prefix))
            .unwrap_or_else(|| panic!("no {prefix} in {text}"));
        ms(line.trim_start()[prefix.len()..].split_whitespace().next().unwrap())
    };
    let rps = text
        .lines()
        .find_map(|l| l.strip_prefix("Requests/sec:"))
        .unwrap_or_else(|| panic!("no Requests/sec in {text}"))
        .trim()
        .parse()
        .unwrap();
    Wrk { rps, p50_ms: percentile("50%"), p99_ms: percentile("99%") }
}

/// The run with the median req/s.
pub fn median(runs: &[Wrk]) -> Wrk {
    let mut sorted = runs.to_vec();
    sorted.sort_by(|a, b| a.rps.total_cmp(&b.rps));
    sorted[sorted.len() / 2]
}

/// Prints, as a Markdown table headed `title`, each target's rounds and median run, and its
/// median req/s as a share of the first target's.
pub fn print_rounds(title: &str, targets: &[(&str, &[Wrk])]) {
    println!("| {title} | req/s per round | median | p50 ms | p99 ms | vs {} |", targets[0].0);
    println!("| --- | --- | ---: | ---: | ---: | ---: |");
    let base = median(targets[0].1).rps;
    for (name, runs) in targets {
        let m = median(runs);
        let all: Vec<String> = runs.iter().map(|r| format!("{:.0}", r.rps)).collect();
        println!(
            "| {name} | {} | {:.0} | {:.2} | {:.2} | {:.0} % |",
            all.join(" / "),
            m.rps,
            m.p50_ms,
            m.p99_ms,
            m.rps / base * 100.0
        );
    }
}

/// wrk's `812.00us`, `1.20ms`, `2.01s`, in milliseconds.
fn ms(value: &str) -> f64 {
    let split = value.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(value.len());
    let (number, unit) = value.split_at(split);
    let number: f64 = number.parse().unwrap();
    match unit {
        "us" => number / 1000.0,
        "s" => number * 1000.0,
        "m" => number * 60_000.0,
        _ => number,
    }
}
