//! A real PostgreSQL server for a test: a throwaway cluster (initdb into a temporary folder,
//! `pg_ctl` on a free loopback port, run as the `postgres` user when the test runs as root,
//! since the server refuses root), stopped when the value drops. With
//! `WASMFN_TEST_DATABASE_URL` set, a fresh database on that server instead.

use std::{
    path::{Path, PathBuf},
    process::Command,
};

/// A PostgreSQL server the test owns.
pub struct Postgres {
    url: String,
    cluster: Option<Cluster>,
}

struct Cluster {
    dir: tempfile::TempDir,
    port: u16,
    bin: PathBuf,
}

impl Postgres {
    /// Starts a cluster (about 2 s), or makes a database on `WASMFN_TEST_DATABASE_URL`.
    pub fn start() -> Self {
        if let Ok(url) = std::env::var("WASMFN_TEST_DATABASE_URL") {
            return Self { url: fresh_database(&url), cluster: None };
        }
        let bin = server_bin();
        let dir = tempfile::Builder::new().prefix("wasmfn-pg").tempdir().unwrap();
        if is_root() {
            let status = Command::new("chown").arg("postgres:postgres").arg(dir.path()).status();
            assert!(status.unwrap().success(), "chown postgres {}", dir.path().display());
        }
        let data = dir.path().join("data");
        let initdb = as_postgres(&bin.join("initdb"))
            .arg("-D")
            .arg(&data)
            .args(["-A", "trust", "-U", "postgres", "--no-sync"])
            .output()
            .unwrap();
        assert!(initdb.status.success(), "initdb: {}", String::from_utf8_lossy(&initdb.stderr));
        let port = free_port();
        let cluster = Cluster { dir, port, bin };
        cluster.pg_ctl_start();
        let url = format!("postgres://postgres@127.0.0.1:{port}/postgres");
        Self { url, cluster: Some(cluster) }
    }

    /// The database's URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Stops the server (fast shutdown: connections are closed), to test what happens while
    /// the database is away. Only for a cluster of the test's own.
    pub fn stop(&self) {
        let cluster = self.cluster.as_ref().expect("a cluster of the test's own");
        cluster.pg_ctl(&["stop", "-m", "fast", "-w"]);
    }

    /// Starts the server again after [`stop`](Self::stop), on the same port.
    pub fn restart(&self) {
        self.cluster.as_ref().expect("a cluster of the test's own").pg_ctl_start();
    }

    /// Runs `sql` with `psql` and returns its output (unaligned, tuples only).
    pub fn query(&self, sql: &str) -> String {
        let output = Command::new(psql())
            .args(["-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", &self.url, "-c", sql])
            .output()
            .unwrap();
        assert!(output.status.success(), "psql {sql}: {}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8_lossy(&output.stdout).trim().to_owned()
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        if let Some(cluster) = &self.cluster {
            cluster.pg_ctl(&["stop", "-m", "immediate", "-w"]);
        }
    }
}

impl Cluster {
    fn pg_ctl_start(&self) {
        let dir = self.dir.path().display().to_string();
        let options =
            format!("-p {} -k {dir} -c listen_addresses=127.0.0.1 -c fsync=off", self.port);
        let log = self.dir.path().join("log");
        let args = ["start", "-w", "-t", "60", "-l", log.to_str().unwrap(), "-o", &options];
        self.pg_ctl(&args);
    }

    fn pg_ctl(&self, args: &[&str]) {
        let data = self.dir.path().join("data");
        let output =
            as_postgres(&self.bin.join("pg_ctl")).arg("-D").arg(&data).args(args).output().unwrap();
        let log = std::fs::read_to_string(self.dir.path().join("log")).unwrap_or_default();
        assert!(
            output.status.success() || args[0] == "stop",
            "pg_ctl {args:?}: {}\n{log}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

/// The newest installed server's `bin` folder (Debian: /usr/lib/postgresql/<version>/bin).
fn server_bin() -> PathBuf {
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .expect("PostgreSQL's server is installed (scripts/setup installs it)")
        .filter_map(|entry| Some(entry.ok()?.path().join("bin")))
        .filter(|bin| bin.join("initdb").exists())
        .collect();
    versions.sort_by_key(|bin| {
        bin.parent().and_then(|v| v.file_name()?.to_str()?.parse::<u32>().ok()).unwrap_or(0)
    });
    versions.pop().expect("an initdb under /usr/lib/postgresql/*/bin")
}

fn psql() -> PathBuf {
    let bin = server_bin().join("psql");
    if bin.exists() { bin } else { PathBuf::from("psql") }
}

fn is_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    // /proc/self belongs to the process's effective user.
    std::fs::metadata("/proc/self").is_ok_and(|proc| proc.uid() == 0)
}

/// `program`, run as the `postgres` user when we are root.
fn as_postgres(program: &Path) -> Command {
    if is_root() {
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--"]).arg(program);
        command
    } else {
        Command::new(program)
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A new database on the server at `url`, and its URL.
fn fresh_database(url: &str) -> String {
    let name = format!("wasmfn_test_{}_{}", std::process::id(), rand_suffix());
    let output = Command::new(psql())
        .args(["-X", "-d", url, "-c", &format!("CREATE DATABASE {name}")])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let (base, query) = url.split_once('?').map_or((url, None), |(b, q)| (b, Some(q)));
    let base = base.rsplit_once('/').map_or(base, |(server, _)| server);
    match query {
        Some(query) => format!("{base}/{name}?{query}"),
        None => format!("{base}/{name}"),
    }
}

fn rand_suffix() -> u64 {
    use std::hash::{BuildHasher, RandomState};
    RandomState::new().hash_one(std::time::SystemTime::now())
}
