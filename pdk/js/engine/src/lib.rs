//! wasmfn's JavaScript engine: QuickJS (through rquickjs) as an Extism plugin.
//!
//! One instance keeps one QuickJS runtime. On its first call (or at build time, when the
//! module is pre-initialized: `wasmfn_js_init`) it evaluates the prelude (the web globals npm
//! code expects), then the function's bundle, which the host hands over (`wasmfn_js_script`),
//! and keeps its exports. A JSON call (`handle`) goes to the `default` export, or `handler`;
//! a request to the function's routes (`http`) to `default.fetch`, a `default` function, or
//! `fetch`, with a web `Request`, expecting a `Response`.
//! Each call runs promise jobs and timers until its result settles; an exception becomes a
//! wasmfn error whose message carries the JS stack.

mod host;
mod natives;

use std::cell::RefCell;

use extism_pdk::{FnResult, WithReturnCode, plugin_fn};
use rquickjs::{
    CatchResultExt, CaughtError, Context, Function, Object, Persistent, Promise, Runtime,
    TypedArray, Value, context::EvalOptions, promise::PromiseState,
};
use wasmfn_schema::{
    bundle::MODULE_GLOBAL,
    wire::{GuestError, codes},
};

/// QuickJS's own stack limit; without one, every eval in wasm fails as a stack overflow.
const MAX_STACK: usize = 256 * 1024;
/// The file names stacks give the prelude and the bundle; the host maps `bundle.js`
/// positions to the sources with the bundle's source map.
const PRELUDE: &str = "wasmfn:prelude";
const BUNDLE: &str = "bundle.js";

fn script_options(filename: &str) -> EvalOptions {
    let mut options = EvalOptions::default();
    options.strict = false;
    options.filename = Some(filename.to_owned());
    options
}

struct Engine {
    // Dropped in this order: the exports before the context before the runtime.
    module: Persistent<Object<'static>>,
    context: Context,
    runtime: Runtime,
}

thread_local! {
    static ENGINE: RefCell<Option<Engine>> = const { RefCell::new(None) };
}

#[plugin_fn]
pub fn handle(input: String) -> FnResult<String> {
    finish(call(Kind::Json, input.as_bytes()).map(|output| String::from_utf8_lossy(&output).into_owned()))
}

#[plugin_fn]
pub fn http(input: Vec<u8>) -> FnResult<Vec<u8>> {
    finish(call(Kind::Http, &input))
}

/// Which handler a call goes to.
#[derive(Clone, Copy)]
enum Kind {
    Json,
    Http,
}

fn finish<T>(result: Result<T, Failure>) -> FnResult<T> {
    match result {
        Ok(output) => Ok(output),
        // The engine itself failed: its state cannot be trusted. Trapping (after saying why)
        // makes the host discard this instance; a guest error would keep it.
        Err(Failure::Engine(message)) => host::trap(&GuestError::new(codes::TRAP, message)),
        Err(Failure::Function(error)) => {
            Err(WithReturnCode::new(extism_pdk::Error::msg(error.to_json()), 1))
        }
    }
}

fn call(kind: Kind, input: &[u8]) -> Result<Vec<u8>, Failure> {
    ENGINE.with(|engine| {
        let mut engine = engine.borrow_mut();
        if engine.is_none() {
            *engine = Some(Engine::start(&host::script().map_err(Failure::Engine)?)?);
        }
        let engine = engine.as_ref().expect("just started");
        // Timers belong to the call that set them: what one left behind never runs in the next.
        let result = engine.call(kind, input);
        engine.end_call()?;
        result
    })
}

// Pre-initialization (wizer, at build time): the builder writes the bundle into memory from
// `wasmfn_js_alloc`, then `wasmfn_js_init` starts the engine with it, and the whole memory is
// snapshotted into the module. A new instance then starts with the bundle evaluated.
thread_local! {
    static PREINIT_SCRIPT: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Room for a bundle of `len` bytes, for the pre-initializer to write into.
#[unsafe(no_mangle)]
pub extern "C" fn wasmfn_js_alloc(len: u32) -> *mut u8 {
    PREINIT_SCRIPT.with(|script| {
        let mut script = script.borrow_mut();
        *script = vec![0; len as usize];
        script.as_mut_ptr()
    })
}

/// Starts the engine with the bundle written at `wasmfn_js_alloc`. A bundle that fails to
/// start leaves the engine unstarted: calls then start it again and report why.
#[unsafe(no_mangle)]
pub extern "C" fn wasmfn_js_init() {
    let script = PREINIT_SCRIPT.with(|script| std::mem::take(&mut *script.borrow_mut()));
    let Ok(script) = String::from_utf8(script) else { return };
    if let Ok(started) = Engine::start(&script) {
        ENGINE.with(|engine| *engine.borrow_mut() = Some(started));
    }
}

impl Engine {
    fn start(script: &str) -> Result<Self, Failure> {
        let runtime = Runtime::new().map_err(|e| engine_error(&e.to_string()))?;
        runtime.set_max_stack_size(MAX_STACK);
        let context = Context::full(&runtime).map_err(|e| engine_error(&e.to_string()))?;
        let module = context.with(|ctx| -> Result<_, Failure> {
            natives::install(&ctx).map_err(|e| engine_error(&e.to_string()))?;
            ctx.eval_with_options::<(), _>(include_str!("prelude.js"), script_options(PRELUDE))
                .catch(&ctx)
                .map_err(|e| engine_error(describe(e).message()))?;
            ctx.eval_with_options::<(), _>(script, script_options(BUNDLE))
                .catch(&ctx)
                .map_err(|e| GuestError::new("script_error", describe(e).message()))?;
            let module: Value =
                ctx.globals().get(MODULE_GLOBAL).map_err(|e| engine_error(&e.to_string()))?;
            let module = match module.into_object() {
                Some(module) => module,
                None => Object::new(ctx.clone()).map_err(|e| engine_error(&e.to_string()))?,
            };
            Ok(Persistent::save(&ctx, module))
        })?;
        Ok(Self { module, context, runtime })
    }

    fn call(&self, kind: Kind, input: &[u8]) -> Result<Vec<u8>, Failure> {
        let promise =
            self.context.with(|ctx| -> Result<Persistent<Promise<'static>>, Failure> {
                let module =
                    self.module.clone().restore(&ctx).map_err(|e| engine_error(&e.to_string()))?;
                let promise: Promise = match kind {
                    Kind::Json => {
                        let handler = find_handler(&module)?;
                        let call: Function = ctx
                            .globals()
                            .get("__wasmfn_call")
                            .map_err(|e| engine_error(&e.to_string()))?;
                        let input = String::from_utf8_lossy(input);
                        call.call((handler, input.as_ref())).catch(&ctx).map_err(describe)?
                    }
                    Kind::Http => {
                        let (head, body) = split_head(input);
                        let body = TypedArray::<u8>::new(ctx.clone(), body.to_vec())
                            .map_err(|e| engine_error(&e.to_string()))?;
                        let call: Function = ctx
                            .globals()
                            .get("__wasmfn_http")
                            .map_err(|e| engine_error(&e.to_string()))?;
                        call.call((module, head, body)).catch(&ctx).map_err(describe)?
                    }
                };
                Ok(Persistent::save(&ctx, promise))
            })?;
        loop {
            self.run_jobs()?;
            let settled = self.context.with(|ctx| -> Result<Option<Vec<u8>>, Failure> {
                let promise =
                    promise.clone().restore(&ctx).map_err(|e| engine_error(&e.to_string()))?;
                match promise.state() {
                    PromiseState::Pending => Ok(None),
                    PromiseState::Resolved => {
                        let value = promise.result::<Value>().expect("settled");
                        let value = value.map_err(|e| engine_error(&e.to_string()))?;
                        output_bytes(value).map(Some)
                    }
                    PromiseState::Rejected => {
                        let reason = promise.result::<Value>().expect("settled").catch(&ctx);
                        Err(describe(reason.expect_err("rejected")))
                    }
                }
            })?;
            if let Some(output) = settled {
                return Ok(output);
            }
            if !self.run_timer()? {
                return Err(GuestError::new(
                    "promise_never_settled",
                    "the handler's promise never settled (nothing left to run: no job, no timer)",
                )
                .into());
            }
        }
    }

    /// Drops the timers the call left (a `setTimeout` never reached, a `setInterval`).
    fn end_call(&self) -> Result<(), Failure> {
        self.context.with(|ctx| {
            let end: Function =
                ctx.globals().get("__wasmfn_end_call").map_err(|e| engine_error(&e.to_string()))?;
            end.call::<_, ()>(()).catch(&ctx).map_err(describe)
        })
    }

    fn run_jobs(&self) -> Result<(), Failure> {
        while self.runtime.is_job_pending() {
            if let Err(job) = self.runtime.execute_pending_job() {
                // An exception thrown in a job nobody awaits: log it, as browsers do.
                let message = job.0.with(|ctx| {
                    describe(CaughtError::from_error(&ctx, rquickjs::Error::Exception))
                        .message()
                        .to_owned()
                });
                host::log("error", &format!("uncaught exception in a promise job: {message}"));
            }
        }
        Ok(())
    }

    fn run_timer(&self) -> Result<bool, Failure> {
        self.context.with(|ctx| {
            let run: Function = ctx
                .globals()
                .get("__wasmfn_run_timer")
                .map_err(|e| engine_error(&e.to_string()))?;
            run.call::<_, bool>(()).catch(&ctx).map_err(describe)
        })
    }
}

/// A call's result: the JSON text (a JSON call), or the framed response's bytes.
fn output_bytes(value: Value<'_>) -> Result<Vec<u8>, Failure> {
    if let Some(text) = value.as_string() {
        return text.to_string().map(String::into_bytes).map_err(|e| engine_error(&e.to_string()));
    }
    match TypedArray::<u8>::from_value(value) {
        Ok(bytes) => Ok(natives::copy(&bytes)),
        Err(e) => Err(engine_error(&format!("a call returned neither text nor bytes: {e}"))),
    }
}

/// The head line (text) and the body of a framed request.
fn split_head(input: &[u8]) -> (String, &[u8]) {
    let end = input.iter().position(|&b| b == b'\n').unwrap_or(input.len());
    let body = input.get(end + 1..).unwrap_or_default();
    (String::from_utf8_lossy(&input[..end]).into_owned(), body)
}

fn find_handler<'js>(module: &Object<'js>) -> Result<Function<'js>, Failure> {
    let missing = |what: &str| -> Failure {
        GuestError::new(
            "handler_missing",
            format!(
                "{what}: export the handler as `export default async function (input) {{ ... }}` (or `export function handler`)"
            ),
        )
        .into()
    };
    for name in ["default", "handler"] {
        let value: Value = module.get(name).map_err(|e| engine_error(&e.to_string()))?;
        if let Some(function) = value.as_function() {
            return Ok(function.clone());
        }
        if !value.is_undefined() {
            return Err(missing(&format!(
                "the export `{name}` is a {}, not a function",
                value.type_name()
            )));
        }
    }
    Err(missing("the script has no `default` or `handler` export"))
}

/// A thrown value as a wasmfn error: its `code` property when it has one (`js_error`
/// otherwise), its message, and (without a code) its type and stack.
fn describe(error: CaughtError<'_>) -> Failure {
    match error {
        CaughtError::Exception(exception) => {
            let object: &Object = exception.as_object();
            let code = object.get::<_, Option<String>>("code").ok().flatten();
            let status = object.get::<_, Option<u16>>("status").ok().flatten();
            let message = exception.message().unwrap_or_default();
            let name = object
                .get::<_, Option<String>>("name")
                .ok()
                .flatten()
                .unwrap_or_else(|| "Error".into());
            // The prelude's frames (the call wrapper, promise plumbing) are not the function's.
            let stack = exception
                .stack()
                .unwrap_or_default()
                .lines()
                .filter(|frame| !frame.contains(PRELUDE) && !frame.contains("at Promise (native)"))
                .collect::<Vec<_>>()
                .join("\n");
            // An error thrown with a code is the function's answer: its message says it all.
            // Anything else is a bug: its type and stack help find it.
            let text = match &code {
                Some(_) => message,
                None if stack.trim().is_empty() => format!("{name}: {message}"),
                None => format!("{name}: {message}\n{}", stack.trim_end()),
            };
            let mut error = GuestError::new(code.unwrap_or_else(|| "js_error".into()), text);
            error.status = status.filter(|s| (400..=599).contains(s));
            error.into()
        }
        CaughtError::Value(value) => {
            let text = value
                .as_string()
                .and_then(|s| s.to_string().ok())
                .unwrap_or_else(|| format!("a {} was thrown", value.type_name()));
            GuestError::new("js_error", format!("uncaught: {text}")).into()
        }
        CaughtError::Error(error) => engine_error(&error.to_string()),
    }
}

/// Why a call failed: the function's own error (its answer, or its bug), or the engine's,
/// after which this instance's state cannot be trusted.
enum Failure {
    Function(GuestError),
    Engine(String),
}

impl Failure {
    fn message(&self) -> &str {
        match self {
            Self::Function(error) => &error.message,
            Self::Engine(message) => message,
        }
    }
}

impl From<GuestError> for Failure {
    fn from(error: GuestError) -> Self {
        Self::Function(error)
    }
}

fn engine_error(message: &str) -> Failure {
    Failure::Engine(format!("the JavaScript engine failed: {message}"))
}
