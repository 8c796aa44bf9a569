//! Waiting and retrying for the background tasks: [`sleep_or_cancel`], the one pause that
//! ends early when the service stops, the one exponential [`Backoff`] every reconnecting
//! loop uses, and [`retry`], the loop itself for work that either ends or fails and is
//! tried again. It depends on no other module of the crate, so any of them may use it.

use std::time::Duration;

use tokio_util::sync::CancellationToken;

/// Sleeps for `delay` unless `stop` is cancelled first; returns true if it was.
pub async fn sleep_or_cancel(stop: &CancellationToken, delay: Duration) -> bool {
    tokio::select! {
        _ = stop.cancelled() => true,
        _ = tokio::time::sleep(delay) => false,
    }
}

/// Delays that start at `start` and double after each failure up to `cap`, until
/// [`Backoff::reset`] after a success.
#[derive(Debug, Clone)]
pub struct Backoff {
    start: Duration,
    cap: Duration,
    current: Duration,
}

impl Backoff {
    /// Delays from `start`, doubling up to `cap`.
    pub const fn new(start: Duration, cap: Duration) -> Self {
        Self {
            start,
            cap,
            current: start,
        }
    }

    /// The delay the next pause takes.
    pub fn delay(&self) -> Duration {
        self.current
    }

    /// Returns the delay of this pause and doubles the next one, up to the cap.
    pub fn next_delay(&mut self) -> Duration {
        let delay = self.current;
        self.current = (self.current * 2).min(self.cap);
        delay
    }

    /// Starts again from the first delay (after a success).
    pub fn reset(&mut self) {
        self.current = self.start;
    }

    /// Pauses for the next delay unless `stop` is cancelled first; returns true if it was.
    pub async fn pause(&mut self, stop: &CancellationToken) -> bool {
        sleep_or_cancel(stop, self.next_delay()).await
    }
}

/// Runs `attempt` until it succeeds or `stop` is cancelled, pausing with `backoff` after
/// each failure; `failed` hears of each failure and the delay before the next attempt
/// (to log them). Returns None once stopped.
///
/// `attempt` is a closure returning a future rather than an async closure: the futures of
/// async closures that borrow are not known to be `Send`, and the tasks that retry are
/// spawned.
pub async fn retry<T, E, Fut>(
    stop: &CancellationToken,
    mut backoff: Backoff,
    mut attempt: impl FnMut() -> Fut,
    mut failed: impl FnMut(&E, Duration),
) -> Option<T>
where
    Fut: Future<Output = Result<T, E>>,
{
    while !stop.is_cancelled() {
        match attempt().await {
            Ok(done) => return Some(done),
            Err(err) => failed(&err, backoff.delay()),
        }
        if backoff.pause(stop).await {
            return None;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_delay_doubles_up_to_the_cap_and_starts_over_after_a_reset() {
        let mut backoff = Backoff::new(Duration::from_millis(200), Duration::from_secs(1));
        let delays: Vec<u64> = (0..5)
            .map(|_| backoff.next_delay().as_millis() as u64)
            .collect();
        assert_eq!(delays, [200, 400, 800, 1000, 1000]);
        backoff.reset();
        assert_eq!(backoff.delay(), Duration::from_millis(200));
    }

    #[tokio::test]
    async fn retry_tries_again_after_each_failure_and_stops_when_cancelled() {
        let stop = CancellationToken::new();
        let mut calls = 0;
        let mut heard = Vec::new();
        let done = retry(
            &stop,
            Backoff::new(Duration::from_millis(10), Duration::from_millis(15)),
            || {
                calls += 1;
                let outcome = if calls < 4 { Err(calls) } else { Ok("done") };
                async move { outcome }
            },
            |err, delay| heard.push((*err, delay.as_millis())),
        )
        .await;
        assert_eq!(done, Some("done"));
        assert_eq!(heard, [(1, 10), (2, 15), (3, 15)]);

        stop.cancel();
        let never = retry(
            &stop,
            Backoff::new(Duration::from_millis(10), Duration::from_millis(10)),
            || async { Err::<(), ()>(()) },
            |_, _| {},
        )
        .await;
        assert_eq!(never, None);
    }
}
