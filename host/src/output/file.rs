//! Where a file output writes: a file, gzip-compressed when its name ends
//! in `.gz`, or standard output for `-`.

use std::fs::File;
use std::io::{self, BufWriter, Write};

use flate2::Compression;
use flate2::write::GzEncoder;

/// The settings of an output that takes only a file: `json=FILE`,
/// `result=FILE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathConfig {
    pub path: String,
}

impl PathConfig {
    /// `arg` as the file of output `kind`; `example` is a file name to
    /// show when none was given.
    pub fn parse(arg: &str, kind: &str, example: &str) -> Result<PathConfig, String> {
        if arg.is_empty() {
            return Err(format!(
                "`--out {kind}` needs a file: `--out {kind}={example}`"
            ));
        }
        Ok(PathConfig { path: arg.into() })
    }
}

/// An output's destination, buffered.
pub enum Destination {
    Plain(BufWriter<File>),
    Gzip(GzEncoder<BufWriter<File>>),
    Stdout(BufWriter<io::Stdout>),
}

impl Destination {
    /// Creates (or truncates) `path`; `-` is standard output.
    pub fn create(path: &str) -> Result<Destination, String> {
        if path == "-" {
            return Ok(Destination::Stdout(BufWriter::new(io::stdout())));
        }
        let file = File::create(path).map_err(|e| format!("cannot create `{path}`: {e}"))?;
        let file = BufWriter::with_capacity(256 << 10, file);
        Ok(if path.ends_with(".gz") {
            Destination::Gzip(GzEncoder::new(file, Compression::fast()))
        } else {
            Destination::Plain(file)
        })
    }

    /// Flushes everything and, for gzip, writes the trailer.
    pub fn finish(self) -> io::Result<()> {
        match self {
            Destination::Plain(mut w) => w.flush(),
            Destination::Gzip(gz) => gz.finish()?.flush(),
            Destination::Stdout(mut w) => w.flush(),
        }
    }
}

impl Write for Destination {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Destination::Plain(w) => w.write(buf),
            Destination::Gzip(w) => w.write(buf),
            Destination::Stdout(w) => w.write(buf),
        }
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        match self {
            Destination::Plain(w) => w.write_all(buf),
            Destination::Gzip(w) => w.write_all(buf),
            Destination::Stdout(w) => w.write_all(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Destination::Plain(w) => w.flush(),
            Destination::Gzip(w) => w.flush(),
            Destination::Stdout(w) => w.flush(),
        }
    }
}

/// A file output's destination and its name for messages; after the
/// first failed write it writes nothing more.
pub struct FileOut {
    out: Option<Destination>,
    path: String,
}

impl FileOut {
    pub fn create(path: &str) -> Result<FileOut, String> {
        Ok(FileOut {
            out: Some(Destination::create(path)?),
            path: path.to_owned(),
        })
    }

    pub fn write(&mut self, text: &str) -> Result<(), String> {
        match &mut self.out {
            Some(out) => out
                .write_all(text.as_bytes())
                .map_err(|e| format!("cannot write to `{}`: {e}", self.path)),
            None => Ok(()),
        }
    }

    pub fn finish(&mut self) -> Result<(), String> {
        match self.out.take() {
            Some(out) => out
                .finish()
                .map_err(|e| format!("cannot write to `{}`: {e}", self.path)),
            None => Ok(()),
        }
    }
}

/// The value cached at `index`, made by `make` on first use: outputs
/// keep each metric's name and each tag set's text this way.
pub fn memo<T>(cache: &mut Vec<Option<T>>, index: usize, make: impl FnOnce() -> T) -> &T {
    if cache.len() <= index {
        cache.resize_with(index + 1, || None);
    }
    cache[index].get_or_insert_with(make)
}

/// A number as Go's JSON writes a float64, which k6's tools expect:
/// whole numbers without a fraction (`1`, not `1.0`).
pub fn go_number(out: &mut String, v: f64) {
    use std::fmt::Write as _;
    if !v.is_finite() {
        out.push_str("null");
    } else if v.fract() == 0.0 && v.abs() < 1e15 {
        let _ = write!(out, "{}", v as i64);
    } else {
        let _ = write!(out, "{v}");
    }
}

/// Wall-clock time as RFC 3339 in UTC with the fraction Go's encoder
/// prints: nanoseconds, trailing zeros trimmed.
pub fn rfc3339(time: std::time::SystemTime) -> String {
    use time::format_description::well_known::Rfc3339;
    time::OffsetDateTime::from(time)
        .format(&Rfc3339)
        .unwrap_or_default()
}

/// RFC 3339 timestamps for many samples close in time: the text up to
/// the second is made once per second, the fraction per sample.
#[derive(Default)]
pub struct Stamps {
    second: Option<u64>,
    prefix: String,
}

impl Stamps {
    /// Appends `time` as [`rfc3339`] writes it.
    pub fn write(&mut self, out: &mut String, time: std::time::SystemTime) {
        use std::fmt::Write as _;
        let since = time
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        let second = since.as_secs();
        if self.second != Some(second) {
            let whole = std::time::UNIX_EPOCH + std::time::Duration::from_secs(second);
            self.prefix = rfc3339(whole).trim_end_matches('Z').to_owned();
            self.second = Some(second);
        }
        out.push_str(&self.prefix);
        let nanos = since.subsec_nanos();
        if nanos > 0 {
            let mut fraction = String::with_capacity(10);
            let _ = write!(fraction, ".{nanos:09}");
            out.push_str(fraction.trim_end_matches('0'));
        }
        out.push('Z');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_times_read_as_go_writes_them() {
        let mut s = String::new();
        for v in [1.0, 0.25, 1234.5678, -3.0, f64::NAN] {
            go_number(&mut s, v);
            s.push(' ');
        }
        assert_eq!(s, "1 0.25 1234.5678 -3 null ");
        let t = std::time::UNIX_EPOCH + std::time::Duration::from_nanos(1_700_000_000_120_000_000);
        assert_eq!(rfc3339(t), "2023-11-14T22:13:20.12Z");
        let mut stamps = Stamps::default();
        let mut out = String::new();
        stamps.write(&mut out, t);
        out.push(' ');
        stamps.write(&mut out, t + std::time::Duration::from_nanos(5));
        out.push(' ');
        stamps.write(
            &mut out,
            std::time::UNIX_EPOCH + std::time::Duration::from_secs(1),
        );
        assert_eq!(
            out,
            "2023-11-14T22:13:20.12Z 2023-11-14T22:13:20.120000005Z 1970-01-01T00:00:01Z"
        );
    }
}
