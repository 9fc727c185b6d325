//! `wasmfn`: create, build, check, run and call wasmfn functions.

mod commands;
mod style;

use std::{net::SocketAddr, path::PathBuf, process::ExitCode, time::Duration};

use clap::{Parser, Subcommand};
use wasmfn::Mode;

/// Run user functions as sandboxed WebAssembly plugins.
///
/// A functions directory holds one folder per function, each with a manifest.yaml.
#[derive(Parser)]
#[command(
    name = "wasmfn",
    version,
    about,
    propagate_version = true,
    after_help = "Exit status: 0 on success; 1 when a function call, build or manifest \
                  failed; 2 for a usage error.\nLogs: WASMFN_LOG (e.g. WASMFN_LOG=debug)."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve functions with rebuilds and hot reload (development).
    ///
    /// Builds what is missing or stale, rebuilds a function when its `build.watch` sources
    /// change, and reloads an artifact when it changes, without a restart. A failed build or
    /// a broken artifact keeps the old version serving.
    Dev {
        #[command(flatten)]
        server: ServerArgs,
    },
    /// Serve prebuilt functions (production: no builds, no watchers).
    Serve {
        #[command(flatten)]
        server: ServerArgs,
    },
    /// Run the `build` of functions' manifests, in parallel.
    Build {
        /// The functions directory.
        #[arg(long, short, default_value = ".")]
        dir: PathBuf,
        /// How many builds run at once (default: the number of cores).
        #[arg(long, short)]
        jobs: Option<usize>,
        /// The functions to build (default: all).
        names: Vec<String>,
    },
    /// Create a function folder from a template.
    New {
        /// The function's name (lowercase letters, digits and dashes).
        name: String,
        /// What to write it in.
        #[arg(long, short, value_enum, default_value = "rust")]
        template: commands::new::Template,
        /// The functions directory to create it in.
        #[arg(long, short, default_value = ".")]
        dir: PathBuf,
    },
    /// Call a function and print its JSON output or error.
    ///
    /// On a running server with --url, else in-process from --dir. With --trigger, fire the
    /// function's schedule, webhook (signed with the secret its manifest names, from the
    /// environment) or database hook instead: the input is then the webhook's body or the
    /// database row (a test value by default). Over --url, a webhook goes to
    /// /api/webhooks/{path}; a schedule or database hook needs the server's dashboard.
    Invoke {
        /// The function's name.
        name: String,
        /// The input, as JSON.
        #[arg(default_value = "null")]
        input: String,
        /// Fire this trigger of the function instead of calling it directly.
        #[arg(long, short, value_parser = ["schedule", "webhook", "database"])]
        trigger: Option<String>,
        /// A running server's base URL, e.g. http://127.0.0.1:8080.
        #[arg(long, short, env = "WASMFN_URL")]
        url: Option<String>,
        /// The functions directory (in-process calls).
        #[arg(long, short, default_value = ".")]
        dir: PathBuf,
    },
    /// Follow a running server's calls and guest logs, live.
    ///
    /// Needs the server's call history (`wasmfn dev`, or `serve --call-history`).
    Logs {
        /// Only this function's.
        name: Option<String>,
        /// The server's base URL, e.g. http://127.0.0.1:8080.
        #[arg(long, short, env = "WASMFN_URL", default_value = "http://127.0.0.1:8080")]
        url: String,
    },
    /// Validate every manifest; print errors as file:line:column.
    Check {
        /// The functions directory.
        #[arg(default_value = ".")]
        dir: PathBuf,
    },
    /// Build a Rust guest crate to wasm with whichever toolchain works here.
    ///
    /// Tries rustup with the wasm target, else Debian's Rust. Manifests use it as
    /// `command: wasmfn` / `args: [build-rust]`.
    BuildRust {
        /// The crate's folder.
        #[arg(default_value = ".")]
        dir: PathBuf,
        /// Copy the .wasm here (relative to the crate's folder). `wasmfn build` and
        /// `wasmfn dev` pass the manifest's build.output.
        #[arg(long, short, env = "WASMFN_OUTPUT")]
        output: Option<PathBuf>,
    },
    /// Build a JavaScript/TypeScript function: bundle it with esbuild (npm packages included)
    /// into wasmfn's JavaScript engine.
    ///
    /// The entry is src/index.ts, src/index.js, index.ts or index.js (the first found) and
    /// must export its handler as `default` (or `handler`). esbuild comes from the nearest
    /// node_modules (`npm install`). The engine is built from source the first time (minutes),
    /// then reused. Manifests use it as `command: wasmfn` / `args: [build-js]`.
    BuildJs {
        /// The function's folder.
        #[arg(default_value = ".")]
        dir: PathBuf,
        /// The entry file, relative to the folder.
        #[arg(long)]
        entry: Option<PathBuf>,
        /// Where to write the module (relative to the folder; default plugin.wasm).
        #[arg(long, short, env = "WASMFN_OUTPUT")]
        output: Option<PathBuf>,
        /// `serve` pre-initializes the module (the bundle evaluated at build time: faster new
        /// instances, a slower build); `dev` skips that. `wasmfn dev` sets it to dev.
        #[arg(long, env = "WASMFN_MODE", default_value = "serve", value_parser = ["serve", "dev"])]
        mode: String,
    },
    /// Print the JSON Schema of manifest.yaml.
    Schema,
}

#[derive(clap::Args)]
struct ServerArgs {
    /// The functions directory.
    #[arg(default_value = ".")]
    dir: PathBuf,
    /// The address to listen on.
    #[arg(long, short, default_value = "127.0.0.1:8080", env = "WASMFN_ADDR")]
    addr: SocketAddr,
    /// The largest request body accepted, in bytes.
    #[arg(long, default_value_t = 2 * 1024 * 1024)]
    body_limit: usize,
    /// How long a client may take to send a request's headers, counted from when its
    /// connection is ready for one; an idle keep-alive connection is closed after it too.
    #[arg(long, default_value = "10s", value_parser = humantime::parse_duration)]
    header_timeout: Duration,
    /// How long a request's body may take to arrive (408 after that).
    #[arg(long, default_value = "30s", value_parser = humantime::parse_duration)]
    body_timeout: Duration,
    /// The most connections open at once (default: 1024, fewer under a low open-file limit).
    #[arg(long)]
    max_connections: Option<usize>,
    /// On SIGTERM or Ctrl-C: how long requests in flight may take to finish (a second signal
    /// stops at once).
    #[arg(long, default_value = "30s", value_parser = humantime::parse_duration)]
    shutdown_grace: Duration,
    /// The largest artifact (.wasm, or a process function's file) a function may load.
    #[arg(long, default_value = "128MiB", value_parser = parse_size)]
    max_artifact_size: u64,
    /// A PostgreSQL database (`postgres://user:password@host/db`) shared by every replica:
    /// each schedule tick runs once, queued calls and events survive crashes, webhook
    /// replays are refused across replicas. Its tables go in the schema `wasmfn`.
    #[arg(long, env = "WASMFN_DATABASE_URL", hide_env_values = true)]
    database_url: Option<String>,
    /// Do not serve GET /metrics (calls, errors, durations in Prometheus' text format).
    #[arg(long)]
    no_metrics: bool,
    /// Serve the dashboard at /_wasmfn/: functions, recent calls and logs, an invoke form,
    /// triggers fired by hand. On in `wasmfn dev`; anyone reaching it can call any function.
    #[arg(long)]
    dashboard: bool,
    /// Do not serve the dashboard (`wasmfn dev`).
    #[arg(long, conflicts_with = "dashboard")]
    no_dashboard: bool,
    /// Keep each function's recent calls (inputs and outputs included) and serve them at
    /// GET /api/calls and /api/functions/{name}/calls (on with the dashboard).
    #[arg(long)]
    call_history: bool,
}

fn parse_size(text: &str) -> Result<u64, String> {
    text.parse::<bytesize::ByteSize>().map(|size| size.as_u64())
}

impl ServerArgs {
    fn run(&self, mode: Mode) -> anyhow::Result<ExitCode> {
        let mut server = wasmfn::server::ServerOptions::default()
            .with_header_timeout(self.header_timeout)
            .with_body_timeout(self.body_timeout)
            .with_grace(self.shutdown_grace);
        if let Some(connections) = self.max_connections {
            server = server.with_max_connections(connections);
        }
        commands::serve::run(commands::serve::ServeArgs {
            dir: &self.dir,
            addr: self.addr,
            body_limit: self.body_limit,
            max_artifact_size: self.max_artifact_size,
            database_url: self.database_url.as_deref(),
            metrics: !self.no_metrics,
            dashboard: self.dashboard || (mode == Mode::Dev && !self.no_dashboard),
            call_history: self.call_history,
            server,
            mode,
        })
    }
}

fn main() -> ExitCode {
    // Logs are written by a background thread and dropped when it falls behind: with a stderr
    // nobody reads (a full pipe) or a closed one, requests still get answered. The guard
    // flushes what is queued when main returns.
    let (log_writer, _flush_logs) = tracing_appender::non_blocking(std::io::stderr());
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("WASMFN_LOG")
                // The registry's and dev mode's own logs are shown as status lines instead.
                .unwrap_or_else(|_| {
                    "warn,wasmfn::registry=off,wasmfn::dev=off,wasmfn::guest=info,wasmfn::build=info,extism=off"
                        .into()
                }),
        )
        .with_target(false)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(log_writer)
        .init();
    let cli = Cli::parse();
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let result = match cli.command {
        Command::Dev { server } => server.run(Mode::Dev),
        Command::Serve { server } => server.run(Mode::Serve),
        Command::Build { dir, jobs, names } => {
            commands::build::run(&dir, &names, jobs.unwrap_or(cores))
        }
        Command::New { name, template, dir } => commands::new::run(&dir, &name, template),
        Command::Invoke { name, input, trigger, url, dir } => {
            let trigger = trigger.map(|t| t.parse().expect("clap checked the value"));
            commands::invoke::run(&dir, url.as_deref(), &name, &input, trigger)
        }
        Command::Logs { name, url } => commands::logs::run(&url, name.as_deref()),
        Command::Check { dir } => commands::check::run(&dir),
        Command::BuildRust { dir, output } => commands::build::rust(&dir, output),
        Command::BuildJs { dir, entry, output, mode } => {
            commands::build::js(&dir, entry, output, mode == "serve")
        }
        Command::Schema => {
            print!("{}", wasmfn_schema::manifest::json_schema::manifest_schema_json());
            Ok(ExitCode::SUCCESS)
        }
    };
    result.unwrap_or_else(|err| {
        let error = style::ERROR;
        anstream::eprintln!("{error}error:{error:#} {}", describe(&err));
        ExitCode::FAILURE
    })
}

/// The error and its causes, skipping a cause whose text the message already includes (our
/// library errors name their source in their own message).
fn describe(err: &anyhow::Error) -> String {
    let mut message = err.to_string();
    for cause in err.chain().skip(1) {
        let cause = cause.to_string();
        if !message.contains(&cause) {
            message = format!("{message}: {cause}");
        }
    }
    message
}
