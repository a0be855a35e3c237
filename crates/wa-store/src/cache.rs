//! The in-memory cache of hot records (sessions, sender keys), read-through and write-through.
//!
//! It only ever holds what the database holds: entries are inserted after a read or after the
//! transaction that wrote them committed, and dropped when a transaction that touched them
//! fails. It is bounded; past the bound an arbitrary entry is evicted (a reload costs one
//! indexed read).

use std::collections::HashMap;
use std::hash::Hash;

/// Default bound per cache.
pub(crate) const DEFAULT_CAPACITY: usize = 4096;

#[derive(Debug)]
pub(crate) struct Cache<K, V> {
    map: HashMap<K, V>,
    capacity: usize,
    hits: u64,
    misses: u64,
}

impl<K: Hash + Eq + Clone, V: Clone> Cache<K, V> {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            map: HashMap::new(),
            capacity: capacity.max(1),
            hits: 0,
            misses: 0,
        }
    }

    pub(crate) fn get(&mut self, key: &K) -> Option<V> {
        let found = self.map.get(key).cloned();
        if found.is_some() {
            self.hits += 1;
        } else {
            self.misses += 1;
        }
        found
    }

    pub(crate) fn insert(&mut self, key: K, value: V) {
        if self.map.len() >= self.capacity && !self.map.contains_key(&key) {
            if let Some(victim) = self.map.keys().next().cloned() {
                self.map.remove(&victim);
            }
        }
        self.map.insert(key, value);
    }

    pub(crate) fn remove(&mut self, key: &K) {
        self.map.remove(key);
    }

    pub(crate) fn retain(&mut self, keep: impl FnMut(&K, &mut V) -> bool) {
        self.map.retain(keep);
    }

    pub(crate) fn clear(&mut self) {
        self.map.clear();
    }

    pub(crate) const fn stats(&self) -> (u64, u64) {
        (self.hits, self.misses)
    }
}
