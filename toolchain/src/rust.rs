//! `cargo build` of a Rust guest crate for wasm.

use std::{
    io::{BufRead, BufReader},
    path::PathBuf,
    process::{Command, Stdio},
};

use super::{Toolchain, ToolchainSearch};

/// The target Rust guests build for.
pub const WASM_TARGET: &str = "wasm32-unknown-unknown";

/// Why a guest could not be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// No toolchain on this machine can build wasm.
    #[error(
        "cannot build {crate_dir} for wasm: no toolchain here can build {WASM_TARGET}.\n\
         Tried:\n  - {tried}\n\
         Fix one of:\n  \
         - with rustup: `rustup target add {WASM_TARGET}`\n  \
         - on Debian/Ubuntu: `apt-get install rustc-web cargo-web rust-web-src lld-19` \
         (or run scripts/setup in the wasmfn repository)",
        crate_dir = crate_dir.display(),
        tried = tried.join("\n  - ")
    )]
    NoToolchain {
        /// The crate that was to be built.
        crate_dir: PathBuf,
        /// Each toolchain looked for, and why it did not fit.
        tried: Vec<String>,
    },
    /// cargo could not be started.
    #[error("cannot run cargo for {}: {source}", crate_dir.display())]
    Spawn {
        /// The crate that was to be built.
        crate_dir: PathBuf,
        /// What the OS said.
        #[source]
        source: std::io::Error,
    },
    /// cargo ran and failed; its diagnostics went to stderr.
    #[error("building {} for wasm failed ({status}); see cargo's errors above", crate_dir.display())]
    Failed {
        /// The crate that failed to build.
        crate_dir: PathBuf,
        /// cargo's exit status.
        status: std::process::ExitStatus,
    },
    /// The `.wasm` could not be copied to the requested output.
    #[error("cannot copy {} to {}: {source}", from.display(), to.display())]
    Copy {
        /// What cargo built.
        from: PathBuf,
        /// Where it was to go.
        to: PathBuf,
        /// What the OS said.
        #[source]
        source: std::io::Error,
    },
    /// cargo succeeded but produced no `.wasm` (the crate is not a `cdylib`).
    #[error(
        "building {} produced no .wasm: add `[lib] crate-type = [\"cdylib\"]` to its Cargo.toml",
        crate_dir.display()
    )]
    NoArtifact {
        /// The crate that was built.
        crate_dir: PathBuf,
    },
}

/// A release build of a Rust guest crate (a `cdylib`) for wasm.
#[derive(Clone, Debug)]
pub struct RustGuestBuild {
    crate_dir: PathBuf,
    target_dir: Option<PathBuf>,
    output: Option<PathBuf>,
    search: ToolchainSearch,
    quiet: bool,
}

impl RustGuestBuild {
    /// A build of the crate in `crate_dir`.
    pub fn new(crate_dir: impl Into<PathBuf>) -> Self {
        Self {
            crate_dir: crate_dir.into(),
            target_dir: None,
            output: None,
            search: ToolchainSearch::default(),
            quiet: false,
        }
    }

    /// Builds into `dir` instead of the crate's own `target/` (guests sharing one target dir
    /// share their compiled dependencies, std included).
    pub fn with_target_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.target_dir = Some(dir.into());
        self
    }

    /// Copies the built `.wasm` to `path` (a manifest's `build.output`, say), replacing it in
    /// one step (written beside it, then renamed), so a watcher never sees half a file.
    pub fn with_output(mut self, path: impl Into<PathBuf>) -> Self {
        self.output = Some(path.into());
        self
    }

    /// Looks for toolchains with `search` instead of the default places.
    pub fn with_search(mut self, search: ToolchainSearch) -> Self {
        self.search = search;
        self
    }

    /// Passes `--quiet` to cargo (errors are still shown).
    pub fn with_quiet(mut self, quiet: bool) -> Self {
        self.quiet = quiet;
        self
    }

    /// The toolchain the build would use.
    pub fn toolchain(&self) -> Result<Toolchain, BuildError> {
        self.search
            .find(&self.crate_dir)
            .map_err(|tried| BuildError::NoToolchain { crate_dir: self.crate_dir.clone(), tried })
    }

    /// Builds the crate and returns the path of its `.wasm` (the output, when one is set).
    /// cargo's progress and diagnostics go to stderr.
    pub fn run(&self) -> Result<PathBuf, BuildError> {
        let toolchain = self.toolchain()?;
        let mut cargo = cargo_command(&toolchain);
        cargo
            .current_dir(&self.crate_dir)
            .args(["build", "--release", "--target", WASM_TARGET])
            .arg("--message-format=json-render-diagnostics")
            .stdout(Stdio::piped());
        if self.quiet {
            cargo.arg("--quiet");
        }
        if let Some(dir) = &self.target_dir {
            cargo.arg("--target-dir").arg(dir);
        }
        tracing::debug!(crate_dir = %self.crate_dir.display(), ?toolchain, "building guest");

        let spawn_error = |source| BuildError::Spawn { crate_dir: self.crate_dir.clone(), source };
        let mut child = cargo.spawn().map_err(spawn_error)?;
        let stdout = child.stdout.take().expect("stdout is piped");
        let wasm = BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .filter_map(|line| wasm_artifact(&line))
            .last();
        let status = child.wait().map_err(spawn_error)?;
        if !status.success() {
            return Err(BuildError::Failed { crate_dir: self.crate_dir.clone(), status });
        }
        let wasm =
            wasm.ok_or_else(|| BuildError::NoArtifact { crate_dir: self.crate_dir.clone() })?;
        match &self.output {
            Some(output) if *output != wasm => {
                let output = self.crate_dir.join(output);
                replace_file(&wasm, &output).map_err(|source| BuildError::Copy {
                    from: wasm,
                    to: output.clone(),
                    source,
                })?;
                Ok(output)
            }
            _ => Ok(wasm),
        }
    }
}

/// Copies `from` over `to` in one step (see [`super::write_replacing`]).
fn replace_file(from: &std::path::Path, to: &std::path::Path) -> std::io::Result<()> {
    super::write_replacing(to, &std::fs::read(from)?)
}

fn cargo_command(toolchain: &Toolchain) -> Command {
    let mut cargo = toolchain_command(toolchain);
    // C code in guests (QuickJS in the JS engine) is compiled with clang for wasm; Debian
    // names its tools with the LLVM version. An explicit setting wins.
    for (var, tool) in
        [("CC_wasm32_unknown_unknown", "clang-19"), ("AR_wasm32_unknown_unknown", "llvm-ar-19")]
    {
        if std::env::var_os(var).is_none() && super::find_on_path(tool).is_some() {
            cargo.env(var, tool);
        }
    }
    cargo
}

fn toolchain_command(toolchain: &Toolchain) -> Command {
    match toolchain {
        Toolchain::Rustup { name } => {
            let mut cargo = Command::new("cargo");
            cargo.env("RUSTUP_TOOLCHAIN", name);
            cargo
        }
        Toolchain::DebianBuildStd { cargo: cargo_bin, rustc, linker } => {
            let mut cargo = Command::new(cargo_bin);
            cargo
                // Debian's stable cargo only accepts -Z flags when told it is bootstrapping.
                .env("RUSTC_BOOTSTRAP", "1")
                .env("RUSTC", rustc)
                .env_remove("RUSTUP_TOOLCHAIN")
                .env("CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER", linker)
                .arg("-Zbuild-std=std,panic_abort");
            cargo
        }
    }
}

/// The `.wasm` a cargo JSON message announces, if it is a compiler artifact with one.
fn wasm_artifact(line: &str) -> Option<PathBuf> {
    let message: serde_json::Value = serde_json::from_str(line).ok()?;
    if message["reason"] != "compiler-artifact" {
        return None;
    }
    message["filenames"]
        .as_array()?
        .iter()
        .filter_map(|f| f.as_str())
        .find(|f| f.ends_with(".wasm"))
        .map(PathBuf::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_wasm_among_cargo_messages() {
        let artifact = r#"{"reason":"compiler-artifact","filenames":["/t/libx.rlib","/t/x.wasm"]}"#;
        assert_eq!(wasm_artifact(artifact), Some(PathBuf::from("/t/x.wasm")));
        assert_eq!(wasm_artifact(r#"{"reason":"build-finished","success":true}"#), None);
        assert_eq!(wasm_artifact("Compiling x"), None);
    }

    #[test]
    fn no_toolchain_is_an_actionable_error() {
        let empty = tempfile::tempdir().unwrap();
        let search = ToolchainSearch::default()
            .with_rustup(empty.path().join("no-rustup"))
            .with_debian_prefix(empty.path());
        let err = RustGuestBuild::new(empty.path()).with_search(search).run().unwrap_err();
        assert!(matches!(err, BuildError::NoToolchain { .. }), "{err:?}");
        let message = err.to_string();
        assert!(message.contains("rustup target add wasm32-unknown-unknown"), "{message}");
        assert!(message.contains("apt-get install rustc-web"), "{message}");
        assert!(message.contains("no-rustup"), "says what was tried: {message}");
    }
}
