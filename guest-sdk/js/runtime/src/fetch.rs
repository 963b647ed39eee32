//! `fetch()` over standard `wasi:http`: the host sends it on the VU's own
//! measured client, so it counts in `http_reqs` like an SDK request.
//! `prelude.js` wraps this in the standard `fetch`, `Headers` and
//! `Response`.

use rquickjs::convert::List;
use rquickjs::function::Opt;
use rquickjs::{Ctx, Exception, Object, Result, TypedArray, Value};
use wasip2::http::outgoing_handler;
use wasip2::http::types::{Fields, IncomingBody, Method, OutgoingBody, OutgoingRequest, Scheme};
use wasip2::io::streams::StreamError;

/// Sends one request and reads the whole response: `{ status, headers,
/// body }`. A failure to get a response throws a `TypeError`, which the
/// prelude turns into a rejected promise, as `fetch` does.
pub fn fetch<'js>(
    ctx: Ctx<'js>,
    method: String,
    url: String,
    headers: Vec<List<(String, String)>>,
    body: Opt<Value<'js>>,
) -> Result<Object<'js>> {
    let failed = |why: String| Exception::throw_type(&ctx, &format!("fetch failed: {why}"));
    let body = match body.0 {
        Some(v) if !v.is_undefined() && !v.is_null() => {
            Some(crate::host::bytes_of(&v).ok_or_else(|| failed("the body is not bytes".into()))?)
        }
        _ => None,
    };
    let headers = crate::host::from_pairs(Some(headers));
    let (status, headers, bytes) = send(&method, &url, headers, body.as_deref()).map_err(failed)?;
    let out = Object::new(ctx.clone())?;
    out.set("status", status)?;
    out.set("headers", crate::host::to_pairs(&ctx, headers)?)?;
    out.set("body", TypedArray::<u8>::new(ctx.clone(), bytes)?)?;
    Ok(out)
}

type Received = (u16, Vec<(String, String)>, Vec<u8>);

fn send(
    method: &str,
    url: &str,
    headers: Vec<(String, String)>,
    body: Option<&[u8]>,
) -> std::result::Result<Received, String> {
    let (scheme, authority, path) = split_url(url)?;
    let fields: Vec<_> = headers
        .into_iter()
        .map(|(name, value)| (name.to_ascii_lowercase(), value.into_bytes()))
        .collect();
    let fields = Fields::from_list(&fields).map_err(|e| format!("bad header: {e:?}"))?;
    let request = OutgoingRequest::new(fields);
    let method = match method.to_ascii_uppercase().as_str() {
        "GET" => Method::Get,
        "HEAD" => Method::Head,
        "POST" => Method::Post,
        "PUT" => Method::Put,
        "DELETE" => Method::Delete,
        "OPTIONS" => Method::Options,
        "PATCH" => Method::Patch,
        "TRACE" => Method::Trace,
        "CONNECT" => Method::Connect,
        _ => Method::Other(method.to_owned()),
    };
    let invalid = |what: &str| format!("invalid {what} in `{url}`");
    request
        .set_method(&method)
        .map_err(|()| invalid("method"))?;
    request
        .set_scheme(Some(&scheme))
        .map_err(|()| invalid("scheme"))?;
    request
        .set_authority(Some(authority))
        .map_err(|()| invalid("host"))?;
    request
        .set_path_with_query(Some(&path))
        .map_err(|()| invalid("path"))?;
    let outgoing = request
        .body()
        .map_err(|()| "the request has no body".to_owned())?;
    let pending = outgoing_handler::handle(request, None).map_err(|e| e.to_string())?;
    {
        let stream = outgoing
            .write()
            .map_err(|()| "the body cannot be written".to_owned())?;
        for chunk in body.unwrap_or_default().chunks(4096) {
            stream
                .blocking_write_and_flush(chunk)
                .map_err(|e| format!("sending the body: {e}"))?;
        }
    }
    OutgoingBody::finish(outgoing, None).map_err(|e| e.to_string())?;
    pending.subscribe().block();
    let response = match pending.get() {
        Some(Ok(Ok(response))) => response,
        Some(Ok(Err(e))) => return Err(e.to_string()),
        _ => return Err("no response".to_owned()),
    };
    let status = response.status();
    let headers = response
        .headers()
        .entries()
        .into_iter()
        .map(|(name, value)| (name, String::from_utf8_lossy(&value).into_owned()))
        .collect();
    let incoming = response
        .consume()
        .map_err(|()| "the response has no body".to_owned())?;
    let mut bytes = Vec::new();
    {
        let stream = incoming
            .stream()
            .map_err(|()| "the body cannot be read".to_owned())?;
        loop {
            match stream.blocking_read(64 * 1024) {
                Ok(chunk) => bytes.extend_from_slice(&chunk),
                Err(StreamError::Closed) => break,
                Err(e) => return Err(format!("reading the body: {e}")),
            }
        }
    }
    drop(IncomingBody::finish(incoming));
    Ok((status, headers, bytes))
}

/// `http://host:port/path?query#fragment` to its scheme, authority and
/// path with query (the fragment is never sent).
fn split_url(url: &str) -> std::result::Result<(Scheme, &str, String), String> {
    let (scheme, rest) = url
        .split_once("://")
        .ok_or_else(|| format!("`{url}` is not an absolute URL"))?;
    let scheme = match scheme.to_ascii_lowercase().as_str() {
        "http" => Scheme::Http,
        "https" => Scheme::Https,
        other => return Err(format!("unsupported scheme `{other}`")),
    };
    let rest = rest.split('#').next().unwrap_or_default();
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(end);
    if authority.is_empty() {
        return Err(format!("`{url}` has no host"));
    }
    let path = if path.starts_with('/') {
        path.to_owned()
    } else {
        format!("/{path}")
    };
    Ok((scheme, authority, path))
}
