//! `wasmfn`: build, check and run wasmfn functions.

mod commands;

use std::{net::SocketAddr, path::PathBuf, process::ExitCode};

use clap::{Parser, Subcommand};

/// Run user functions as sandboxed WebAssembly plugins.
#[derive(Parser)]
#[command(name = "wasmfn", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Validate every manifest under a functions directory; print errors as file:line.
    Check {
        /// The functions directory (each subfolder with a manifest.yaml is a function).
        #[arg(default_value = ".")]
        dir: PathBuf,
    },
    /// Run the `build` of functions' manifests.
    Build {
        /// The functions directory.
        #[arg(long, short, default_value = ".")]
        dir: PathBuf,
        /// The functions to build (default: all).
        names: Vec<String>,
    },
    /// Build the Rust guest crate in a folder to wasm, with whichever toolchain works here
    /// (rustup with the wasm target, else Debian's Rust). Used in manifests as
    /// `command: wasmfn` / `args: [build-rust]`.
    BuildRust {
        /// The crate's folder.
        #[arg(default_value = ".")]
        dir: PathBuf,
    },
    /// Serve the functions of a directory over HTTP (prod mode: prebuilt artifacts only).
    Serve {
        /// The functions directory.
        #[arg(default_value = ".")]
        dir: PathBuf,
        /// The address to listen on.
        #[arg(long, short, default_value = "127.0.0.1:8080", env = "WASMFN_ADDR")]
        addr: SocketAddr,
        /// The largest request body accepted, in bytes.
        #[arg(long, default_value_t = 2 * 1024 * 1024)]
        body_limit: usize,
    },
    /// Call a function in-process and print its JSON output.
    Invoke {
        /// The functions directory.
        #[arg(long, short, default_value = ".")]
        dir: PathBuf,
        /// The function's name.
        name: String,
        /// The input, as JSON (default: null).
        #[arg(default_value = "null")]
        input: String,
    },
    /// Print the JSON Schema of manifest.yaml.
    Schema,
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("WASMFN_LOG")
                .unwrap_or_else(|_| "warn,wasmfn::guest=info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Check { dir } => commands::check::run(&dir),
        Command::Build { dir, names } => commands::build::run(&dir, &names),
        Command::BuildRust { dir } => commands::build::rust(&dir),
        Command::Serve { dir, addr, body_limit } => commands::serve::run(&dir, addr, body_limit),
        Command::Invoke { dir, name, input } => commands::invoke::run(&dir, &name, &input),
        Command::Schema => {
            print!("{}", wasmfn_schema::manifest::json_schema::manifest_schema_json());
            Ok(ExitCode::SUCCESS)
        }
    };
    result.unwrap_or_else(|err| {
        eprintln!("error: {err:#}");
        ExitCode::FAILURE
    })
}
