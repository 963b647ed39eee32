//! `http.request` and `http.batch` of the SDK, in Rust: a k6 params
//! object to the contract's request, and its response to the k6-shaped
//! object a script reads. Doing this natively keeps the hot path of a
//! scenario out of the interpreter: less CPU per request, and fewer of
//! the snapshot's objects touched (each touch is a page a VU copies).

use barrage_sdk::bindings::barrage::scenario::http;
use rquickjs::convert::Coerced;
use rquickjs::function::Opt;
use rquickjs::{Array, Ctx, Exception, Object, Result, TypedArray, Value};

/// What a script asked for, and how it wants the body back.
struct Prepared {
    request: http::Request,
    body_as: BodyAs,
}

#[derive(Clone, Copy)]
enum BodyAs {
    Text,
    Binary,
    Nothing,
}

/// `request(method, url, body, params, prototype)`: sends one request and
/// returns the response with `prototype` (the SDK's `Response`'s).
pub fn request<'js>(
    ctx: Ctx<'js>,
    method: Coerced<String>,
    url: Coerced<String>,
    body: Opt<Value<'js>>,
    params: Opt<Value<'js>>,
    prototype: Object<'js>,
) -> Result<Object<'js>> {
    let prepared = prepare(&ctx, method.0, url.0, body.0, params.0)?;
    let raw = http::send(&prepared.request);
    response(&ctx, raw, &prepared, &prototype)
}

/// `batch(entries, prototype)`, each entry `[method, url, body, params]`:
/// sent in parallel, answered in order.
pub fn batch<'js>(
    ctx: Ctx<'js>,
    entries: Array<'js>,
    prototype: Object<'js>,
) -> Result<Array<'js>> {
    let mut all = Vec::with_capacity(entries.len());
    for entry in entries.iter::<Array>() {
        let entry = entry?;
        let method: Coerced<String> = entry.get(0)?;
        let url: Coerced<String> = entry.get(1)?;
        all.push(prepare(
            &ctx,
            method.0,
            url.0,
            entry.get(2)?,
            entry.get(3)?,
        )?);
    }
    let requests: Vec<_> = all.iter().map(|p| p.request.clone()).collect();
    let out = Array::new(ctx.clone())?;
    for (i, (raw, prepared)) in http::batch(&requests).into_iter().zip(&all).enumerate() {
        out.set(i, response(&ctx, raw, prepared, &prototype)?)?;
    }
    Ok(out)
}

fn prepare<'js>(
    ctx: &Ctx<'js>,
    method: String,
    url: String,
    body: Option<Value<'js>>,
    params: Option<Value<'js>>,
) -> Result<Prepared> {
    let params = params.and_then(|p| p.into_object());
    let field = |name: &str| -> Result<Option<Value<'js>>> {
        match &params {
            Some(p) => {
                let v: Value = p.get(name)?;
                Ok((!v.is_undefined() && !v.is_null()).then_some(v))
            }
            None => Ok(None),
        }
    };
    let mut headers = match field("headers")? {
        Some(h) => pairs(&h)?,
        None => Vec::new(),
    };
    let (body, implied_type) = encode_body(ctx, body)?;
    if let Some(kind) = implied_type
        && !headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("content-type"))
    {
        headers.push(("Content-Type".to_owned(), kind.to_owned()));
    }
    let tags = match field("tags")? {
        Some(t) => pairs(&t)?,
        None => Vec::new(),
    };
    let name = match field("name")? {
        Some(n) => Some(text(ctx, n)?),
        None => tags
            .iter()
            .find(|(k, _)| k == "name")
            .map(|(_, v)| v.clone()),
    };
    let tags = tags.into_iter().filter(|(k, _)| k != "name").collect();
    let timeout_ms = match field("timeout")? {
        Some(t) => Some(timeout(ctx, t)?),
        None => None,
    };
    let body_as = match field("responseType")? {
        None => BodyAs::Text,
        Some(t) => match text(ctx, t)?.as_str() {
            "text" => BodyAs::Text,
            "binary" => BodyAs::Binary,
            "none" => BodyAs::Nothing,
            other => {
                return Err(Exception::throw_type(
                    ctx,
                    &format!(
                        "unknown responseType `{other}`: use \"text\", \"binary\" or \"none\""
                    ),
                ));
            }
        },
    };
    Ok(Prepared {
        request: http::Request {
            method: method.to_ascii_uppercase(),
            url,
            headers,
            body,
            timeout_ms,
            name,
            tags,
            body_mode: match body_as {
                BodyAs::Nothing => http::BodyMode::Discard,
                _ => http::BodyMode::Keep,
            },
        },
        body_as,
    })
}

/// `String(value)`.
fn text<'js>(ctx: &Ctx<'js>, value: Value<'js>) -> Result<String> {
    <Coerced<String> as rquickjs::FromJs>::from_js(ctx, value).map(|c| c.0)
}

/// An object's own properties, or an array of `[name, value]` pairs, as
/// text pairs.
pub fn pairs<'js>(value: &Value<'js>) -> Result<Vec<(String, String)>> {
    if let Some(array) = value.as_array() {
        let mut out = Vec::with_capacity(array.len());
        for pair in array.iter::<Array>() {
            let pair = pair?;
            let k: Coerced<String> = pair.get(0)?;
            let v: Coerced<String> = pair.get(1)?;
            out.push((k.0, v.0));
        }
        return Ok(out);
    }
    let Some(object) = value.as_object() else {
        return Ok(Vec::new());
    };
    object
        .props::<String, Coerced<String>>()
        .map(|p| p.map(|(k, v)| (k, v.0)))
        .collect()
}

/// A request body as bytes, and the content type it implies: text as
/// UTF-8, bytes as they are, and any other object as a form, as k6 does.
fn encode_body<'js>(
    ctx: &Ctx<'js>,
    body: Option<Value<'js>>,
) -> Result<(Option<Vec<u8>>, Option<&'static str>)> {
    let Some(body) = body.filter(|b| !b.is_undefined() && !b.is_null()) else {
        return Ok((None, None));
    };
    if let Some(text) = body.as_string() {
        return Ok((Some(text.to_string()?.into_bytes()), None));
    }
    if let Some(bytes) = crate::host::bytes_of(&body) {
        return Ok((Some(bytes), None));
    }
    if let Some(object) = body.as_object() {
        let form = object
            .props::<String, Coerced<String>>()
            .map(|p| p.map(|(k, v)| format!("{}={}", uri_component(&k), uri_component(&v.0))))
            .collect::<Result<Vec<_>>>()?
            .join("&");
        return Ok((
            Some(form.into_bytes()),
            Some("application/x-www-form-urlencoded"),
        ));
    }
    Ok((Some(text(ctx, body)?.into_bytes()), None))
}

/// `encodeURIComponent`.
fn uri_component(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.!~*'()".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// A `timeout` parameter in milliseconds: a number of them, or a
/// duration such as `"10s"` or `"1m30s"`.
fn timeout<'js>(ctx: &Ctx<'js>, value: Value<'js>) -> Result<u32> {
    if let Some(ms) = value.as_number() {
        return Ok(ms.max(0.0).round().min(f64::from(u32::MAX)) as u32);
    }
    let spelled = text(ctx, value)?;
    parse_duration(&spelled).ok_or_else(|| {
        Exception::throw_type(
            ctx,
            &format!("invalid timeout `{spelled}`: use milliseconds or a duration such as \"10s\""),
        )
    })
}

/// `"1m30s"`, `"250ms"`, `"2.5s"` in milliseconds; a bare number is ms.
fn parse_duration(text: &str) -> Option<u32> {
    if let Ok(ms) = text.parse::<f64>() {
        return (ms >= 0.0).then(|| ms.round().min(f64::from(u32::MAX)) as u32);
    }
    let mut total = 0.0;
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .filter(|&n| n > 0)?;
        let value: f64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let (unit, scale) = [("ms", 1.0), ("s", 1e3), ("m", 6e4), ("h", 3.6e6)]
            .into_iter()
            .find(|(unit, _)| rest.starts_with(unit))?;
        total += value * scale;
        rest = &rest[unit.len()..];
    }
    Some(total.round().min(f64::from(u32::MAX)) as u32)
}

/// `content-type` to `Content-Type`, as k6 shows header names.
fn canonical(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut start = true;
    for c in name.chars() {
        if start {
            out.extend(c.to_uppercase());
        } else {
            out.extend(c.to_lowercase());
        }
        start = c == '-';
    }
    out
}

fn response<'js>(
    ctx: &Ctx<'js>,
    raw: http::Response,
    prepared: &Prepared,
    prototype: &Object<'js>,
) -> Result<Object<'js>> {
    let out = Object::new(ctx.clone())?;
    out.set_prototype(Some(prototype))?;
    out.set("status", raw.status)?;
    out.set("url", raw.url)?;
    out.set("proto", raw.proto)?;
    let headers = Object::new(ctx.clone())?;
    for (name, value) in raw.headers {
        let key = canonical(&name);
        let joined = match headers.get::<_, Option<String>>(key.as_str())? {
            Some(before) => format!("{before}, {value}"),
            None => value,
        };
        headers.set(key, joined)?;
    }
    out.set("headers", headers)?;
    out.set("error", raw.error)?;
    out.set("error_code", raw.error_code)?;
    let t = raw.timings;
    let timings = Object::new(ctx.clone())?;
    timings.set("blocked", t.blocked)?;
    timings.set("connecting", t.connecting)?;
    timings.set("tls_handshaking", t.tls_handshaking)?;
    timings.set("sending", t.sending)?;
    timings.set("waiting", t.waiting)?;
    timings.set("receiving", t.receiving)?;
    timings.set("duration", t.duration)?;
    out.set("timings", timings)?;
    let request = Object::new(ctx.clone())?;
    request.set("method", prepared.request.method.as_str())?;
    request.set("url", prepared.request.url.as_str())?;
    out.set("request", request)?;
    match prepared.body_as {
        BodyAs::Nothing => out.set("body", Value::new_null(ctx.clone()))?,
        BodyAs::Binary => {
            let bytes = TypedArray::<u8>::new(ctx.clone(), raw.body)?;
            out.set("body", bytes.arraybuffer()?)?;
        }
        BodyAs::Text => out.set("body", String::from_utf8_lossy(&raw.body).as_ref())?,
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("250"), Some(250));
        assert_eq!(parse_duration("250ms"), Some(250));
        assert_eq!(parse_duration("2.5s"), Some(2500));
        assert_eq!(parse_duration("1m30s"), Some(90_000));
        assert_eq!(parse_duration("1h"), Some(3_600_000));
        assert_eq!(parse_duration("10x"), None);
        assert_eq!(parse_duration("s"), None);
        assert_eq!(parse_duration(""), Some(0));
    }

    #[test]
    fn header_names_and_forms() {
        assert_eq!(canonical("content-type"), "Content-Type");
        assert_eq!(canonical("X-REQUEST-ID"), "X-Request-Id");
        assert_eq!(uri_component("a b&c=ü"), "a%20b%26c%3D%C3%BC");
    }
}
