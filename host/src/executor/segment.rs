//! Execution segments: the share of a test that one instance runs.
//!
//! A test split over N instances gives each a segment of `[0, 1)`, such as
//! `1/3:2/3`. Every count in a plan (VUs, shared iterations, the slots of
//! an arrival-rate schedule) is split the same way, with no coordinator:
//! item `i` of any count belongs to exactly one segment, decided by `i`
//! alone, so the shares of all segments add up to the whole exactly.
//!
//! Items are dealt out in blocks of `D`, the common denominator of the
//! segment sequence: within a block, position `r` maps to the point
//! `(r * g mod D) / D`, with `g` coprime to `D`, and belongs to the
//! segment holding that point. Each segment thus owns exactly its
//! fraction of every block, spread through the block rather than in one
//! run, so that small counts are shared fairly too.

use std::fmt;

/// A fraction `num / den` in `[0, 1]`, in lowest terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ratio {
    num: u64,
    den: u64,
}

impl Ratio {
    pub const ZERO: Ratio = Ratio { num: 0, den: 1 };
    pub const ONE: Ratio = Ratio { num: 1, den: 1 };

    /// `None` unless `0 <= num / den <= 1`.
    pub fn new(num: u64, den: u64) -> Option<Ratio> {
        if den == 0 || num > den {
            return None;
        }
        let g = gcd(num, den);
        Some(Ratio {
            num: num / g,
            den: den / g,
        })
    }

    /// `0`, `1`, `1/3`, `0.25` or `25%`.
    pub fn parse(text: &str) -> Option<Ratio> {
        let text = text.trim();
        if let Some((n, d)) = text.split_once('/') {
            return Ratio::new(n.trim().parse().ok()?, d.trim().parse().ok()?);
        }
        let (digits, scale) = match text.strip_suffix('%') {
            Some(p) => (p, 100),
            None => (text, 1),
        };
        let (whole, frac) = digits.split_once('.').unwrap_or((digits, ""));
        if frac.len() > 9 || !frac.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let den = 10u64.pow(frac.len() as u32) * scale;
        let num = whole.parse::<u64>().ok()? * 10u64.pow(frac.len() as u32)
            + if frac.is_empty() {
                0
            } else {
                frac.parse::<u64>().ok()?
            };
        Ratio::new(num, den)
    }

    /// `self * n`, rounded down, exactly.
    fn times_floor(self, n: u64) -> u64 {
        (u128::from(n) * u128::from(self.num) / u128::from(self.den)) as u64
    }
}

impl PartialOrd for Ratio {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Ratio {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (u128::from(self.num) * u128::from(other.den))
            .cmp(&(u128::from(other.num) * u128::from(self.den)))
    }
}

impl fmt::Display for Ratio {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.num, self.den) {
            (n, 1) => write!(f, "{n}"),
            (n, d) => write!(f, "{n}/{d}"),
        }
    }
}

/// The part `[start, end)` of a test that this instance runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    start: Ratio,
    end: Ratio,
    /// Items are dealt out in blocks of this many.
    block: u64,
    /// Position `r` of a block maps to point `r * stride mod block`.
    stride: u64,
    /// The boundaries of every instance's segment, as given.
    sequence: Vec<Ratio>,
}

impl Segment {
    /// The whole test.
    pub const FULL: Segment = Segment {
        start: Ratio::ZERO,
        end: Ratio::ONE,
        block: 1,
        stride: 1,
        sequence: Vec::new(),
    };

    /// `[start, end)` within `sequence`, the boundaries every instance of
    /// the test was given (an empty sequence means just `start` and `end`).
    pub fn new(start: Ratio, end: Ratio, sequence: &[Ratio]) -> Result<Segment, String> {
        if start >= end {
            return Err(format!("the segment {start}:{end} is empty"));
        }
        let on_sequence = sequence.contains(&start) && sequence.contains(&end);
        if !sequence.is_empty() && !on_sequence {
            return Err(format!(
                "the segment {start}:{end} does not start and end on the sequence's points"
            ));
        }
        let block = sequence
            .iter()
            .chain([&start, &end])
            .fold(1, |acc, r| lcm(acc, r.den));
        Ok(Segment {
            start,
            end,
            block,
            stride: stride_for(block),
            sequence: sequence.to_vec(),
        })
    }

    pub fn start(&self) -> Ratio {
        self.start
    }

    pub fn end(&self) -> Ratio {
        self.end
    }

    /// How much of the test this is: `end - start`.
    pub fn share(&self) -> Ratio {
        let den = self.start.den / gcd(self.start.den, self.end.den) * self.end.den;
        let num = self.end.num * (den / self.end.den) - self.start.num * (den / self.start.den);
        Ratio::new(num, den).unwrap_or(Ratio::ONE)
    }

    /// The sequence the segment was given within; empty if none was.
    pub fn sequence(&self) -> &[Ratio] {
        &self.sequence
    }

    pub fn is_full(&self) -> bool {
        self.start == Ratio::ZERO && self.end == Ratio::ONE
    }

    /// Whether item `i` (a VU, an iteration, an arrival slot) is ours.
    pub fn owns(&self, i: u64) -> bool {
        if self.is_full() {
            return true;
        }
        let point = u128::from(i % self.block) * u128::from(self.stride) % u128::from(self.block);
        let point = point as u64;
        point >= self.first_point() && point < self.end_point()
    }

    /// Our share of `n` items: how many of items `0..n` we own.
    pub fn scale(&self, n: u64) -> u64 {
        if self.is_full() {
            return n;
        }
        let per_block = self.end_point() - self.first_point();
        let whole = n / self.block * per_block;
        let rest = (n / self.block * self.block..n)
            .filter(|&i| self.owns(i))
            .count() as u64;
        whole + rest
    }

    /// The first point of the block that is ours: `start * block`, which
    /// is whole since `block` is a multiple of `start`'s denominator.
    fn first_point(&self) -> u64 {
        self.start.times_floor(self.block)
    }

    fn end_point(&self) -> u64 {
        self.end.times_floor(self.block)
    }
}

impl fmt::Display for Segment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.start, self.end)
    }
}

/// Parses a segment as k6 writes it: `1/3:2/3`, `0.5:1`, or just its end
/// (`1/2` is `0:1/2`).
pub fn parse_bounds(text: &str) -> Result<(Ratio, Ratio), String> {
    let ratio = |t: &str| {
        Ratio::parse(t).ok_or_else(|| {
            format!("`{t}` is not a fraction between 0 and 1 (write `1/3`, `0.25` or `25%`)")
        })
    };
    let (start, end) = match text.split_once(':') {
        Some((a, b)) => (ratio(a)?, ratio(b)?),
        None => (Ratio::ZERO, ratio(text)?),
    };
    if start >= end {
        return Err(format!(
            "the segment `{text}` is empty: its start must come before its end"
        ));
    }
    Ok((start, end))
}

/// Parses a segment sequence, `0,1/3,2/3,1`: the boundaries of every
/// instance's segment, from 0 to 1, increasing.
pub fn parse_sequence(text: &str) -> Result<Vec<Ratio>, String> {
    let points = text
        .split(',')
        .map(|t| {
            Ratio::parse(t)
                .ok_or_else(|| format!("`{}` is not a fraction between 0 and 1", t.trim()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    if points.first() != Some(&Ratio::ZERO) || points.last() != Some(&Ratio::ONE) {
        return Err(format!(
            "the sequence `{text}` must start at 0 and end at 1"
        ));
    }
    if points.windows(2).any(|w| w[0] >= w[1]) {
        return Err(format!("the sequence `{text}` must increase"));
    }
    Ok(points)
}

/// A stride coprime with `block`, near the golden section of it, so that
/// consecutive items land far apart in `[0, 1)`.
fn stride_for(block: u64) -> u64 {
    if block <= 2 {
        return 1;
    }
    let mut g = (block as f64 * 0.618_033_988_75).round() as u64;
    while gcd(g, block) != 1 {
        g += 1;
    }
    g % block
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 { a.max(1) } else { gcd(b, a % b) }
}

fn lcm(a: u64, b: u64) -> u64 {
    a / gcd(a, b) * b
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(n: u64, d: u64) -> Ratio {
        Ratio::new(n, d).expect("valid")
    }

    fn split(points: &[Ratio]) -> Vec<Segment> {
        points
            .windows(2)
            .map(|w| Segment::new(w[0], w[1], points).expect("valid"))
            .collect()
    }

    #[test]
    fn shares_add_up_to_the_whole() {
        for points in [
            vec![r(0, 1), r(1, 3), r(2, 3), r(1, 1)],
            vec![r(0, 1), r(1, 2), r(1, 1)],
            vec![r(0, 1), r(1, 10), r(3, 4), r(1, 1)],
        ] {
            let segments = split(&points);
            for n in [0, 1, 2, 3, 7, 10, 99, 1000, 12_345] {
                let total: u64 = segments.iter().map(|s| s.scale(n)).sum();
                assert_eq!(total, n, "{points:?} n={n}");
            }
            // Every item belongs to exactly one segment.
            for i in 0..200 {
                assert_eq!(segments.iter().filter(|s| s.owns(i)).count(), 1, "item {i}");
            }
        }
    }

    #[test]
    fn a_segment_owns_its_fraction_of_every_block() {
        let s = Segment::new(r(1, 3), r(2, 3), &[]).expect("valid");
        assert_eq!(s.scale(3), 1);
        assert_eq!(s.scale(300), 100);
        let s = Segment::new(r(0, 1), r(3, 4), &[]).expect("valid");
        assert_eq!(s.scale(400), 300);
        assert_eq!(s.share(), r(3, 4));
        assert_eq!(
            Segment::new(r(1, 3), r(1, 2), &[]).expect("valid").share(),
            r(1, 6)
        );
    }

    #[test]
    fn ratios_parse_as_k6_writes_them() {
        assert_eq!(Ratio::parse("1/3"), Some(r(1, 3)));
        assert_eq!(Ratio::parse("0.25"), Some(r(1, 4)));
        assert_eq!(Ratio::parse("50%"), Some(r(1, 2)));
        assert_eq!(Ratio::parse("1"), Some(Ratio::ONE));
        assert_eq!(Ratio::parse("4/3"), None);
        assert_eq!(Ratio::parse("x"), None);
    }

    #[test]
    fn segments_and_sequences_parse_as_k6_writes_them() {
        assert_eq!(parse_bounds("1/3:2/3"), Ok((r(1, 3), r(2, 3))));
        assert_eq!(parse_bounds("1/2"), Ok((Ratio::ZERO, r(1, 2))));
        assert_eq!(parse_bounds("0.5:100%"), Ok((r(1, 2), Ratio::ONE)));
        assert!(parse_bounds("2/3:1/3").unwrap_err().contains("empty"));
        assert!(
            parse_bounds("a:1")
                .unwrap_err()
                .contains("`a` is not a fraction")
        );
        assert_eq!(
            parse_sequence("0, 1/3, 2/3, 1"),
            Ok(vec![Ratio::ZERO, r(1, 3), r(2, 3), Ratio::ONE])
        );
        assert!(parse_sequence("1/3,1").unwrap_err().contains("start at 0"));
        assert!(
            parse_sequence("0,2/3,1/3,1")
                .unwrap_err()
                .contains("increase")
        );
    }

    #[test]
    fn empty_or_off_sequence_segments_are_refused() {
        assert!(Segment::new(r(1, 2), r(1, 2), &[]).is_err());
        assert!(Segment::new(r(0, 1), r(1, 2), &[r(0, 1), r(1, 3), r(1, 1)]).is_err());
    }
}
