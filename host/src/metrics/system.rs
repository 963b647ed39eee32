//! k6's system tags: the tags Barrage puts on samples by itself, and which
//! of them a run keeps (`--system-tags`).
//!
//! `vu` and `iter` are off by default and, when on, are written by the
//! outputs beside each sample but never split the aggregates: every
//! iteration would otherwise make a new tag set.

use std::fmt;
use std::sync::LazyLock;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum SystemTag {
    Proto,
    Status,
    Method,
    Url,
    Name,
    Group,
    Check,
    Error,
    ErrorCode,
    Scenario,
    ExpectedResponse,
    Vu,
    Iter,
}

/// Each tag's name; k6's names Barrage accepts but does not record
/// (`subproto`, `tls_version`, `service`, `ip`, `ocsp_status`) are in
/// [`IGNORED`].
const NAMES: [(&str, SystemTag); 13] = [
    ("proto", SystemTag::Proto),
    ("status", SystemTag::Status),
    ("method", SystemTag::Method),
    ("url", SystemTag::Url),
    ("name", SystemTag::Name),
    ("group", SystemTag::Group),
    ("check", SystemTag::Check),
    ("error", SystemTag::Error),
    ("error_code", SystemTag::ErrorCode),
    ("scenario", SystemTag::Scenario),
    ("expected_response", SystemTag::ExpectedResponse),
    ("vu", SystemTag::Vu),
    ("iter", SystemTag::Iter),
];

/// k6 system tags that describe what Barrage does not measure.
const IGNORED: [&str; 5] = ["subproto", "tls_version", "service", "ip", "ocsp_status"];

/// The set of system tags a run records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SystemTags(u16);

impl Default for SystemTags {
    /// k6's default: all but `vu` and `iter`.
    fn default() -> Self {
        let all = NAMES.iter().fold(SystemTags(0), |s, (_, t)| s.with(*t));
        SystemTags(all.0 & !(bit(SystemTag::Vu) | bit(SystemTag::Iter)))
    }
}

fn bit(tag: SystemTag) -> u16 {
    1 << tag as u8
}

impl SystemTags {
    pub const NONE: SystemTags = SystemTags(0);

    pub fn has(self, tag: SystemTag) -> bool {
        self.0 & bit(tag) != 0
    }

    pub fn with(self, tag: SystemTag) -> SystemTags {
        SystemTags(self.0 | bit(tag))
    }

    /// Reads a list of names, as `--system-tags status,method,url` gives.
    pub fn parse<'a>(names: impl IntoIterator<Item = &'a str>) -> Result<SystemTags, String> {
        let mut tags = SystemTags::NONE;
        for name in names.into_iter().map(str::trim).filter(|n| !n.is_empty()) {
            match NAMES.iter().find(|(n, _)| *n == name) {
                Some((_, tag)) => tags = tags.with(*tag),
                None if IGNORED.contains(&name) => {
                    tracing::debug!("system tag `{name}` is not recorded by Barrage");
                }
                None => {
                    let known: Vec<&str> = NAMES.iter().map(|(n, _)| *n).collect();
                    return Err(format!(
                        "unknown system tag `{name}` (known: {})",
                        known.join(", ")
                    ));
                }
            }
        }
        Ok(tags)
    }
}

impl fmt::Display for SystemTags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = NAMES
            .iter()
            .filter(|(_, t)| self.has(*t))
            .map(|(n, _)| *n)
            .collect();
        f.write_str(&names.join(","))
    }
}

/// Numbers as tag values without formatting on every request: statuses
/// and k6 error codes are all below this.
const NUMBERS: u32 = 2000;

static NUMBER_TEXT: LazyLock<Vec<Box<str>>> =
    LazyLock::new(|| (0..NUMBERS).map(|n| n.to_string().into()).collect());

/// `n` as text for a tag value; numbers past the table read `other`.
pub fn number_text(n: u32) -> &'static str {
    NUMBER_TEXT.get(n as usize).map_or("other", |s| s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_k6s() {
        let d = SystemTags::default();
        assert!(d.has(SystemTag::Status) && d.has(SystemTag::ExpectedResponse));
        assert!(!d.has(SystemTag::Vu) && !d.has(SystemTag::Iter));
        assert_eq!(
            d.to_string(),
            "proto,status,method,url,name,group,check,error,error_code,scenario,\
             expected_response"
        );
    }

    #[test]
    fn lists_parse_and_unknown_names_are_refused() {
        let t = SystemTags::parse("status, vu,tls_version".split(',')).unwrap();
        assert_eq!(t.to_string(), "status,vu");
        let e = SystemTags::parse(["stauts"]).unwrap_err();
        assert!(e.starts_with("unknown system tag `stauts` (known: proto, status"));
        assert_eq!(SystemTags::parse([""]).unwrap(), SystemTags::NONE);
    }

    #[test]
    fn numbers_have_their_text() {
        assert_eq!(number_text(200), "200");
        assert_eq!(number_text(1212), "1212");
        assert_eq!(number_text(70000), "other");
    }
}
