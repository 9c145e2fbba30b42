//! The one source of "now" for every service: the system clock in production, a clock the
//! test moves by hand under test. Reminders, digests, escalation, token expiry and retry
//! times all read it, so a test can make a week pass in a millisecond.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, SubsecRound, Utc};
use tokio::sync::watch;

/// Cheap to clone; every clone reads the same time.
#[derive(Debug, Clone)]
pub struct Clock {
    manual: Option<Arc<Manual>>,
}

#[derive(Debug)]
struct Manual {
    now: Mutex<DateTime<Utc>>,
    /// Sleepers wait on this; every change of the time wakes them to look again.
    changed: watch::Sender<()>,
}

impl Clock {
    pub fn system() -> Clock {
        Clock { manual: None }
    }

    /// A clock that stands still at `start` until the test sets or advances it.
    pub fn manual(start: DateTime<Utc>) -> Clock {
        let (changed, _) = watch::channel(());
        Clock { manual: Some(Arc::new(Manual { now: Mutex::new(start), changed })) }
    }

    /// Now, to the microsecond: what the databases keep, so a record answered from
    /// memory reads the same as the one read back.
    pub fn now(&self) -> DateTime<Utc> {
        let now = match &self.manual {
            None => Utc::now(),
            Some(m) => *m.now.lock().unwrap_or_else(|poisoned| poisoned.into_inner()),
        };
        now.trunc_subsecs(6)
    }

    /// UNIX seconds, as tokens carry them.
    pub fn unix_seconds(&self) -> i64 {
        self.now().timestamp()
    }

    /// Moves a manual clock forward (a no-op on the system clock, which moves by itself).
    pub fn advance(&self, by: Duration) {
        if let Some(m) = &self.manual {
            let mut now = m.now.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            *now += by;
            drop(now);
            m.changed.send_replace(());
        }
    }

    /// Completes once the clock reads `at` or later. On the system clock this is a timer;
    /// on a manual clock it completes when the test moves the time past `at`.
    pub async fn sleep_until(&self, at: DateTime<Utc>) {
        match &self.manual {
            None => {
                let wait = (at - self.now()).to_std().unwrap_or_default();
                tokio::time::sleep(wait).await;
            }
            Some(m) => {
                let mut changed = m.changed.subscribe();
                while self.now() < at {
                    if changed.changed().await.is_err() {
                        return;
                    }
                }
            }
        }
    }

    /// [`Clock::sleep_until`] `by` from now.
    pub async fn sleep(&self, by: Duration) {
        self.sleep_until(self.now() + by).await;
    }
}

impl Default for Clock {
    fn default() -> Self {
        Clock::system()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_manual_clock_moves_only_when_told_and_wakes_its_sleepers() {
        let start = DateTime::from_timestamp(1_800_000_000, 0).expect("valid");
        let clock = Clock::manual(start);
        assert_eq!(clock.now(), start);
        let sleeper = tokio::spawn({
            let clock = clock.clone();
            async move { clock.sleep(Duration::days(7)).await }
        });
        tokio::task::yield_now().await;
        clock.advance(Duration::days(6));
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        assert!(!sleeper.is_finished(), "six days are not a week");
        clock.advance(Duration::days(1));
        tokio::time::timeout(std::time::Duration::from_secs(2), sleeper)
            .await
            .expect("woken after a week")
            .expect("no panic");
        assert_eq!(clock.now(), start + Duration::days(7));
    }
}
