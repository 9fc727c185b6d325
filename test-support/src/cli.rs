//! The `wasmfn` binary as a process: one-shot commands and servers. The binary's path comes
//! from the calling test (`env!("CARGO_BIN_EXE_wasmfn")`, only set in the CLI's own tests).

use std::{
    path::Path,
    process::{Command, Output},
    time::Duration,
};

use crate::http::request;

/// Runs `wasmfn` (at `binary`) with `args` to its end.
pub fn run(binary: &str, args: &[&str]) -> Output {
    Command::new(binary).args(args).output().expect("wasmfn runs")
}

/// A process's standard output, as text.
pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Kills the child when the test ends, even by a panic.
pub struct KillOnDrop(pub std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// What happens to a server's stderr after it printed its address.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Stderr {
    /// Read line by line into [`Server::log`].
    Collected,
    /// Left unread: the pipe fills up.
    Unread,
    /// Closed: writes fail.
    Closed,
}

/// A `wasmfn` server whose stderr lines are collected as they come.
pub struct Server {
    process: KillOnDrop,
    pub addr: String,
    log: std::sync::Arc<std::sync::Mutex<String>>,
    _unread: Option<Box<dyn Send>>,
}

impl Server {
    /// `wasmfn` (at `binary`) with `args` and `envs`, its stderr collected.
    pub fn start(binary: &str, args: &[&str], envs: &[(&str, &Path)]) -> Self {
        Self::start_with(binary, args, envs, Stderr::Collected)
    }

    /// [`start`](Self::start), with what happens to its stderr.
    pub fn start_with(binary: &str, args: &[&str], envs: &[(&str, &Path)], stderr: Stderr) -> Self {
        let mut command = Command::new(binary);
        command.args(args).envs(envs.iter().copied());
        Self::spawn(command, stderr)
    }

    /// Starts `command` (a `wasmfn serve` or `dev`, maybe behind a wrapper like `prlimit`) on a
    /// free loopback port.
    pub fn spawn(mut command: Command, stderr: Stderr) -> Self {
        use std::io::BufRead;
        let mut process = KillOnDrop(
            command
                .args(["--addr", "127.0.0.1:0"])
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap(),
        );
        let mut lines = std::io::BufReader::new(process.0.stderr.take().unwrap()).lines();
        let log = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let mut addr = None;
        for line in lines.by_ref().map_while(Result::ok) {
            log.lock().unwrap().push_str(&format!("{line}\n"));
            if let Some(a) = line.split("http://").nth(1) {
                addr = Some(a.split_whitespace().next().unwrap().to_owned());
                break;
            }
        }
        let addr = addr.unwrap_or_else(|| panic!("no address printed:\n{}", log.lock().unwrap()));
        let unread: Option<Box<dyn Send>> = match stderr {
            Stderr::Collected => {
                let sink = std::sync::Arc::clone(&log);
                std::thread::spawn(move || {
                    for line in lines.map_while(Result::ok) {
                        sink.lock().unwrap().push_str(&format!("{line}\n"));
                    }
                });
                None
            }
            Stderr::Unread => Some(Box::new(lines)),
            Stderr::Closed => None,
        };
        Self { process, addr, log, _unread: unread }
    }

    pub fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// The server's process.
    pub fn process(&mut self) -> &mut std::process::Child {
        &mut self.process.0
    }

    /// Polls `probe` until it returns `Some`, panicking with the server's log after `patience`.
    pub fn wait_for<T>(&self, what: &str, patience: Duration, probe: impl Fn() -> Option<T>) -> T {
        let started = std::time::Instant::now();
        loop {
            if let Some(found) = probe() {
                return found;
            }
            if started.elapsed() > patience {
                panic!("no {what} within {patience:?}; server log:\n{}", self.log());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn message(&self) -> Option<String> {
        let (status, body) =
            request(&self.addr, "POST", "/api/functions/hello-rust", r#"{"name":"Ada"}"#);
        (status == 200).then(|| body["message"].as_str().unwrap().to_owned())
    }
}
