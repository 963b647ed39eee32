//! The statistics a summary shows for each trend, as k6's
//! `--summary-trend-stats` names them: `avg`, `min`, `med`, `max`,
//! `count` and percentiles such as `p(99)` or `p(99.9)`.

use std::fmt;

/// One statistic of a trend.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum TrendStat {
    Avg,
    Min,
    Med,
    Max,
    Count,
    /// A percentile, from 0 to 100.
    Percentile(f64),
}

/// k6's default: `avg,min,med,max,p(90),p(95)`.
pub const DEFAULT_TREND_STATS: [TrendStat; 6] = [
    TrendStat::Avg,
    TrendStat::Min,
    TrendStat::Med,
    TrendStat::Max,
    TrendStat::Percentile(90.0),
    TrendStat::Percentile(95.0),
];

impl TrendStat {
    /// Parses one name, e.g. `med` or `p(99.9)`.
    pub fn parse(name: &str) -> Result<TrendStat, String> {
        let name = name.trim();
        Ok(match name {
            "avg" => TrendStat::Avg,
            "min" => TrendStat::Min,
            "med" => TrendStat::Med,
            "max" => TrendStat::Max,
            "count" => TrendStat::Count,
            _ => {
                let p = name
                    .strip_prefix("p(")
                    .and_then(|rest| rest.strip_suffix(')'))
                    .and_then(|n| n.parse::<f64>().ok())
                    .filter(|p| (0.0..=100.0).contains(p))
                    .ok_or_else(|| {
                        format!(
                            "unknown trend statistic `{name}` (expected avg, min, med, max, \
                             count or p(N) with N from 0 to 100)"
                        )
                    })?;
                TrendStat::Percentile(p)
            }
        })
    }

    /// Parses a comma-separated list, e.g. `avg,p(95),p(99)`.
    pub fn parse_list(list: &str) -> Result<Vec<TrendStat>, String> {
        let stats = list
            .split(',')
            .filter(|s| !s.trim().is_empty())
            .map(TrendStat::parse)
            .collect::<Result<Vec<_>, _>>()?;
        if stats.is_empty() {
            return Err("expected at least one trend statistic, e.g. `avg,p(95)`".into());
        }
        Ok(stats)
    }
}

/// The name k6 gives the statistic: `avg`, `p(95)`, `p(99.9)`.
impl fmt::Display for TrendStat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrendStat::Avg => f.write_str("avg"),
            TrendStat::Min => f.write_str("min"),
            TrendStat::Med => f.write_str("med"),
            TrendStat::Max => f.write_str("max"),
            TrendStat::Count => f.write_str("count"),
            TrendStat::Percentile(p) => write!(f, "p({p})"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_and_print_as_k6_writes_them() {
        let stats = TrendStat::parse_list("avg, min,med,max,count,p(90),p(99.9)").unwrap();
        let shown: Vec<String> = stats.iter().map(ToString::to_string).collect();
        assert_eq!(
            shown,
            ["avg", "min", "med", "max", "count", "p(90)", "p(99.9)"]
        );
    }

    #[test]
    fn bad_names_are_refused() {
        assert_eq!(
            TrendStat::parse("p95").unwrap_err(),
            "unknown trend statistic `p95` (expected avg, min, med, max, count or p(N) with N \
             from 0 to 100)"
        );
        assert!(TrendStat::parse("p(101)").is_err());
        assert!(TrendStat::parse_list(" , ").is_err());
    }
}
