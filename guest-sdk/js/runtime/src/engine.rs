//! The engine of one instance: started once (at build time, for the
//! snapshot), then called by each of the contract's exports.

use std::cell::OnceCell;

use barrage_sdk::SummaryOutput;
use rquickjs::promise::PromiseState;
use rquickjs::{
    CatchResultExt, CaughtError, Context, Ctx, FromJs, Function, Module, Object, Persistent,
    Runtime, Value,
};

/// The standard globals a script expects, built on the host's functions.
const PRELUDE: &str = include_str!("prelude.js");

/// The deepest a script's calls may go, in bytes of the 1 MiB stack the
/// component has: a runaway recursion is a `RangeError`, not a trap.
const MAX_STACK: usize = 512 * 1024;

/// How much a VU's heap may grow past the snapshot's before the cycle
/// collector runs. A collection visits, and so writes to, every object
/// the snapshot holds, which would give each VU a private copy of the
/// whole heap: it runs only once a scenario really leaks cycles.
const GC_HEADROOM: usize = 4 * 1024 * 1024;

struct Engine {
    /// Kept alive for the context; never used after the start.
    _runtime: Runtime,
    context: Context,
    /// The bundle's exports: the contract's functions, made by the SDK.
    exports: Persistent<Object<'static>>,
}

thread_local! {
    static ENGINE: OnceCell<Result<Engine, String>> = const { OnceCell::new() };
}

fn with_engine<R>(body: impl FnOnce(&Engine) -> Result<R, String>) -> Result<R, String> {
    ENGINE.with(|cell| match cell.get_or_init(start) {
        Ok(engine) => body(engine),
        Err(error) => Err(error.clone()),
    })
}

fn start() -> Result<Engine, String> {
    let source = read_bundle()?;
    // QuickJS allocates through Rust's allocator, so that its blocks too
    // come from the second heap after the snapshot (see `alloc.rs`).
    let runtime = Runtime::new_with_alloc(rquickjs::allocator::RustAllocator)
        .map_err(|e| format!("starting QuickJS: {e}"))?;
    runtime.set_max_stack_size(MAX_STACK);
    let context = Context::full(&runtime).map_err(|e| format!("starting QuickJS: {e}"))?;
    let exports = context.with(|ctx| -> Result<_, String> {
        crate::host::install(&ctx)
            .catch(&ctx)
            .map_err(|e| format!("installing the host's functions: {}", describe(e)))?;
        ctx.eval::<(), _>(PRELUDE)
            .catch(&ctx)
            .map_err(|e| format!("the runtime's prelude: {}", describe(e)))?;
        let declared = Module::declare(ctx.clone(), "scenario.js", source)
            .catch(&ctx)
            .map_err(|e| format!("the scenario does not compile: {}", describe(e)))?;
        let (module, done) = declared
            .eval()
            .catch(&ctx)
            .map_err(|e| format!("the scenario's top level failed: {}", describe(e)))?;
        settle(&ctx, done.into_value())
            .map_err(|e| format!("the scenario's top level failed: {e}"))?;
        let namespace = module
            .namespace()
            .map_err(|e| format!("reading the scenario's exports: {e}"))?;
        Ok(Persistent::save(&ctx, namespace))
    })?;
    // What evaluating the module left behind goes now, so the snapshot
    // holds only live objects.
    // runtime.run_gc();
    let heap = usize::try_from(runtime.memory_usage().malloc_size).unwrap_or(0);
    runtime.set_gc_threshold(heap + GC_HEADROOM);
    #[cfg(target_arch = "wasm32")]
    crate::alloc::switch_heaps();
    Ok(Engine {
        _runtime: runtime,
        context,
        exports,
    })
}

/// The bundle `barrage build` writes to standard input while it takes
/// the snapshot. The stream is closed before the snapshot, so no VU
/// inherits a handle that is not its own.
fn read_bundle() -> Result<String, String> {
    let stdin = wasip2::cli::stdin::get_stdin();
    let mut source = Vec::new();
    loop {
        match stdin.blocking_read(64 * 1024) {
            Ok(chunk) => source.extend_from_slice(&chunk),
            Err(wasip2::io::streams::StreamError::Closed) => break,
            Err(e) => return Err(format!("reading the scenario: {e}")),
        }
    }
    drop(stdin);
    if source.is_empty() {
        return Err(
            "this component is Barrage's JavaScript runtime, without a scenario: \
                    `barrage build` makes a scenario of it"
                .to_owned(),
        );
    }
    String::from_utf8(source).map_err(|_| "the scenario's bundle is not UTF-8".to_owned())
}

/// Drives the job queue until `value`, if it is a promise, settles; its
/// result, or its rejection as text.
fn settle<'js>(ctx: &Ctx<'js>, value: Value<'js>) -> Result<Value<'js>, String> {
    let Some(promise) = value.as_promise().cloned() else {
        run_jobs(ctx);
        return Ok(value);
    };
    loop {
        match promise.state() {
            PromiseState::Pending => {
                if !ctx.execute_pending_job() {
                    return Err("the function returned a promise that never settles: \
                                nothing is left that could settle it (Barrage runs no \
                                timers or events between calls)"
                        .to_owned());
                }
            }
            PromiseState::Resolved => {
                let result = promise.result::<Value>();
                run_jobs(ctx);
                return match result {
                    Some(Ok(value)) => Ok(value),
                    Some(Err(e)) => Err(describe(CaughtError::from_error(ctx, e))),
                    None => Ok(Value::new_undefined(ctx.clone())),
                };
            }
            PromiseState::Rejected => {
                let error = match promise.result::<Value>() {
                    Some(Err(e)) => describe(CaughtError::from_error(ctx, e)),
                    _ => "the promise was rejected".to_owned(),
                };
                run_jobs(ctx);
                return Err(error);
            }
        }
    }
}

/// Runs what the call queued but did not wait for.
fn run_jobs(ctx: &Ctx<'_>) {
    while ctx.execute_pending_job() {}
}

/// An exception or a rejection as the text the host reports: a string
/// as it is, an `Error` as its name, message and stack.
fn describe(error: CaughtError<'_>) -> String {
    match error {
        CaughtError::Exception(e) => {
            let head = match e.message() {
                Some(m) => format!("{}: {m}", error_name(&e).unwrap_or_else(|| "Error".into())),
                None => error_name(&e).unwrap_or_else(|| "Error".into()),
            };
            match e.stack() {
                Some(stack) if !stack.trim().is_empty() => format!("{head}\n{}", stack.trim_end()),
                _ => head,
            }
        }
        CaughtError::Value(value) => match value.as_string() {
            Some(text) => text.to_string().unwrap_or_default(),
            None => value
                .ctx()
                .json_stringify(&value)
                .ok()
                .flatten()
                .and_then(|s| s.to_string().ok())
                .unwrap_or_else(|| format!("{value:?}")),
        },
        CaughtError::Error(e) => e.to_string(),
    }
}

fn error_name(e: &rquickjs::Exception<'_>) -> Option<String> {
    e.get::<_, String>("name").ok()
}

/// Calls the bundle's export `name` and waits for it; its result as text
/// (`undefined` is empty).
fn call<T>(
    name: &str,
    arg: Option<&str>,
    read: impl for<'js> FnOnce(&Ctx<'js>, Value<'js>) -> Result<T, String>,
) -> Result<T, String> {
    with_engine(|engine| {
        engine.context.with(|ctx| {
            let exports = engine
                .exports
                .clone()
                .restore(&ctx)
                .map_err(|e| e.to_string())?;
            let function: Function = exports
                .get(name)
                .map_err(|_| format!("the scenario's bundle exports no `{name}`"))?;
            let result = match arg {
                Some(arg) => function.call::<_, Value>((arg,)),
                None => function.call::<_, Value>(()),
            };
            let value = result.catch(&ctx).map_err(describe)?;
            let value = settle(&ctx, value)?;
            read(&ctx, value)
        })
    })
}

pub fn call_text(name: &str, arg: Option<&str>) -> Result<String, String> {
    call(name, arg, |ctx, value| {
        if value.is_undefined() || value.is_null() {
            return Ok(String::new());
        }
        String::from_js(ctx, value).map_err(|e| format!("`{name}` returned no text: {e}"))
    })
}

pub fn options() -> Result<String, String> {
    call_text("options", None)
}

pub fn handle_summary(summary: &str) -> Result<SummaryOutput, String> {
    call("handleSummary", Some(summary), |_, value| {
        let shape = |e: rquickjs::Error| format!("`handleSummary`'s result: {e}");
        let object = Object::from_value(value).map_err(shape)?;
        let builtin: bool = object.get("builtin").map_err(shape)?;
        let files = crate::host::from_pairs(object.get("files").map_err(shape)?);
        let output = if builtin {
            SummaryOutput::builtin()
        } else {
            SummaryOutput::replace()
        };
        Ok(files
            .into_iter()
            .fold(output, |output, (path, content)| output.file(path, content)))
    })
}

/// Gives this instance its own random numbers: an instance made from the
/// snapshot starts with the state the build left.
pub fn reseed() {
    crate::host::reseed();
}
