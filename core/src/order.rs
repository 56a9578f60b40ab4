//! Sorting by position with one comparator type. Each call of the standard sort with its own
//! element type or closure is its own copy of the sort in the browser SDK's wasm (about 4 KB);
//! sorting positions through a `dyn` comparator shares one.

use std::cmp::Ordering;

/// The positions `0..len` in the order `compare` gives them; equal ones keep their order.
pub fn positions(len: usize, compare: &dyn Fn(usize, usize) -> Ordering) -> Vec<usize> {
    let mut order = Vec::with_capacity(len);
    for position in 0..len {
        order.push(position);
    }
    order.sort_unstable_by(|&a, &b| compare(a, b).then(a.cmp(&b)));
    order
}

#[cfg(test)]
mod tests {
    use super::positions;

    #[test]
    fn positions_are_ordered_and_ties_keep_their_order() {
        let keys = [3, 1, 3, 0, 1];
        assert_eq!(positions(keys.len(), &|a, b| keys[a].cmp(&keys[b])), [3, 1, 4, 0, 2]);
        assert_eq!(positions(0, &|_, _| std::cmp::Ordering::Equal), Vec::<usize>::new());
    }
}
