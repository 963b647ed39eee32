//! When things happen in a ramp: the instant each arrival-rate iteration
//! is due, and the instants a `ramping-vus` executor changes its VU count.
//!
//! Both are pure functions of the options, computed from the start of the
//! scenario on an absolute clock: an iteration's due instant never depends
//! on when the previous one actually started, so a late start cannot push
//! the rest of the schedule back (no drift, no coordinated omission).

use std::time::Duration;

use super::plan::{Executor, Stage};

/// An arrival-rate profile: a rate in iterations per second, piecewise
/// linear in time.
#[derive(Debug, Clone)]
pub struct Schedule {
    pieces: Vec<Piece>,
}

#[derive(Debug, Clone)]
struct Piece {
    /// Offset of the piece from the scenario's start.
    start: Duration,
    length: Duration,
    /// Rates per second at the start and at the end of the piece.
    from: f64,
    to: f64,
    /// Iterations due before the piece starts (a real number).
    before: f64,
}

impl Piece {
    fn iterations(&self) -> f64 {
        (self.from + self.to) / 2.0 * self.length.as_secs_f64()
    }

    /// The offset into the piece at which `x` of its iterations are due.
    fn time_for(&self, x: f64) -> f64 {
        if x <= 0.0 {
            return 0.0;
        }
        let d = self.length.as_secs_f64();
        let slope = (self.to - self.from) / (2.0 * d);
        if slope.abs() < f64::EPSILON {
            return x / self.from;
        }
        // from·t + slope·t² = x, in the form that stays exact when the
        // slope is small or negative.
        let root = (self.from * self.from + 4.0 * slope * x).max(0.0).sqrt();
        2.0 * x / (self.from + root)
    }
}

impl Schedule {
    /// `rate` iterations every `unit` for `duration`.
    pub fn constant(rate: u64, unit: Duration, duration: Duration) -> Schedule {
        Schedule::ramping(
            rate,
            unit,
            &[
                Stage {
                    duration: Duration::ZERO,
                    target: rate,
                },
                Stage {
                    duration,
                    target: rate,
                },
            ],
        )
    }

    /// From `start_rate`, following `stages`; rates are per `unit`.
    pub fn ramping(start_rate: u64, unit: Duration, stages: &[Stage]) -> Schedule {
        let per_second = |r: u64| r as f64 / unit.as_secs_f64();
        let mut pieces = Vec::with_capacity(stages.len());
        let (mut at, mut rate, mut before) = (Duration::ZERO, per_second(start_rate), 0.0);
        for stage in stages {
            let to = per_second(stage.target);
            if !stage.duration.is_zero() {
                let piece = Piece {
                    start: at,
                    length: stage.duration,
                    from: rate,
                    to,
                    before,
                };
                before += piece.iterations();
                pieces.push(piece);
            }
            at += stage.duration;
            rate = to;
        }
        Schedule { pieces }
    }

    /// The schedule of an arrival-rate executor.
    pub fn for_executor(executor: &Executor) -> Option<Schedule> {
        match executor {
            Executor::ConstantArrivalRate {
                rate,
                time_unit,
                duration,
                ..
            } => Some(Schedule::constant(*rate, *time_unit, *duration)),
            Executor::RampingArrivalRate {
                start_rate,
                time_unit,
                stages,
                ..
            } => Some(Schedule::ramping(*start_rate, *time_unit, stages)),
            _ => None,
        }
    }

    /// The offset from the scenario's start at which iteration `i` (from
    /// 0) is due, or `None` if the schedule ends first. Iteration 0 is due
    /// at the start; `N(t)`, the integral of the rate, reaches `i` at the
    /// instant iteration `i` is due.
    pub fn due(&self, i: u64) -> Option<Duration> {
        let x = i as f64;
        for piece in &self.pieces {
            let within = x - piece.before;
            if within < 0.0 || within >= piece.iterations() {
                continue;
            }
            let t = piece.time_for(within);
            if t < piece.length.as_secs_f64() {
                // To the nearest nanosecond, so that whole milliseconds stay
                // whole.
                let nanos = (t * 1e9).round() as u64;
                return Some(piece.start + Duration::from_nanos(nanos));
            }
        }
        None
    }

    /// How many iterations the whole schedule starts.
    pub fn iterations(&self) -> u64 {
        self.pieces
            .last()
            .map_or(0, |p| (p.before + p.iterations()).ceil() as u64)
    }
}

/// The instants at which a `ramping-vus` executor changes its number of
/// VUs, and the number from then on. The first entry is the start.
///
/// Between stages the count follows the straight line from one target to
/// the next: ramping up, a VU is added as the line reaches each whole
/// number; ramping down, one is removed as the line falls to each.
pub fn vu_steps(start_vus: u32, stages: &[Stage]) -> Vec<(Duration, u32)> {
    let mut steps = vec![(Duration::ZERO, start_vus)];
    let (mut at, mut from) = (Duration::ZERO, u64::from(start_vus));
    for stage in stages {
        let to = stage.target;
        let d = stage.duration;
        let count = |k: u64| u32::try_from(k).unwrap_or(u32::MAX);
        if d.is_zero() {
            steps.push((at, count(to)));
        } else if to > from {
            for k in from + 1..=to {
                steps.push((
                    at + d.mul_f64((k - from) as f64 / (to - from) as f64),
                    count(k),
                ));
            }
        } else {
            for k in (to..from).rev() {
                steps.push((
                    at + d.mul_f64((from - k) as f64 / (from - to) as f64),
                    count(k),
                ));
            }
        }
        at += d;
        from = to;
    }
    steps
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stage(secs: u64, target: u64) -> Stage {
        Stage {
            duration: Duration::from_secs(secs),
            target,
        }
    }

    fn per_second(s: &Schedule, seconds: u64) -> Vec<u64> {
        let mut counts = vec![0; seconds as usize];
        let mut i = 0;
        while let Some(t) = s.due(i) {
            counts[t.as_secs() as usize] += 1;
            i += 1;
        }
        counts
    }

    #[test]
    fn a_constant_rate_is_evenly_spaced_from_zero() {
        let s = Schedule::constant(200, Duration::from_secs(1), Duration::from_secs(5));
        assert_eq!(s.due(0), Some(Duration::ZERO));
        assert_eq!(s.due(1), Some(Duration::from_millis(5)));
        assert_eq!(s.due(999), Some(Duration::from_millis(4995)));
        assert_eq!(s.due(1000), None);
        assert_eq!(s.iterations(), 1000);
        let s = Schedule::constant(3, Duration::from_secs(2), Duration::from_secs(4));
        assert_eq!(per_second(&s, 4), vec![2, 1, 2, 1]);
    }

    #[test]
    fn a_ramp_follows_the_integral_of_the_rate() {
        // 0 to 10 per second over 10 s: N(t) = t²/2, 50 in all.
        let s = Schedule::ramping(0, Duration::from_secs(1), &[stage(10, 10)]);
        let counts = per_second(&s, 10);
        let expected: Vec<u64> = (0..10u64)
            .map(|k| {
                let n = |t: u64| (t * t).div_ceil(2);
                n(k + 1) - n(k)
            })
            .collect();
        assert_eq!(counts, expected);
        assert_eq!(counts.iter().sum::<u64>(), 50);
    }

    #[test]
    fn instant_steps_and_start_rate() {
        // Start at 4/s for 2 s, jump to 10/s for 1 s, ramp down to 0 in 2 s.
        let stages = [stage(2, 4), stage(0, 10), stage(1, 10), stage(2, 0)];
        let s = Schedule::ramping(4, Duration::from_secs(1), &stages);
        assert_eq!(per_second(&s, 5), vec![4, 4, 10, 8, 2]);
        assert_eq!(s.iterations(), 28);
    }

    #[test]
    fn vu_steps_follow_the_line() {
        let steps = vu_steps(1, &[stage(3, 4), stage(0, 2), stage(2, 0)]);
        let secs: Vec<(f64, u32)> = steps.iter().map(|(t, n)| (t.as_secs_f64(), *n)).collect();
        assert_eq!(
            secs,
            vec![
                (0.0, 1),
                (1.0, 2),
                (2.0, 3),
                (3.0, 4),
                (3.0, 2),
                (4.0, 1),
                (5.0, 0)
            ]
        );
    }
}
