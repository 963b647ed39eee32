//! Which hosts a scenario may send requests to (`--allow-host`).
//!
//! A scenario may come from someone else; the allowlist keeps its
//! requests on the hosts the person running the test named. An empty
//! list allows every host. A pattern is a host name or address
//! (`api.example.test`, `127.0.0.1`, `[::1]`), or `*.` and a domain for
//! any name below it (not the domain itself), optionally with `:port`.
//! Every redirect hop is checked as well; a refused request fails with
//! k6's blocked-host error, as a response, never a trap.

use url::Url;

/// One `--allow-host` pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Pattern {
    /// Lowercase host, or the domain after `*.`.
    host: String,
    wildcard: bool,
    port: Option<u16>,
}

/// The hosts requests may go to; empty allows all.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Allowlist {
    patterns: Vec<Pattern>,
    /// The patterns as given, for messages.
    shown: Vec<String>,
}

impl Allowlist {
    /// The list that allows every host.
    pub const fn all() -> Allowlist {
        Allowlist {
            patterns: Vec::new(),
            shown: Vec::new(),
        }
    }

    /// Reads patterns; a malformed one is refused with what is wrong.
    pub fn parse<'a>(patterns: impl IntoIterator<Item = &'a str>) -> Result<Allowlist, String> {
        let mut list = Allowlist::default();
        for text in patterns
            .into_iter()
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            list.patterns.push(pattern(text)?);
            list.shown.push(text.to_owned());
        }
        Ok(list)
    }

    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    /// `None` if `url` may be requested, else why not.
    pub fn refuse(&self, url: &Url) -> Option<String> {
        if self.patterns.is_empty() {
            return None;
        }
        let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
        let port = url.port_or_known_default();
        let allowed = self.patterns.iter().any(|p| {
            let host_ok = if p.wildcard {
                host.len() > p.host.len() + 1
                    && host.ends_with(&p.host)
                    && host[..host.len() - p.host.len()].ends_with('.')
            } else {
                host == p.host
            };
            host_ok && p.port.is_none_or(|want| port == Some(want))
        });
        (!allowed).then(|| {
            format!(
                "host `{}` is not allowed (allowed: {})",
                url.host_str().unwrap_or_default(),
                self.shown.join(", ")
            )
        })
    }
}

fn pattern(text: &str) -> Result<Pattern, String> {
    let bad = |why: &str| format!("`{text}` is not a host pattern: {why}");
    let (wildcard, rest) = match text.strip_prefix("*.") {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    // Parse as the authority of a URL, so names, IPv4 and [IPv6] with an
    // optional port read as URLs read them.
    let url = Url::parse(&format!("http://{rest}/")).map_err(|e| bad(&e.to_string()))?;
    let host = url.host_str().ok_or_else(|| bad("no host"))?;
    if rest.contains(['/', '@', '?', '#']) {
        return Err(bad("give a host and an optional port only"));
    }
    if host.contains('*') {
        return Err(bad("`*` is only allowed as `*.domain`"));
    }
    // `url` drops a port that is the scheme's default; keep what was written.
    let port = match rest.rsplit_once(':') {
        Some((_, p)) if !rest.ends_with(']') => Some(
            p.parse::<u16>()
                .map_err(|_| bad("the port is not a number"))?,
        ),
        _ => None,
    };
    Ok(Pattern {
        host: host.to_ascii_lowercase(),
        wildcard,
        port,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allows(list: &Allowlist, url: &str) -> bool {
        list.refuse(&Url::parse(url).unwrap()).is_none()
    }

    #[test]
    fn hosts_wildcards_and_ports() {
        let list = Allowlist::parse(["api.example.test", "*.cdn.test", "127.0.0.1:8080", "[::1]"])
            .unwrap();
        assert!(allows(&list, "https://API.example.test/x"));
        assert!(!allows(&list, "https://evil.example.test/"));
        assert!(allows(&list, "http://img.cdn.test/a.png"));
        assert!(allows(&list, "http://a.b.cdn.test/"));
        assert!(
            !allows(&list, "http://cdn.test/"),
            "the domain itself is not below it"
        );
        assert!(!allows(&list, "http://xcdn.test/"));
        assert!(allows(&list, "http://127.0.0.1:8080/"));
        assert!(!allows(&list, "http://127.0.0.1:9090/"));
        assert!(allows(&list, "http://[::1]:5000/"));
        assert_eq!(
            list.refuse(&Url::parse("http://10.0.0.1/").unwrap())
                .unwrap(),
            "host `10.0.0.1` is not allowed (allowed: api.example.test, *.cdn.test, \
             127.0.0.1:8080, [::1])"
        );
        assert!(allows(&Allowlist::default(), "http://anything.test/"));
    }

    #[test]
    fn a_default_port_written_out_still_binds() {
        let list = Allowlist::parse(["example.test:80"]).unwrap();
        assert!(allows(&list, "http://example.test/"));
        assert!(!allows(&list, "https://example.test/"));
    }

    #[test]
    fn malformed_patterns_are_refused() {
        for bad in [
            "http://x.test/",
            "a*b.test",
            "x.test:port",
            "user@x.test",
            "*.",
            "**.x",
        ] {
            assert!(Allowlist::parse([bad]).is_err(), "{bad}");
        }
    }
}
