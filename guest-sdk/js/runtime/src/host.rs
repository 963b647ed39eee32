//! The host's interfaces as JavaScript functions, on the hidden global
//! `__barrage`. The SDK (`guest-sdk/js/index.js`) and `prelude.js` are
//! their only callers; the shapes are the SDK's.

use std::cell::{Cell, RefCell};

use barrage_sdk::bindings::barrage::scenario::{execution, log, metrics};
use rquickjs::FromJs;
use rquickjs::convert::{Coerced, List};
use rquickjs::function::Opt;
use rquickjs::{Array, Ctx, Exception, Function, Object, Result, TypedArray, Value};

/// Name and value pairs as JavaScript gives them: arrays of two strings.
type Pairs = Vec<List<(String, String)>>;

pub fn from_pairs(pairs: Option<Pairs>) -> Vec<(String, String)> {
    pairs
        .unwrap_or_default()
        .into_iter()
        .map(|List(pair)| pair)
        .collect()
}

/// Pairs as an array of two-element arrays.
pub fn to_pairs<'js>(ctx: &Ctx<'js>, pairs: Vec<(String, String)>) -> Result<Array<'js>> {
    let out = Array::new(ctx.clone())?;
    for (i, (name, value)) in pairs.into_iter().enumerate() {
        let pair = Array::new(ctx.clone())?;
        pair.set(0, name)?;
        pair.set(1, value)?;
        out.set(i, pair)?;
    }
    Ok(out)
}

thread_local! {
    /// The metrics the scenario defined, by the number JavaScript holds.
    static METRICS: RefCell<Vec<metrics::Metric>> = const { RefCell::new(Vec::new()) };
    /// `Math.random`'s state (xorshift128+), seeded in each instance.
    static RANDOM: Cell<(u64, u64)> = const { Cell::new((0x9e37_79b9_7f4a_7c15, 0xbf58_476d_1ce4_e5b9)) };
}

/// Puts the functions on `globalThis.__barrage`, hidden from enumeration.
pub fn install<'js>(ctx: &Ctx<'js>) -> Result<()> {
    let host = Object::new(ctx.clone())?;
    let add = |name: &str, f: Function<'js>| host.set(name, f);
    add("request", Function::new(ctx.clone(), crate::http::request)?)?;
    add("batch", Function::new(ctx.clone(), crate::http::batch)?)?;
    add("defineMetric", Function::new(ctx.clone(), define_metric)?)?;
    add("addMetric", Function::new(ctx.clone(), add_metric)?)?;
    add("check", Function::new(ctx.clone(), check)?)?;
    add(
        "groupStart",
        Function::new(ctx.clone(), |name: String| metrics::group_start(&name))?,
    )?;
    add("groupEnd", Function::new(ctx.clone(), metrics::group_end)?)?;
    add("vu", Function::new(ctx.clone(), vu)?)?;
    add(
        "env",
        Function::new(ctx.clone(), |key: String| execution::env(&key))?,
    )?;
    add(
        "sleep",
        Function::new(ctx.clone(), |seconds: f64| execution::sleep(seconds))?,
    )?;
    add("write", Function::new(ctx.clone(), write)?)?;
    add("utf8Encode", Function::new(ctx.clone(), utf8_encode)?)?;
    add("utf8Decode", Function::new(ctx.clone(), utf8_decode)?)?;
    add("randomBytes", Function::new(ctx.clone(), random_bytes)?)?;
    add("random", Function::new(ctx.clone(), random)?)?;
    add("fetch", Function::new(ctx.clone(), crate::fetch::fetch)?)?;
    ctx.globals().prop(
        "__barrage",
        rquickjs::object::Property::from(host).configurable(),
    )
}

/// Bytes of a `Uint8Array` (or of any view or buffer), copied.
pub fn bytes_of(value: &Value<'_>) -> Option<Vec<u8>> {
    let object = value.as_object()?;
    let array = object.as_typed_array::<u8>()?;
    #[allow(
        unsafe_code,
        reason = "the bytes are copied before any script runs, so nothing can detach or \
                  resize the buffer while they are borrowed"
    )]
    // SAFETY: see above; no JavaScript runs between the borrow and the copy.
    let bytes = unsafe { array.as_bytes() }?;
    Some(bytes.to_vec())
}

fn define_metric(ctx: Ctx<'_>, name: String, kind: String, is_time: bool) -> Result<u32> {
    let kind = match kind.as_str() {
        "counter" => metrics::MetricKind::Counter,
        "gauge" => metrics::MetricKind::Gauge,
        "rate" => metrics::MetricKind::Rate,
        "trend" => metrics::MetricKind::Trend,
        other => {
            return Err(Exception::throw_type(
                &ctx,
                &format!("unknown metric kind `{other}`"),
            ));
        }
    };
    let metric = metrics::Metric::define(&name, kind, is_time)
        .map_err(|e| Exception::throw_message(&ctx, &e))?;
    METRICS.with(|all| {
        let mut all = all.borrow_mut();
        all.push(metric);
        Ok(u32::try_from(all.len() - 1).unwrap_or(u32::MAX))
    })
}

fn add_metric(ctx: Ctx<'_>, id: u32, value: f64, tags: Opt<Pairs>) -> Result<()> {
    METRICS.with(|all| match all.borrow().get(id as usize) {
        Some(metric) => {
            metric.add(value, &from_pairs(tags.0));
            Ok(())
        }
        None => Err(Exception::throw_reference(&ctx, "no such metric")),
    })
}

/// `check(value, checks, tags)`: runs each named predicate of `checks`
/// on `value` and records it; a predicate that throws fails, and a
/// value that is not a function passes by its truth. Whether all passed.
fn check<'js>(
    ctx: Ctx<'js>,
    value: Value<'js>,
    checks: Object<'js>,
    tags: Opt<Value<'js>>,
) -> Result<bool> {
    let tags = match tags.0 {
        Some(t) if !t.is_undefined() && !t.is_null() => crate::http::pairs(&t)?,
        _ => Vec::new(),
    };
    let mut all = true;
    for entry in checks.props::<String, Value>() {
        let (name, predicate) = entry?;
        let verdict = match predicate.as_function() {
            Some(f) => match f.call::<_, Value>((value.clone(),)) {
                Ok(v) => v,
                Err(rquickjs::Error::Exception) => {
                    // The predicate threw: the check fails, the script goes on.
                    drop(ctx.catch());
                    Value::new_bool(ctx.clone(), false)
                }
                Err(e) => return Err(e),
            },
            None => predicate,
        };
        let passed = Coerced::<bool>::from_js(&ctx, verdict)?.0;
        metrics::check(&name, passed, &tags);
        all &= passed;
    }
    Ok(all)
}

fn vu(ctx: Ctx<'_>) -> Result<Object<'_>> {
    let info = execution::vu();
    let out = Object::new(ctx)?;
    out.set("id", info.id)?;
    // Exact up to 2^53 iterations.
    out.set("iteration", info.iteration as f64)?;
    out.set("scenario", info.scenario)?;
    Ok(out)
}

fn write(level: String, message: String) {
    let level = match level.as_str() {
        "debug" => log::Level::Debug,
        "warn" => log::Level::Warn,
        "error" => log::Level::Error,
        _ => log::Level::Info,
    };
    log::write(level, &message);
}

fn utf8_encode(ctx: Ctx<'_>, text: String) -> Result<TypedArray<'_, u8>> {
    TypedArray::new(ctx, text.into_bytes())
}

/// UTF-8 to text; `fatal` throws on malformed input instead of putting
/// U+FFFD in its place, as `TextDecoder` does.
fn utf8_decode(ctx: Ctx<'_>, bytes: Value<'_>, fatal: Opt<bool>) -> Result<String> {
    let bytes = bytes_of(&bytes)
        .ok_or_else(|| Exception::throw_type(&ctx, "decode() takes a Uint8Array"))?;
    match String::from_utf8(bytes) {
        Ok(text) => Ok(text),
        Err(_) if fatal.0.unwrap_or(false) => {
            Err(Exception::throw_type(&ctx, "the data is not valid UTF-8"))
        }
        Err(e) => Ok(String::from_utf8_lossy(e.as_bytes()).into_owned()),
    }
}

fn random_bytes(ctx: Ctx<'_>, len: u32) -> Result<TypedArray<'_, u8>> {
    if len > 65_536 {
        return Err(Exception::throw_range(
            &ctx,
            "at most 65536 random bytes at a time",
        ));
    }
    TypedArray::new(
        ctx,
        wasip2::random::random::get_random_bytes(u64::from(len)),
    )
}

/// `Math.random`: xorshift128+, 53 bits of it.
fn random() -> f64 {
    RANDOM.with(|state| {
        let (mut s1, s0) = state.get();
        let result = s0.wrapping_add(s1);
        s1 ^= s1 << 23;
        s1 ^= s1 >> 17;
        s1 ^= s0 ^ (s0 >> 26);
        state.set((s0, s1));
        (result >> 11) as f64 / (1u64 << 53) as f64
    })
}

/// Seeds `Math.random` from the host's random source.
pub fn reseed() {
    let seed = (
        wasip2::random::random::get_random_u64() | 1,
        wasip2::random::random::get_random_u64(),
    );
    RANDOM.with(|state| state.set(seed));
}
