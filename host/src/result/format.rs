//! The result file's layout: a magic line, then length-prefixed,
//! checksummed Protocol Buffers records.
//!
//! ```text
//! "BARRAGE-RESULT 1\n"
//! record*: u32 length (LE) | u32 CRC-32 of the payload (LE) | payload
//! ```
//!
//! Each payload is one [`Record`]. Records are appended as the run goes,
//! so the file is readable at every moment: a reader stops at the first
//! record that is cut short or fails its checksum, which is where a killed
//! instance stopped writing. Fields are Protocol Buffers fields, so a
//! newer writer may add some that an older reader skips; a change that
//! old readers would misread takes a new version number in the magic.

use std::io::{self, Read, Write};

/// The first bytes of every result file, with the format's version.
pub const MAGIC: &[u8] = b"BARRAGE-RESULT 1\n";
/// The most a record may hold: far above any real bucket, low enough
/// that a corrupt length cannot make the reader allocate gigabytes.
const MAX_RECORD: u32 = 256 << 20;

#[derive(Clone, PartialEq, prost::Message)]
pub struct Record {
    #[prost(oneof = "Body", tags = "1, 2, 3, 4, 5, 6, 7")]
    pub body: Option<Body>,
}

#[derive(Clone, PartialEq, prost::Oneof)]
pub enum Body {
    #[prost(message, tag = "1")]
    Header(Header),
    #[prost(message, tag = "2")]
    Metric(MetricDef),
    #[prost(message, tag = "3")]
    TagSet(TagSetDef),
    #[prost(message, tag = "4")]
    Check(CheckDef),
    #[prost(message, tag = "5")]
    Bucket(Bucket),
    #[prost(message, tag = "6")]
    Checks(CheckCounts),
    #[prost(message, tag = "7")]
    End(End),
}

/// The first record: what was run, and how this instance's share of it.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Header {
    #[prost(string, tag = "1")]
    pub barrage_version: String,
    /// The scenario's file name.
    #[prost(string, tag = "2")]
    pub scenario: String,
    /// `start:end`, e.g. `1/3:2/3`; `0:1` for a whole test.
    #[prost(string, tag = "3")]
    pub segment: String,
    /// `0,1/3,2/3,1`; empty when none was given.
    #[prost(string, tag = "4")]
    pub sequence: String,
    /// When the instance's clock started, in microseconds since the Unix
    /// epoch: sample times in the file count from it.
    #[prost(int64, tag = "5")]
    pub started_unix_us: i64,
    /// The width of a bucket, in microseconds.
    #[prost(uint64, tag = "6")]
    pub bucket_us: u64,
    /// The thresholds of the test, judged when parts are merged.
    #[prost(message, repeated, tag = "7")]
    pub thresholds: Vec<ThresholdDef>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct ThresholdDef {
    /// As written, with tags: `http_req_duration{status:200}`.
    #[prost(string, tag = "1")]
    pub metric: String,
    /// As written: `p(95)<500`, `rate<0.01 over 30s`.
    #[prost(string, tag = "2")]
    pub source: String,
    #[prost(bool, tag = "3")]
    pub abort_on_fail: bool,
    #[prost(uint64, tag = "4")]
    pub delay_abort_eval_ms: u64,
}

/// A metric, the first time a bucket holds it. Ids are the file's own.
#[derive(Clone, PartialEq, prost::Message)]
pub struct MetricDef {
    #[prost(uint32, tag = "1")]
    pub id: u32,
    #[prost(string, tag = "2")]
    pub name: String,
    /// 0 counter, 1 gauge, 2 rate, 3 trend.
    #[prost(uint32, tag = "3")]
    pub kind: u32,
    /// 0 plain numbers, 1 time (ms), 2 data (bytes).
    #[prost(uint32, tag = "4")]
    pub contains: u32,
}

/// A tag set, the first time a bucket holds it.
#[derive(Clone, PartialEq, prost::Message)]
pub struct TagSetDef {
    #[prost(uint32, tag = "1")]
    pub id: u32,
    #[prost(message, repeated, tag = "2")]
    pub tags: Vec<Tag>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct Tag {
    #[prost(string, tag = "1")]
    pub name: String,
    #[prost(string, tag = "2")]
    pub value: String,
}

/// A check, the first time its counts are written.
#[derive(Clone, PartialEq, prost::Message)]
pub struct CheckDef {
    #[prost(uint32, tag = "1")]
    pub id: u32,
    #[prost(string, tag = "2")]
    pub group: String,
    #[prost(string, tag = "3")]
    pub name: String,
}

/// The samples taken in one bucket of time and written together. Several
/// records may hold the same bucket (samples that came in late): they add.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Bucket {
    /// The bucket's index: it spans `[index, index + 1) * bucket_us` of
    /// the instance's clock.
    #[prost(uint64, tag = "1")]
    pub index: u64,
    #[prost(message, repeated, tag = "2")]
    pub entries: Vec<Entry>,
}

/// One metric's samples in one tag set, aggregated.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Entry {
    #[prost(uint32, tag = "1")]
    pub set: u32,
    #[prost(uint32, tag = "2")]
    pub metric: u32,
    /// Counters and trends: the values' sum.
    #[prost(double, tag = "3")]
    pub sum: f64,
    /// Gauges: the last value, and when (µs of the instance's clock).
    #[prost(double, tag = "4")]
    pub last: f64,
    #[prost(uint64, tag = "5")]
    pub at: u64,
    /// Gauges and trends.
    #[prost(double, tag = "6")]
    pub min: f64,
    #[prost(double, tag = "7")]
    pub max: f64,
    /// Rates: how many values were non-zero, of how many.
    #[prost(uint64, tag = "8")]
    pub trues: u64,
    #[prost(uint64, tag = "9")]
    pub total: u64,
    /// Trends: how many values, and their HdrHistogram (V2, compressed).
    #[prost(uint64, tag = "10")]
    pub count: u64,
    #[prost(bytes = "vec", tag = "11")]
    pub hist: Vec<u8>,
}

/// Checks' passes and failures since the last such record.
#[derive(Clone, PartialEq, prost::Message)]
pub struct CheckCounts {
    #[prost(message, repeated, tag = "1")]
    pub counts: Vec<CheckCount>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct CheckCount {
    #[prost(uint32, tag = "1")]
    pub id: u32,
    #[prost(uint64, tag = "2")]
    pub passes: u64,
    #[prost(uint64, tag = "3")]
    pub fails: u64,
}

/// The last record of an instance that finished.
#[derive(Clone, PartialEq, prost::Message)]
pub struct End {
    /// From the first VU start to the end of the run.
    #[prost(uint64, tag = "1")]
    pub elapsed_us: u64,
    /// When the run's VUs started, µs of the instance's clock.
    #[prost(uint64, tag = "2")]
    pub run_started_us: u64,
    #[prost(uint64, tag = "3")]
    pub complete: u64,
    #[prost(uint64, tag = "4")]
    pub interrupted: u64,
    #[prost(uint32, tag = "5")]
    pub vus_max: u32,
    /// The instance's own exit code.
    #[prost(int32, tag = "6")]
    pub exit_code: i32,
}

/// Appends one record.
pub fn write_record(out: &mut impl Write, body: Body) -> io::Result<()> {
    let payload = prost::Message::encode_to_vec(&Record { body: Some(body) });
    let len = u32::try_from(payload.len())
        .ok()
        .filter(|&l| l <= MAX_RECORD)
        .ok_or_else(|| io::Error::other("a result record is too large"))?;
    out.write_all(&len.to_le_bytes())?;
    out.write_all(&crc32fast::hash(&payload).to_le_bytes())?;
    out.write_all(&payload)
}

/// A result file's records, as far as they are whole.
#[derive(Debug, Default)]
pub struct Records {
    pub records: Vec<Body>,
    /// Why reading stopped before the end of the file, if it did.
    pub cut: Option<String>,
}

/// Reads every whole record of a result file.
pub fn read_records(input: &mut impl Read) -> io::Result<Records> {
    let mut bytes = Vec::new();
    input.read_to_end(&mut bytes)?;
    let Some(mut rest) = bytes.strip_prefix(MAGIC) else {
        let what = if bytes.starts_with(b"BARRAGE-RESULT ") {
            "a result file of another format version: merge it with the Barrage that wrote it"
        } else {
            "not a Barrage result file"
        };
        return Err(io::Error::new(io::ErrorKind::InvalidData, what));
    };
    let mut out = Records::default();
    while !rest.is_empty() {
        let n = out.records.len();
        let Some((head, tail)) = rest.split_first_chunk::<8>() else {
            out.cut = Some(format!("cut short after {n} records"));
            break;
        };
        let len = u32::from_le_bytes([head[0], head[1], head[2], head[3]]);
        let crc = u32::from_le_bytes([head[4], head[5], head[6], head[7]]);
        if len > MAX_RECORD || tail.len() < len as usize {
            out.cut = Some(format!("cut short after {n} records"));
            break;
        }
        let (payload, tail) = tail.split_at(len as usize);
        if crc32fast::hash(payload) != crc {
            out.cut = Some(format!("record {} is damaged (checksum mismatch)", n + 1));
            break;
        }
        match <Record as prost::Message>::decode(payload) {
            Ok(Record { body: Some(body) }) => out.records.push(body),
            // A kind of record a newer Barrage added: skipped.
            Ok(Record { body: None }) => {}
            Err(e) => {
                out.cut = Some(format!("record {} does not decode: {e}", n + 1));
                break;
            }
        }
        rest = tail;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(bodies: &[Body]) -> Vec<u8> {
        let mut out = MAGIC.to_vec();
        for b in bodies {
            write_record(&mut out, b.clone()).expect("in memory");
        }
        out
    }

    fn check(id: u32) -> Body {
        Body::Check(CheckDef {
            id,
            group: String::new(),
            name: format!("check {id}"),
        })
    }

    #[test]
    fn records_read_back_as_written() {
        let bodies = vec![check(0), check(1), check(2)];
        let read = read_records(&mut &file(&bodies)[..]).expect("reads");
        assert_eq!(read.records, bodies);
        assert_eq!(read.cut, None);
    }

    #[test]
    fn a_file_cut_anywhere_yields_its_whole_records() {
        let bodies = vec![check(0), check(1), check(2)];
        let whole = file(&bodies);
        let ends: Vec<usize> = {
            let mut ends = vec![MAGIC.len()];
            for b in &bodies {
                let mut one = Vec::new();
                write_record(&mut one, b.clone()).expect("in memory");
                ends.push(ends.last().copied().unwrap_or(0) + one.len());
            }
            ends
        };
        for cut in MAGIC.len()..whole.len() {
            let read = read_records(&mut &whole[..cut]).expect("reads");
            let whole_records = ends.iter().filter(|&&e| e <= cut).count() - 1;
            assert_eq!(read.records.len(), whole_records, "cut at {cut}");
            assert_eq!(read.cut.is_some(), !ends.contains(&cut), "cut at {cut}");
        }
    }

    #[test]
    fn a_damaged_record_stops_the_reading_there() {
        let mut bytes = file(&[check(0), check(1)]);
        let last = bytes.len() - 1;
        bytes[last] ^= 0xff;
        let read = read_records(&mut &bytes[..]).expect("reads");
        assert_eq!(read.records, vec![check(0)]);
        assert!(read.cut.unwrap_or_default().contains("damaged"));
    }

    #[test]
    fn other_files_are_refused() {
        let err = read_records(&mut &b"{\"metrics\":{}}"[..]).unwrap_err();
        assert!(err.to_string().contains("not a Barrage result file"));
        let err = read_records(&mut &b"BARRAGE-RESULT 9\n"[..]).unwrap_err();
        assert!(err.to_string().contains("another format version"));
    }
}
