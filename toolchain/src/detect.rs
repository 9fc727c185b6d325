//! Finding a toolchain that can build `wasm32-unknown-unknown`.

use std::{
    path::{Path, PathBuf},
    process::Command,
};

use super::WASM_TARGET;

/// A toolchain able to build wasm guests.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Toolchain {
    /// A rustup toolchain with the wasm target installed.
    Rustup {
        /// The toolchain's name (`stable`, `nightly-2026-05-01`, ...).
        name: String,
    },
    /// Debian's Rust with its std sources: std is rebuilt for wasm with `-Zbuild-std`.
    DebianBuildStd {
        /// Debian's `cargo`.
        cargo: PathBuf,
        /// Debian's `rustc`.
        rustc: PathBuf,
        /// The wasm linker (`wasm-ld-19`).
        linker: PathBuf,
    },
}

/// Where to look for toolchains. The default looks where rustup and Debian install them;
/// tests point it elsewhere.
#[derive(Clone, Debug)]
pub struct ToolchainSearch {
    rustup: PathBuf,
    debian_prefix: PathBuf,
}

impl Default for ToolchainSearch {
    fn default() -> Self {
        Self { rustup: PathBuf::from("rustup"), debian_prefix: PathBuf::from("/usr") }
    }
}

impl ToolchainSearch {
    /// Uses `rustup` as the rustup binary (a name on `PATH` or a path).
    pub fn with_rustup(mut self, rustup: impl Into<PathBuf>) -> Self {
        self.rustup = rustup.into();
        self
    }

    /// Looks for Debian's Rust under `prefix` instead of `/usr`.
    pub fn with_debian_prefix(mut self, prefix: impl Into<PathBuf>) -> Self {
        self.debian_prefix = prefix.into();
        self
    }

    /// The first toolchain that can build wasm for a crate in `crate_dir`, or what was tried.
    pub fn find(&self, crate_dir: &Path) -> Result<Toolchain, Vec<String>> {
        let mut tried = Vec::new();
        match self.rustup_with_wasm(crate_dir) {
            Ok(name) => return Ok(Toolchain::Rustup { name }),
            Err(why) => tried.push(why),
        }
        match self.debian() {
            Ok(toolchain) => return Ok(toolchain),
            Err(why) => tried.push(why),
        }
        Err(tried)
    }

    fn rustup_with_wasm(&self, crate_dir: &Path) -> Result<String, String> {
        let output = |args: &[&str]| {
            Command::new(&self.rustup)
                .args(args)
                .current_dir(crate_dir)
                .output()
                .ok()
                .filter(|o| o.status.success())
                .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        };
        let Some(list) = output(&["toolchain", "list"]) else {
            return Err(format!("rustup: `{}` not found", self.rustup.display()));
        };
        // The toolchain the crate selects (rust-toolchain.toml, override, default) first.
        let active = output(&["show", "active-toolchain"])
            .and_then(|s| s.split_whitespace().next().map(str::to_owned));
        let installed = list.lines().filter_map(|l| l.split_whitespace().next()).map(str::to_owned);
        let candidates: Vec<String> = active.into_iter().chain(installed).collect();
        for name in &candidates {
            let has_target = output(&["run", name, "rustc", "--print", "sysroot"])
                .map(|sysroot| Path::new(sysroot.trim()).join("lib/rustlib").join(WASM_TARGET))
                .is_some_and(|dir| dir.join("lib").is_dir());
            if has_target {
                return Ok(name.clone());
            }
        }
        Err(format!(
            "rustup: no installed toolchain has the {WASM_TARGET} target (looked at: {})",
            candidates.join(", ")
        ))
    }

    fn debian(&self) -> Result<Toolchain, String> {
        let prefix = &self.debian_prefix;
        let cargo = prefix.join("bin/cargo");
        let rustc = prefix.join("bin/rustc");
        let std_sources = prefix.join("lib/rustlib/src/rust/library");
        let linker = ["wasm-ld-19", "wasm-ld"]
            .iter()
            .map(|n| prefix.join("bin").join(n))
            .find(|p| p.exists());
        let missing: Vec<String> = [
            (cargo.exists(), cargo.display().to_string()),
            (rustc.exists(), rustc.display().to_string()),
            (std_sources.is_dir(), std_sources.display().to_string()),
            (linker.is_some(), prefix.join("bin/wasm-ld-19").display().to_string()),
        ]
        .into_iter()
        .filter(|(found, _)| !found)
        .map(|(_, path)| path)
        .collect();
        match linker {
            Some(linker) if missing.is_empty() => {
                Ok(Toolchain::DebianBuildStd { cargo, rustc, linker })
            }
            _ => Err(format!("Debian's Rust: missing {}", missing.join(", "))),
        }
    }
}
