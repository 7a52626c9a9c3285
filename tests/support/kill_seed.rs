//! The seed of the kill -9 trials' random kill points: `WACFG_KILL_SEED` when set (to replay a
//! failure), else taken from the clock. The test prints it, so a failing run names the seed
//! that reproduces it.
#![allow(dead_code)]

use rand::SeedableRng;
use rand::rngs::StdRng;

pub const SEED_ENV: &str = "WACFG_KILL_SEED";

/// A generator for `test`'s kill points, its seed printed on stderr (shown when the test fails).
pub fn rng(test: &str) -> StdRng {
    let seed = std::env::var(SEED_ENV)
        .ok()
        .and_then(|s| s.trim().parse::<u64>().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(1, |d| d.as_nanos() as u64)
        });
    eprintln!("{test}: kill points from seed {seed} (replay: {SEED_ENV}={seed})");
    StdRng::seed_from_u64(seed)
}
