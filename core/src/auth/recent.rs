//! A small, time-bounded cache for what every signed-in request reads: the session record and the
//! user with their teams. Without it each page view costs two to three database reads before any
//! page work starts (measured in docs/benchmarks.md, "Serving").
//!
//! Entries live at most `ttl`. Writes made through this process update or drop the entry at once
//! (saving or deleting a session, signing in); a change made by *another* `serve` replica (a
//! sign-out there, a sign-in that changed the user's teams) is seen here within `ttl`. That bound is
//! the setting `auth.session_cache` (default 5 s; `0s` turns the cache off).

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Entries kept at most; past this, expired entries are dropped, and if that is not enough, all.
const CAPACITY: usize = 50_000;

pub struct Recent<K, V> {
    ttl: Duration,
    map: Mutex<HashMap<K, (Instant, V)>>,
}

impl<K: Eq + Hash, V: Clone> Recent<K, V> {
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            map: Mutex::new(HashMap::new()),
        }
    }

    /// The value stored for `key` less than `ttl` ago.
    pub fn get(&self, key: &K) -> Option<V> {
        self.get_at(key, Instant::now())
    }

    /// [`Recent::get`] as seen at `now`.
    fn get_at(&self, key: &K, now: Instant) -> Option<V> {
        if self.ttl.is_zero() {
            return None;
        }
        let map = self.map.lock().unwrap_or_else(PoisonError::into_inner);
        map.get(key)
            .filter(|(at, _)| now.saturating_duration_since(*at) < self.ttl)
            .map(|(_, v)| v.clone())
    }

    pub fn put(&self, key: K, value: V) {
        if self.ttl.is_zero() {
            return;
        }
        let mut map = self.map.lock().unwrap_or_else(PoisonError::into_inner);
        if map.len() >= CAPACITY {
            map.retain(|_, (at, _)| at.elapsed() < self.ttl);
            if map.len() >= CAPACITY {
                map.clear();
            }
        }
        map.insert(key, (Instant::now(), value));
    }

    pub fn forget(&self, key: &K) {
        self.map
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_is_served_until_its_time_is_up_then_read_again() {
        let recent = Recent::new(Duration::from_secs(5));
        recent.put("a", 1);
        assert_eq!(recent.get(&"a"), Some(1));
        let later = Instant::now() + Duration::from_secs(5);
        assert_eq!(recent.get_at(&"a", later), None);
    }

    #[test]
    fn forgetting_drops_the_value_at_once() {
        let recent = Recent::new(Duration::from_secs(60));
        recent.put("a", 1);
        recent.forget(&"a");
        assert_eq!(recent.get(&"a"), None);
    }

    #[test]
    fn a_zero_ttl_keeps_nothing() {
        let recent = Recent::new(Duration::ZERO);
        recent.put("a", 1);
        assert_eq!(recent.get(&"a"), None);
    }

    #[test]
    fn the_cache_never_grows_past_its_capacity() {
        let recent = Recent::new(Duration::from_secs(60));
        for i in 0..(CAPACITY + 10) {
            recent.put(i, i);
        }
        let len = recent.map.lock().map(|m| m.len()).unwrap_or(0);
        assert!(len <= CAPACITY, "{len} entries");
        assert_eq!(recent.get(&(CAPACITY + 9)), Some(CAPACITY + 9));
    }
}
