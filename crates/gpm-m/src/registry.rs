//! Every G that has parked at least once and not yet exited, so that shutdown can find and
//! unwind the parked ones.
//!
//! A parked G is referenced only by whatever it waits on (a channel, a timer), and that
//! may be reachable only from other parked goroutines' stacks. The registry is the root
//! that keeps them all alive and lets shutdown unwind each one. A G enters it at its first
//! park, not at spawn: a goroutine that runs to completion without blocking is always in a
//! run queue or running, so it never costs a registry lock. The registry is sharded by G
//! id so that inserts and removals on different Ms rarely meet on one lock.

use gpm_g::{GRef, NO_REGISTRY_SLOT as UNREGISTERED};
use parking_lot::Mutex;
use slab::Slab;

const SHARDS: usize = 16;

/// The live goroutines of one runtime.
pub struct Registry {
    shards: [Mutex<Slab<GRef>>; SHARDS],
}

impl Default for Registry {
    fn default() -> Self {
        Self::new()
    }
}

impl Registry {
    /// An empty registry.
    pub fn new() -> Registry {
        Registry {
            shards: std::array::from_fn(|_| Mutex::new(Slab::new())),
        }
    }

    fn shard(g: &GRef) -> usize {
        (g.id().0 as usize) % SHARDS
    }

    /// Records a new G.
    pub fn insert(&self, g: &GRef) {
        let slot = self.shards[Self::shard(g)].lock().insert(g.clone());
        // A shard's slots stay below `u32::MAX`: each one holds a parked goroutine, and so
        // a stack, and four billion of those do not fit in an address space's memory.
        let slot = u32::try_from(slot).ok().filter(|&s| s != UNREGISTERED);
        g.set_registry_slot(slot.expect("gpm: more than u32::MAX parked goroutines in a shard"));
    }

    /// True if `g` is recorded. Only the M running `g` may ask.
    pub fn contains(&self, g: &GRef) -> bool {
        g.registry_slot() != UNREGISTERED
    }

    /// Forgets a G that exited (if it was recorded).
    pub fn remove(&self, g: &GRef) {
        if !self.contains(g) {
            return;
        }
        let slot = g.registry_slot() as usize;
        let removed = self.shards[Self::shard(g)].lock().try_remove(slot);
        debug_assert!(removed.is_some_and(|r| GRef::ptr_eq(&r, g)));
        g.set_registry_slot(UNREGISTERED);
    }

    /// The number of live goroutines.
    pub fn len(&self) -> usize {
        self.shards.iter().map(|s| s.lock().len()).sum()
    }

    /// True if no goroutine is live.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The ids and names of the recorded goroutines (for a deadlock report).
    pub fn snapshot(&self) -> Vec<(gpm_g::GId, Option<String>)> {
        let mut out = Vec::new();
        for s in &self.shards {
            out.extend(
                s.lock()
                    .iter()
                    .map(|(_, g)| (g.id(), g.name().map(str::to_owned))),
            );
        }
        out
    }

    /// Takes every live G out (shutdown).
    pub fn take_all(&self) -> Vec<GRef> {
        let mut out = Vec::new();
        for s in &self.shards {
            out.extend(s.lock().drain());
        }
        for g in &out {
            g.set_registry_slot(UNREGISTERED);
        }
        out
    }
}
