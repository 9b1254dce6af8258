//! Timeouts that cost nothing for a future that is ready at once.
//!
//! `tokio::time::timeout` reads the clock and builds a timer entry before the first poll. On
//! the hot path most bounded futures are ready immediately (an in-memory store, a body that
//! arrived with the head, a handler that does not wait), so they are polled once first and
//! the timer is only set up for those that are still pending. The bound is unchanged: the
//! first poll is synchronous work, and `timeout_at` keeps its absolute deadline.

use std::future::{Future, poll_fn};
use std::pin::{Pin, pin};
use std::task::Poll;
use std::time::Duration;

use tokio::time::Instant;
use tokio::time::error::Elapsed;

/// [`tokio::time::timeout`], without the timer when `future` is ready on its first poll.
pub(crate) async fn timeout<F: Future>(limit: Duration, future: F) -> Result<F::Output, Elapsed> {
    let mut future = pin!(future);
    if let Poll::Ready(out) = first_poll(future.as_mut()).await {
        return Ok(out);
    }
    tokio::time::timeout(limit, future).await
}

/// [`tokio::time::timeout_at`], without the timer when `future` is ready on its first poll.
#[cfg_attr(not(feature = "pipeline"), allow(dead_code))]
pub(crate) async fn timeout_at<F: Future>(
    deadline: Instant,
    future: F,
) -> Result<F::Output, Elapsed> {
    let mut future = pin!(future);
    if let Poll::Ready(out) = first_poll(future.as_mut()).await {
        return Ok(out);
    }
    tokio::time::timeout_at(deadline, future).await
}

/// Polls `future` once (registering the task's waker, as any poll does) and reports the result.
async fn first_poll<F: Future>(mut future: Pin<&mut F>) -> Poll<F::Output> {
    poll_fn(|cx| Poll::Ready(future.as_mut().poll(cx))).await
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use tokio::time::Instant;

    #[tokio::test]
    async fn a_ready_future_is_never_cut_even_past_its_deadline() {
        assert_eq!(
            super::timeout(Duration::ZERO, async { 7 }).await.ok(),
            Some(7)
        );
        let past = Instant::now() - Duration::from_millis(1);
        assert_eq!(super::timeout_at(past, async { 8 }).await.ok(), Some(8));
    }

    #[tokio::test]
    async fn a_pending_future_is_cut_at_the_bound() {
        let never = std::future::pending::<()>();
        assert!(
            super::timeout(Duration::from_millis(5), never)
                .await
                .is_err()
        );
        let deadline = Instant::now() + Duration::from_millis(5);
        let never = std::future::pending::<()>();
        assert!(super::timeout_at(deadline, never).await.is_err());
    }

    #[tokio::test]
    async fn a_future_that_waits_and_finishes_in_time_is_not_cut() {
        let slow = async {
            tokio::time::sleep(Duration::from_millis(1)).await;
            9
        };
        assert_eq!(
            super::timeout(Duration::from_secs(30), slow).await.ok(),
            Some(9)
        );
        let deadline = Instant::now() + Duration::from_secs(30);
        let slow = async {
            tokio::time::sleep(Duration::from_millis(1)).await;
            10
        };
        assert_eq!(super::timeout_at(deadline, slow).await.ok(), Some(10));
    }
}
