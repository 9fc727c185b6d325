//! `wasmfn serve` and `wasmfn dev` as operators and hostile clients meet them: real server
//! processes, real signals, real sockets that never finish their requests.

use wasmfn_test_support as support;

use std::{
    io::{Read, Write},
    net::TcpStream,
    path::{Path, PathBuf},
    process::Command,
    time::{Duration, Instant},
};

use nix::{sys::signal::Signal, unistd::Pid};
use support::request as http;
use support::{Server, Stderr};

/// The binary under test.
const WASMFN: &str = env!("CARGO_BIN_EXE_wasmfn");

/// A folder with one node process function per `(name, script)`.
fn process_functions(functions: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, script) in functions {
        let folder = dir.path().join(name);
        std::fs::create_dir(&folder).unwrap();
        let manifest = format!("name: {name}\nruntime: process\nprocess:\n  entry: main.js\n");
        std::fs::write(folder.join("manifest.yaml"), manifest).unwrap();
        std::fs::write(folder.join("main.js"), script).unwrap();
    }
    dir
}

/// Writes its pid to `started` in its folder, then answers after `ms` milliseconds.
fn slow_script(ms: u64) -> String {
    format!(
        "require('node:fs').writeFileSync('started', String(process.pid)); \
         setTimeout(() => process.stdout.write(JSON.stringify({{ finished: true }})), {ms});"
    )
}

fn pid_in(file: &Path) -> Option<i32> {
    std::fs::read_to_string(file).ok()?.trim().parse().ok()
}

fn running(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .is_ok_and(|stat| stat.rsplit(')').next().is_some_and(|rest| !rest.starts_with(" Z")))
}

fn signal(server: &mut Server, signal: Signal) {
    let pid = Pid::from_raw(server.process().id() as i32);
    nix::sys::signal::kill(pid, signal).unwrap();
}

/// Waits for the server to exit; its exit code.
fn exit_code(server: &mut Server, patience: Duration) -> Option<i32> {
    let started = Instant::now();
    loop {
        if let Some(status) = server.process().try_wait().unwrap() {
            return status.code();
        }
        assert!(started.elapsed() < patience, "still running; log:\n{}", server.log());
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn wait_until(what: &str, patience: Duration, done: impl Fn() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(started.elapsed() < patience, "no {what} within {patience:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn sigterm_lets_calls_in_flight_finish_then_exits_zero() {
    let dir = process_functions(&[("slow", &slow_script(1500))]);
    let mut server = Server::start(WASMFN, &["serve", dir.path().to_str().unwrap()], &[]);
    let addr = server.addr.clone();
    let call = std::thread::spawn(move || http(&addr, "POST", "/api/functions/slow", "{}"));
    let started = dir.path().join("slow/started");
    wait_until("call in flight", Duration::from_secs(30), || pid_in(&started).is_some());

    signal(&mut server, Signal::SIGTERM);
    assert_eq!(call.join().unwrap(), (200, serde_json::json!({ "finished": true })));
    assert_eq!(exit_code(&mut server, Duration::from_secs(30)), Some(0), "{}", server.log());
    let log = server.log();
    assert!(log.contains("stopping on SIGTERM") && log.contains("stopped"), "{log}");
    assert!(TcpStream::connect(&server.addr).is_err(), "no longer accepting");
}

#[test]
fn past_the_grace_period_running_processes_are_killed_and_the_server_exits_zero() {
    let dir = process_functions(&[("stuck", &slow_script(600_000))]);
    let args = ["serve", dir.path().to_str().unwrap(), "--shutdown-grace", "500ms"];
    let mut server = Server::start(WASMFN, &args, &[]);
    let addr = server.addr.clone();
    let _call = std::thread::spawn(move || http(&addr, "POST", "/api/functions/stuck", "{}"));
    let started = dir.path().join("stuck/started");
    wait_until("call in flight", Duration::from_secs(30), || pid_in(&started).is_some());
    let pid = pid_in(&started).unwrap();

    signal(&mut server, Signal::SIGINT);
    assert_eq!(exit_code(&mut server, Duration::from_secs(30)), Some(0), "{}", server.log());
    wait_until("the process killed", Duration::from_secs(5), || !running(pid));
}

#[test]
fn sigterm_in_dev_mode_stops_a_running_build_with_everything_it_started() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("building");
    std::fs::create_dir(&folder).unwrap();
    let build = "build:\n  command: sh\n  args: [-c, 'sleep 600 & echo $! > sleeper.pid; wait']\n  \
                 output: plugin.wasm\n";
    std::fs::write(folder.join("manifest.yaml"), format!("name: building\n{build}")).unwrap();
    let mut server = Server::start(WASMFN, &["dev", dir.path().to_str().unwrap()], &[]);
    let sleeper = folder.join("sleeper.pid");
    wait_until("the build running", Duration::from_secs(30), || pid_in(&sleeper).is_some());
    let pid = pid_in(&sleeper).unwrap();

    signal(&mut server, Signal::SIGTERM);
    assert_eq!(exit_code(&mut server, Duration::from_secs(30)), Some(0), "{}", server.log());
    wait_until("the build's child killed", Duration::from_secs(5), || !running(pid));
}

/// Opens `count` connections to `addr` that send `prefix` and then nothing.
fn stalled_connections(addr: &str, count: usize, prefix: &[u8]) -> Vec<TcpStream> {
    (0..count)
        .map(|_| {
            let mut stream = TcpStream::connect(addr).unwrap();
            stream.write_all(prefix).unwrap();
            stream
        })
        .collect()
}

/// Whether the server closed `stream` (EOF or reset) within `patience`.
fn closed_by_server(stream: &mut TcpStream, patience: Duration) -> bool {
    stream.set_read_timeout(Some(patience)).unwrap();
    let mut buffer = [0; 1024];
    loop {
        match stream.read(&mut buffer) {
            Ok(0) => return true,
            Ok(_) => continue,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return false,
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => return false,
            Err(_) => return true,
        }
    }
}

fn hello_dir() -> tempfile::TempDir {
    process_functions(&[("hello", "process.stdout.write('{\"hello\":true}')")])
}

#[test]
fn idle_half_sent_and_slow_body_connections_are_closed_and_the_server_stays_reachable() {
    let dir = hello_dir();
    // Under an open-file limit of 256, 300 connections that never finish used to make the
    // server unreachable for good.
    let mut command = Command::new("prlimit");
    command.args(["--nofile=256:256", "--", WASMFN]);
    command.args(["serve", dir.path().to_str().unwrap()]);
    command.args(["--header-timeout", "1s", "--body-timeout", "1s"]);
    let server = Server::spawn(command, Stderr::Collected);

    let mut idle = stalled_connections(&server.addr, 150, b"");
    let mut half_sent =
        stalled_connections(&server.addr, 150, b"POST /api/functions/hello HTTP/1.1\r\nHo");
    // Reachable all along: the stalled connections are closed as their time runs out.
    let (status, body) = http(&server.addr, "POST", "/api/functions/hello", "{}");
    assert_eq!((status, body), (200, serde_json::json!({ "hello": true })), "{}", server.log());
    for stream in idle.iter_mut().chain(half_sent.iter_mut()).take(300) {
        assert!(closed_by_server(stream, Duration::from_secs(30)), "{}", server.log());
    }

    // A body that starts and never ends: 408 with a JSON error.
    let mut slow = TcpStream::connect(&server.addr).unwrap();
    slow.write_all(
        b"POST /api/functions/hello HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"a\"",
    )
    .unwrap();
    slow.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut response = String::new();
    let _ = slow.read_to_string(&mut response);
    assert!(response.starts_with("HTTP/1.1 408"), "{response}");
    assert!(response.contains("\"code\":\"request_timeout\""), "{response}");
    assert_eq!(http(&server.addr, "POST", "/api/functions/hello", "{}").0, 200);
}

#[test]
fn past_the_connection_limit_new_connections_wait_instead_of_failing() {
    let dir = hello_dir();
    let args = ["serve", dir.path().to_str().unwrap(), "--max-connections", "4"];
    let args = [&args[..], &["--header-timeout", "1s"]].concat();
    let server = Server::start(WASMFN, &args, &[]);
    let mut held = stalled_connections(&server.addr, 4, b"");
    // Queued until one of the four times out, then served.
    assert_eq!(http(&server.addr, "POST", "/api/functions/hello", "{}").0, 200);
    assert!(held.iter_mut().any(|s| closed_by_server(s, Duration::from_secs(30))));
    // Any other path: a JSON 404 too.
    let (status, body) = http(&server.addr, "GET", "/favicon.ico", "");
    assert_eq!((status, &body["error"]["code"]), (404, &serde_json::json!("route_not_found")));
}

/// A process function runs as the host's user, who may read `/proc/<host>/environ`: every
/// secret in the host's environment. The host makes itself non-dumpable, which closes that
/// to processes without CAP_SYS_PTRACE. Root has it, so the server runs as `nobody` here.
#[test]
fn a_process_function_cannot_read_the_hosts_environment() {
    let script = "let read; try { read = require('node:fs').readFileSync(`/proc/${process.ppid}/environ`, 'utf8'); } \
                  catch (e) { read = e.code; } process.stdout.write(JSON.stringify({ read }));";
    let dir = process_functions(&[("snoop", script)]);
    make_world_readable(dir.path());
    let mut command = if nix_is_root() {
        let mut setpriv = Command::new("setpriv");
        setpriv.args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"]);
        setpriv.arg(WASMFN);
        setpriv
    } else {
        Command::new(WASMFN)
    };
    command.args(["serve", dir.path().to_str().unwrap()]).env("WEBHOOK_SECRET", "hunter2");
    let server = Server::spawn(command, Stderr::Collected);
    let (status, body) = http(&server.addr, "POST", "/api/functions/snoop", "{}");
    assert_eq!(status, 200, "{body}; {}", server.log());
    assert!(!body.to_string().contains("hunter2"), "{body}");
    assert_eq!(body["read"], "EACCES", "{body}");
}

fn nix_is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .unwrap()
        .lines()
        .find_map(|line| line.strip_prefix("Uid:"))
        .is_some_and(|uids| uids.split_whitespace().next() == Some("0"))
}

fn make_world_readable(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let mut paths: Vec<PathBuf> = vec![dir.to_path_buf()];
    while let Some(path) = paths.pop() {
        let mode = if path.is_dir() { 0o755 } else { 0o644 };
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        if path.is_dir() {
            paths.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
        }
    }
}
