//! Ordered parallel map over a slice, for the per-spec stages of a render, collected
//! ([`map`]) or handed over one by one as they complete ([`for_each_ordered`]).
//!
//! In: items and a function of one item. Out: the results in the order of the items.
//! Invariant: the output (and so everything printed or written from it) is the same
//! for any number of threads, including one; each item is handed to exactly one thread.
//!
//! Plain `std::thread::scope` with a shared counter as the work queue: specs differ in
//! cost (a cluster with environments emits many more objects than a standalone), so
//! threads take the next item when they finish rather than a fixed chunk each.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex};

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

/// `for (i, item) in items.iter().enumerate() { sink(i, f(item)) }` with `f` on `threads`
/// threads: `sink` runs on the calling thread, in the order of the items, as soon as
/// each result and all before it are ready. A result is dropped once `sink` has it, and
/// a thread does not start an item more than [`WINDOW`] per thread ahead of the first
/// one not yet handed over, so what is held at once is bounded by the thread count,
/// not by the number of items, however the threads are scheduled.
pub fn for_each_ordered<T: Sync, R: Send>(
    threads: usize,
    items: &[T],
    f: impl Fn(&T) -> R + Sync,
    mut sink: impl FnMut(usize, R),
) {
    if threads <= 1 || items.len() <= 1 {
        items.iter().enumerate().for_each(|(i, x)| sink(i, f(x)));
        return;
    }
    let threads = threads.min(items.len());
    let window = WINDOW * threads;
    let next = AtomicUsize::new(0);
    // The index of the first result not yet handed to `sink`, and whether a thread died.
    let gate = (Mutex::new((0usize, false)), Condvar::new());
    std::thread::scope(|s| {
        let (tx, rx) = std::sync::mpsc::channel::<(usize, R)>();
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                let tx = tx.clone();
                let (next, f, gate) = (&next, &f, &gate);
                s.spawn(move || {
                    // A panic in `f` must not leave the other threads waiting at the gate.
                    let _wake = WakeOnPanic(gate);
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(item) = items.get(i) else { break };
                        {
                            let (m, cv) = gate;
                            let mut g = m.lock().unwrap_or_else(|e| e.into_inner());
                            // The thread holding the first pending item never waits here,
                            // so the gate always opens.
                            while i >= g.0 + window && !g.1 {
                                g = cv.wait(g).unwrap_or_else(|e| e.into_inner());
                            }
                            if g.1 {
                                break;
                            }
                        }
                        if tx.send((i, f(item))).is_err() {
                            break;
                        }
                    }
                })
            })
            .collect();
        drop(tx);
        let mut ahead = std::collections::BTreeMap::new();
        let mut want = 0;
        // Ends when every worker has finished (or panicked) and dropped its sender.
        for (i, r) in rx {
            ahead.insert(i, r);
            let before = want;
            while let Some(r) = ahead.remove(&want) {
                sink(want, r);
                want += 1;
            }
            if want != before {
                let (m, cv) = &gate;
                m.lock().unwrap_or_else(|e| e.into_inner()).0 = want;
                cv.notify_all();
            }
        }
        for w in workers {
            // A panic in `f` is a bug: carry it to the caller as the sequential loop would.
            if let Err(p) = w.join() {
                std::panic::resume_unwind(p);
            }
        }
    });
}

/// Items a thread of [`for_each_ordered`] may run ahead of the first result not yet
/// handed over.
pub const WINDOW: usize = 16;

type Gate = (Mutex<(usize, bool)>, Condvar);

/// Opens the gate for good when its thread unwinds.
struct WakeOnPanic<'a>(&'a Gate);

impl Drop for WakeOnPanic<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let (m, cv) = self.0;
            m.lock().unwrap_or_else(|e| e.into_inner()).1 = true;
            cv.notify_all();
        }
    }
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

    #[test]
    fn for_each_ordered_hands_results_over_in_order() {
        let items: Vec<u64> = (0..1000).collect();
        for threads in [1, 2, 3, 8] {
            let mut got = Vec::new();
            for_each_ordered(
                threads,
                &items,
                |x| {
                    // Uneven work, so results finish out of order.
                    if x % 7 == 0 {
                        std::thread::yield_now();
                    }
                    x * x
                },
                |i, r| got.push((i, r)),
            );
            let want: Vec<(usize, u64)> = items
                .iter()
                .map(|x| (usize::try_from(*x).unwrap(), x * x))
                .collect();
            assert_eq!(got, want, "{threads} threads");
        }
    }

    #[test]
    fn for_each_ordered_runs_at_most_a_window_ahead_of_a_slow_item() {
        use std::sync::atomic::AtomicBool;
        let items: Vec<usize> = (0..500).collect();
        let first_done = AtomicBool::new(false);
        let highest_started_early = AtomicUsize::new(0);
        let threads = 2;
        for_each_ordered(
            threads,
            &items,
            |&i| {
                if i == 0 {
                    // The first item is slow: the others must not run away from it.
                    std::thread::sleep(std::time::Duration::from_millis(50));
                    first_done.store(true, Ordering::SeqCst);
                } else if !first_done.load(Ordering::SeqCst) {
                    highest_started_early.fetch_max(i, Ordering::SeqCst);
                }
                i
            },
            |i, r| assert_eq!(i, r),
        );
        let early = highest_started_early.load(Ordering::SeqCst);
        assert!(early > 0, "the other thread ran meanwhile");
        assert!(
            early < WINDOW * threads,
            "started item {early} before item 0 was done"
        );
    }

    #[test]
    fn a_panic_in_for_each_ordered_reaches_the_caller() {
        let items: Vec<usize> = (0..200).collect();
        let r = std::panic::catch_unwind(|| {
            for_each_ordered(
                2,
                &items,
                |&i| if i == 3 { panic!("item 3") } else { i },
                |_, _| {},
            )
        });
        assert!(r.is_err());
    }
}
