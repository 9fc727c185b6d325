//! `wasmfn serve` under load next to a plain axum JSON echo, driven by wrk, in one run:
//! `cargo bench -p wasmfn-cli --bench load` (release build of the CLI; needs wrk, which
//! scripts/setup installs). Numbers in docs/benchmarks.md.
//!
//! Both servers answer `POST` with `{"name":"world"}`: the plain handler echoes it
//! (`Json<Value> -> Json<Value>`), `wasmfn serve` calls hello-rust with it. wrk -t2 -c32 for 5 s
//! each, alternating, three rounds; then once more at 64 connections for the tail latency.
//! Set `LOAD_FUNCTION=echo` to call the testbed's echo instead (the same work as the plain
//! handler), `LOAD_ROUNDS` and `LOAD_SECONDS` to change the run.

use std::process::Command;

use axum::{Json, Router, routing::post};
use serde_json::Value;
use wasmfn_test_support::{
    self as support, FunctionsDir, Server,
    wrk::{self, Wrk},
};

fn main() {
    if std::env::args().any(|a| a == "--plain") {
        return plain_echo();
    }
    if !wrk::available() {
        eprintln!("wrk is not installed (scripts/setup installs it)");
        std::process::exit(1);
    }
    let rounds: usize = std::env::var("LOAD_ROUNDS").ok().and_then(|r| r.parse().ok()).unwrap_or(3);
    let seconds = std::env::var("LOAD_SECONDS").unwrap_or_else(|_| "5".to_owned());
    let function = std::env::var("LOAD_FUNCTION").unwrap_or_else(|_| "hello-rust".to_owned());

    let dir = FunctionsDir::new();
    match function.as_str() {
        "echo" => drop(dir.add_testbed("echo", "export: echo\n")),
        _ => {
            let hello = support::example("hello-rust");
            drop(dir.add("hello-rust", "", &std::fs::read(&hello.artifact).unwrap()));
        }
    }
    let server =
        Server::start(env!("CARGO_BIN_EXE_wasmfn"), &["serve", dir.path().to_str().unwrap()], &[]);

    // The plain handler in a process of its own too, on a runtime like serve's (one worker
    // per core): this bench binary, started again with `--plain`.
    let mut plain = support::KillOnDrop(
        Command::new(std::env::current_exe().unwrap())
            .arg("--plain")
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let plain_addr = {
        use std::io::BufRead;
        let stdout = plain.0.stdout.take().unwrap();
        let mut line = String::new();
        std::io::BufReader::new(stdout).read_line(&mut line).unwrap();
        line.trim().to_owned()
    };

    let script_file = wrk::script("POST", r#"{"name":"world"}"#);
    let script = script_file.to_path_buf();
    let targets = [
        ("plain axum JSON echo", format!("http://{plain_addr}/echo")),
        (
            &*format!("`wasmfn serve`, {function}"),
            format!("http://{}/api/functions/{function}", server.addr),
        ),
    ];
    let duration = format!("-d{seconds}s");
    let mut results: Vec<Vec<Wrk>> = vec![Vec::new(); targets.len()];
    for _ in 0..rounds {
        for (i, (_, url)) in targets.iter().enumerate() {
            results[i].push(wrk::run(url, &["-t2", "-c32", &duration], Some(&script)));
        }
    }
    let tail: Vec<Wrk> = targets
        .iter()
        .map(|(_, url)| wrk::run(url, &["-t2", "-c64", &duration], Some(&script)))
        .collect();

    let title = format!("wrk -t2 -c32 {duration}, {rounds} rounds alternating");
    let rows: Vec<(&str, &[Wrk])> =
        targets.iter().zip(&results).map(|((name, _), runs)| (*name, runs.as_slice())).collect();
    wrk::print_rounds(&title, &rows);
    println!("\n| wrk -t2 -c64 {duration} | req/s | p50 ms | p99 ms | p99 vs plain |");
    println!("| --- | ---: | ---: | ---: | ---: |");
    for ((name, _), run) in targets.iter().zip(&tail) {
        println!(
            "| {name} | {:.0} | {:.2} | {:.2} | {:.2}x |",
            run.rps,
            run.p50_ms,
            run.p99_ms,
            run.p99_ms / tail[0].p99_ms
        );
    }
    drop(server);
    drop(plain);
}

/// The plain handler's process: prints its address, serves until killed.
fn plain_echo() {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let app = Router::new().route("/echo", post(|Json(v): Json<Value>| async move { Json(v) }));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        println!("{}", listener.local_addr().unwrap());
        axum::serve(listener, app).await.unwrap();
    });
}
