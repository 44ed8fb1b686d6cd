//! Work split over the machine's cores with scoped threads: loading the
//! index and coverage are the only places that need it, so no thread pool.

/// Threads worth starting: the cores, at most 8.
pub fn worker_count() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().min(8))
}

/// `items.iter().map(f).collect()`, in order, over [`worker_count`]
/// threads when there are at least `min_len` items (below that a thread
/// costs more than it saves).
pub fn map<T: Sync, U: Send>(items: &[T], min_len: usize, f: impl Fn(&T) -> U + Sync) -> Vec<U> {
    let workers = worker_count();
    if items.len() < min_len.max(2) || workers <= 1 {
        return items.iter().map(f).collect();
    }
    let chunk = items.len().div_ceil(workers);
    let f = &f;
    std::thread::scope(|s| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|c| s.spawn(move || c.iter().map(f).collect::<Vec<U>>()))
            .collect();
        let mut out = Vec::with_capacity(items.len());
        for h in handles {
            out.extend(h.join().expect("index worker"));
        }
        out
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_order_of_the_items() {
        let items: Vec<u32> = (0..10_001).collect();
        let out = map(&items, 16, |x| x * 2);
        assert_eq!(out.len(), items.len(), "one result per item");
        assert!(
            out.iter().enumerate().all(|(i, &y)| y == 2 * i as u32),
            "results in the items' order"
        );
        assert_eq!(
            map(&items[..3], 16, |x| x + 1),
            vec![1, 2, 3],
            "short input"
        );
    }
}
