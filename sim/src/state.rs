//! The simulator's shared state: the live world and its index, the faults, counters, request
//! log and rate-limit windows. Locks are never held across an `.await`.

use std::net::SocketAddr;
use std::sync::{Mutex, MutexGuard, RwLock, RwLockReadGuard};

use crate::faults::{Dice, Faults};
use crate::stats::{Log, Stats};
use crate::usage::Usage;
use crate::world::{Index, World};

/// The world as it is now, with lookup tables matching it.
pub struct Live {
    pub world: World,
    pub index: Index,
}

impl Live {
    pub fn new(world: World) -> Live {
        let index = Index::build(&world);
        Live { world, index }
    }
}

pub struct Shared {
    /// The world as loaded, restored by `POST /__sim/reset`.
    pub initial: World,
    pub live: RwLock<Live>,
    pub faults: Mutex<Faults>,
    pub dice: Mutex<Dice>,
    pub stats: Mutex<Stats>,
    pub log: Mutex<Log>,
    pub usage: Mutex<Usage>,
    pub addr: SocketAddr,
}

/// A poisoned lock only means a handler panicked; the data is still usable for a simulator.
pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Shared {
    pub fn new(world: World, faults: Faults, addr: SocketAddr) -> Shared {
        Shared {
            initial: world.clone(),
            live: RwLock::new(Live::new(world)),
            dice: Mutex::new(Dice::new(faults.seed)),
            faults: Mutex::new(faults),
            stats: Mutex::new(Stats::default()),
            log: Mutex::new(Log::default()),
            usage: Mutex::new(Usage::default()),
            addr,
        }
    }

    pub fn read(&self) -> RwLockReadGuard<'_, Live> {
        self.live.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Changes the world and rebuilds the index; `f`'s error leaves the world unchanged.
    pub fn mutate<R>(&self, f: impl FnOnce(&mut World) -> R) -> R {
        let mut live = self.live.write().unwrap_or_else(|e| e.into_inner());
        let r = f(&mut live.world);
        live.index = Index::build(&live.world);
        r
    }

    pub fn faults(&self) -> Faults {
        lock(&self.faults).clone()
    }

    pub fn set_faults(&self, faults: Faults) {
        *lock(&self.dice) = Dice::new(faults.seed);
        *lock(&self.faults) = faults;
    }

    /// Counters, log and rate-limit windows to zero; the world as loaded.
    pub fn reset(&self) {
        *lock(&self.stats) = Stats::default();
        lock(&self.log).clear();
        lock(&self.usage).clear();
        let initial = self.initial.clone();
        self.mutate(|w| *w = initial);
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }
}
