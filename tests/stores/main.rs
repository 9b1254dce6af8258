//! Store tests, one binary: the replay stores (memory and a real `redis-server`) against one
//! contract, and the rate limiter's memory. One module per store.

#[cfg(feature = "redis")]
#[path = "../support/redis.rs"]
mod redis_support;
#[path = "../support/replay_contract.rs"]
mod replay_contract;

mod ratelimit_memory;
mod redis_store;
mod replay_memory;
