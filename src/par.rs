//! Ordered parallel map over a slice, for the per-spec stages of a render.
//!
//! In: items and a function of one item. Out: the results in the order of the items.
//! Invariant: the output (and so everything printed or written from it) is the same
//! for any number of threads, including one; each item is handed to exactly one thread.
//!
//! Plain `std::thread::scope` with a shared counter as the work queue: specs differ in
//! cost (a cluster with environments emits many more objects than a standalone), so
//! threads take the next item when they finish rather than a fixed chunk each.

use std::sync::atomic::{AtomicUsize, Ordering};

/// How many threads a map over `n` items uses: one per available CPU, at most `n`.
pub fn threads_for(n: usize) -> usize {
    // Asking costs a few reads of /proc and /sys (cgroup quotas): not for one item.
    if n <= 1 {
        return 1;
    }
    let cpus = std::thread::available_parallelism().map_or(1, |c| c.get());
    cpus.min(n).max(1)
}

/// `items.iter().map(f).collect()`, on [`threads_for`] threads.
pub fn map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    map_with(threads_for(items.len()), items, f)
}

/// `items.iter().map(f).collect()` on `threads` threads (1: on the calling thread).
pub fn map_with<T: Sync, R: Send>(
    threads: usize,
    items: &[T],
    f: impl Fn(&T) -> R + Sync,
) -> Vec<R> {
    if threads <= 1 || items.len() <= 1 {
        return items.iter().map(f).collect();
    }
    let next = AtomicUsize::new(0);
    let mut slots: Vec<Option<R>> = std::iter::repeat_with(|| None).take(items.len()).collect();
    let done: Vec<Vec<(usize, R)>> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let mut out = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(item) = items.get(i) else { break };
                        out.push((i, f(item)));
                    }
                    out
                })
            })
            .collect();
        workers
            .into_iter()
            // A panic in `f` is a bug: carry it to the caller as the sequential map would.
            .map(|w| w.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    });
    for (i, r) in done.into_iter().flatten() {
        slots[i] = Some(r);
    }
    slots.into_iter().flatten().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_order_of_the_items_for_any_number_of_threads() {
        let items: Vec<u64> = (0..1000).collect();
        let want: Vec<u64> = items.iter().map(|x| x * x).collect();
        for threads in [1, 2, 3, 8, 2000] {
            assert_eq!(
                map_with(threads, &items, |x| x * x),
                want,
                "{threads} threads"
            );
        }
        assert!(map_with(4, &[] as &[u64], |x| *x).is_empty());
    }
}
