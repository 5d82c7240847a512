//! The invocation's deadline.
//!
//! Every AWS call has its own attempt and operation timeouts ([`crate::aws`]), but a chain of
//! slow calls can still add up to more than the function's Lambda timeout, and Lambda then
//! ends the invocation as `Task timed out` with nothing logged about why. Each function's
//! edge therefore runs its handler within Lambda's deadline less [`MARGIN`]: when the budget
//! runs out the work is dropped, the invocation fails as `PhoenixGuard.OutOfTime` (so Lambda
//! retries it), and the shortfall is logged and counted without another AWS call.

use std::time::{Duration, SystemTime};

/// Time kept back from Lambda's deadline to fail the invocation in an orderly way.
pub const MARGIN: Duration = Duration::from_secs(2);

/// How long the handler may run when Lambda's deadline is `deadline` and the clock reads
/// `now`: the time left less [`MARGIN`], or half of it when less than twice the margin is
/// left. `None` when the runtime gave no usable deadline (absent, so zero, or already past),
/// in which case the handler is not bounded here and the per-call timeouts still apply.
pub fn budget(deadline: SystemTime, now: SystemTime) -> Option<Duration> {
    if deadline == SystemTime::UNIX_EPOCH {
        return None;
    }
    let left = deadline.duration_since(now).ok().filter(|d| !d.is_zero())?;
    Some(if left >= MARGIN * 2 {
        left - MARGIN
    } else {
        left / 2
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: Duration = Duration::from_secs(1_790_000_000);

    fn at(offset: Duration) -> SystemTime {
        SystemTime::UNIX_EPOCH + NOW + offset
    }

    #[test]
    fn the_margin_is_kept_back_from_a_normal_deadline() {
        assert_eq!(
            budget(at(Duration::from_secs(60)), at(Duration::ZERO)),
            Some(Duration::from_secs(58))
        );
        assert_eq!(
            budget(at(Duration::from_millis(30_500)), at(Duration::ZERO)),
            Some(Duration::from_millis(28_500))
        );
    }

    #[test]
    fn a_deadline_almost_reached_leaves_half_of_what_is_left() {
        assert_eq!(
            budget(at(Duration::from_secs(3)), at(Duration::ZERO)),
            Some(Duration::from_millis(1_500))
        );
    }

    #[test]
    fn no_deadline_or_one_already_past_bounds_nothing() {
        assert_eq!(budget(SystemTime::UNIX_EPOCH, at(Duration::ZERO)), None);
        assert_eq!(budget(at(Duration::ZERO), at(Duration::from_secs(1))), None);
        assert_eq!(budget(at(Duration::ZERO), at(Duration::ZERO)), None);
    }
}
