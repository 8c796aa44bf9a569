//! What the benchmarks share: their sizes read from the environment ([`env_number`]),
//! the figures of one measurement (calls, elapsed time, sorted latencies) and the rates
//! and percentiles they print.

use std::time::Duration;

/// A positive number from the environment variable `name` (a benchmark's size), or
/// `default` when it is unset, not a number or not positive.
pub fn env_number<T: std::str::FromStr + PartialOrd + Default>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|n| *n > T::default())
        .unwrap_or(default)
}

/// One measurement.
#[derive(Debug, Clone)]
pub struct Figures {
    /// What was measured, as printed.
    pub name: String,
    /// Calls made.
    pub calls: usize,
    /// Wall-clock time of the measurement.
    pub elapsed: Duration,
    /// Every call's latency, sorted.
    pub latencies: Vec<Duration>,
}

impl Figures {
    /// The figures of `latencies` (in any order) over `elapsed`.
    pub fn new(name: impl Into<String>, elapsed: Duration, mut latencies: Vec<Duration>) -> Self {
        latencies.sort();
        Self {
            name: name.into(),
            calls: latencies.len(),
            elapsed,
            latencies,
        }
    }

    /// Calls per second.
    pub fn per_second(&self) -> f64 {
        self.calls as f64 / self.elapsed.as_secs_f64()
    }

    /// The latency at quantile `p` (0.5 for the median), in milliseconds.
    pub fn percentile_ms(&self, p: f64) -> f64 {
        if self.latencies.is_empty() {
            return f64::NAN;
        }
        let index = ((self.latencies.len() as f64 - 1.0) * p).round() as usize;
        self.latencies[index].as_secs_f64() * 1e3
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_and_percentiles_come_from_sorted_latencies() {
        let latencies = [4, 1, 3, 2].map(Duration::from_millis).to_vec();
        let figures = Figures::new("probe", Duration::from_secs(2), latencies);
        assert_eq!(figures.calls, 4);
        assert_eq!(figures.per_second(), 2.0);
        assert_eq!(figures.percentile_ms(0.0), 1.0);
        assert_eq!(figures.percentile_ms(1.0), 4.0);
        assert!(
            Figures::new("none", Duration::from_secs(1), Vec::new())
                .percentile_ms(0.5)
                .is_nan()
        );
    }
}
