//! [`MemoryStore`]: a bounded, sharded, expiring in-process replay store.

use std::collections::HashMap;
use std::collections::hash_map::{Entry, RandomState};
use std::hash::{BuildHasher, BuildHasherDefault, Hasher};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use super::{BodyDigest, Claim, ClaimToken, ReplayKey, ReplayStore, StoreError, StoreFuture};
use crate::clock::{Clock, SystemClock, millis};

const SHARDS: usize = 32;
/// Expired entries are swept from a shard at most once per this many inserts, unless the
/// shard is full: reclaiming needs no background thread.
const SWEEP_EVERY: u32 = 4096;
/// Memory per entry at worst (a 48-byte hash-table slot — 128-bit key, 32-byte state with the
/// digest prefix and failure count — plus a control byte, at the lowest load factor after the
/// table doubles), used to turn a byte budget into an entry cap
/// (`cargo bench --bench replay_memory` measures it).
pub const BYTES_PER_ENTRY: usize = 104;

/// Keys are stored as a 128-bit keyed SipHash of the text key: 16 bytes per id whatever the id
/// length, and the per-process random keys make collisions unforgeable.
type Hash128 = u128;

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    /// Claimed; `owner` holds the low 64 bits of the owner's token.
    Pending,
    /// Handled.
    Done,
    /// Released after a failure; `owner` holds the end of the cool-down (ms).
    Failed,
}

#[derive(Clone, Copy)]
struct Slot {
    /// Milliseconds on the store's clock: the lease's end while pending, else the record's.
    expires: u64,
    /// Pending: low 64 bits of the owner's token. Failed: end of the cool-down (ms).
    owner: u64,
    /// The first 8 bytes of the body digest.
    digest: u64,
    /// Failed attempts so far.
    failures: u32,
    state: State,
}

#[derive(Default)]
struct IdentityHasher(u64);

impl Hasher for IdentityHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        // Only u128 keys are hashed, through write_u128; this is a fallback for completeness.
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }
    fn write_u128(&mut self, n: u128) {
        self.0 = n as u64;
    }
}

struct Shard {
    map: HashMap<Hash128, Slot, BuildHasherDefault<IdentityHasher>>,
    /// The earliest expiry among entries at the last sweep: sweeping earlier frees nothing.
    next_expiry: u64,
    inserts: u32,
}

impl Shard {
    fn sweep(&mut self, now: u64) {
        self.map.retain(|_, slot| slot.expires > now);
        self.next_expiry = self
            .map
            .values()
            .map(|s| s.expires)
            .min()
            .unwrap_or(u64::MAX);
        self.inserts = 0;
    }
}

/// An in-process [`ReplayStore`]: sharded, expiring, bounded.
///
/// When full of unexpired entries it refuses new claims ([`StoreError::Full`], answered 503)
/// instead of evicting live ones, which would reopen the replay window for them. Expired
/// entries are reclaimed as it goes; [`purge_expired`](Self::purge_expired) does it at once.
///
/// ```
/// use hookguard::replay::MemoryStore;
/// let store = MemoryStore::builder().max_entries(100_000).build();
/// assert_eq!(store.len(), 0);
/// ```
#[derive(Clone)]
pub struct MemoryStore {
    inner: Arc<Inner>,
}

struct Inner {
    shards: Box<[Mutex<Shard>]>,
    hashers: (RandomState, RandomState),
    shard_cap: usize,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryStore")
            .field("len", &self.len())
            .field("max_entries", &(self.inner.shard_cap * SHARDS))
            .finish()
    }
}

/// Builds a [`MemoryStore`].
#[derive(Debug)]
pub struct MemoryStoreBuilder {
    max_entries: usize,
    clock: Option<Arc<dyn Clock>>,
}

impl MemoryStoreBuilder {
    /// The most entries (claims and retained ids) held at once. Defaults to 1 000 000
    /// (at most about 70 MiB).
    pub fn max_entries(mut self, n: usize) -> Self {
        self.max_entries = n.max(SHARDS);
        self
    }

    /// Caps memory instead: about [`BYTES_PER_ENTRY`] bytes per entry.
    pub fn max_bytes(self, bytes: usize) -> Self {
        self.max_entries(bytes / BYTES_PER_ENTRY)
    }

    /// The clock for expiry. Defaults to the system's monotonic clock.
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Some(Arc::new(clock));
        self
    }

    /// Builds the store.
    pub fn build(self) -> MemoryStore {
        let shards = (0..SHARDS)
            .map(|_| {
                Mutex::new(Shard {
                    map: HashMap::default(),
                    next_expiry: u64::MAX,
                    inserts: 0,
                })
            })
            .collect();
        MemoryStore {
            inner: Arc::new(Inner {
                shards,
                hashers: (RandomState::new(), RandomState::new()),
                shard_cap: self.max_entries.div_ceil(SHARDS),
                clock: self
                    .clock
                    .unwrap_or_else(|| Arc::new(SystemClock::default())),
            }),
        }
    }
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self::builder().build()
    }
}

impl MemoryStore {
    /// Starts a builder.
    pub fn builder() -> MemoryStoreBuilder {
        MemoryStoreBuilder {
            max_entries: 1_000_000,
            clock: None,
        }
    }

    /// Entries held now, expired ones not yet reclaimed included.
    pub fn len(&self) -> usize {
        self.inner.shards.iter().map(|s| lock(s).map.len()).sum()
    }

    /// Whether it holds nothing.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Drops every expired entry now.
    pub fn purge_expired(&self) {
        let now = self.now();
        for shard in self.inner.shards.iter() {
            lock(shard).sweep(now);
        }
    }

    fn now(&self) -> u64 {
        millis(self.inner.clock.elapsed())
    }

    fn locate(&self, key: &ReplayKey) -> (Hash128, MutexGuard<'_, Shard>) {
        let (a, b) = &self.inner.hashers;
        let mut halves = [0u8; 16];
        halves[..8].copy_from_slice(&a.hash_one(key.as_str()).to_le_bytes());
        halves[8..].copy_from_slice(&b.hash_one(key.as_str()).to_le_bytes());
        let hash = Hash128::from_le_bytes(halves);
        let shard = (hash as usize) % SHARDS;
        (hash, lock(&self.inner.shards[shard]))
    }

    fn claim_now(
        &self,
        key: &ReplayKey,
        digest: &BodyDigest,
        lease: Duration,
    ) -> Result<Claim, StoreError> {
        let now = self.now();
        let (hash, mut shard) = self.locate(key);
        if shard.inserts >= SWEEP_EVERY && now >= shard.next_expiry {
            shard.sweep(now);
        }
        if !shard.map.contains_key(&hash) && shard.map.len() >= self.inner.shard_cap {
            if now >= shard.next_expiry {
                shard.sweep(now);
            }
            if shard.map.len() >= self.inner.shard_cap {
                return Err(StoreError::Full);
            }
        }
        let token = ClaimToken::generate();
        let mut fresh = Slot {
            expires: now.saturating_add(millis(lease)),
            owner: token.0 as u64,
            digest: digest.prefix(),
            failures: 0,
            state: State::Pending,
        };
        match shard.map.entry(hash) {
            Entry::Occupied(mut e) => {
                let slot = e.get_mut();
                if slot.expires > now {
                    // ct-lint: public (a body digest the store keeps, not a MAC)
                    if slot.digest != fresh.digest {
                        return Ok(Claim::Conflict);
                    }
                    match slot.state {
                        State::Done => return Ok(Claim::Done),
                        State::Pending => {
                            return Ok(Claim::InFlight {
                                remaining: Duration::from_millis(slot.expires - now),
                            });
                        }
                        State::Failed if slot.owner > now => {
                            return Ok(Claim::CoolingDown {
                                remaining: Duration::from_millis(slot.owner - now),
                            });
                        }
                        State::Failed => fresh.failures = slot.failures,
                    }
                }
                *slot = fresh;
            }
            Entry::Vacant(e) => {
                e.insert(fresh);
            }
        }
        shard.inserts = shard.inserts.saturating_add(1);
        shard.next_expiry = shard.next_expiry.min(fresh.expires);
        Ok(Claim::Claimed {
            token,
            failures: fresh.failures,
        })
    }

    /// Moves *pending with `token`* to done (kept for `retain`) or to failed.
    fn finish(&self, key: &ReplayKey, token: &ClaimToken, to: Finish) -> bool {
        let now = self.now();
        let (hash, mut shard) = self.locate(key);
        let Some(slot) = shard.map.get_mut(&hash) else {
            return false;
        };
        // ct-lint: public (claim tokens are ownership markers, not secrets)
        if slot.state != State::Pending || slot.owner != token.0 as u64 {
            return false;
        }
        let expires = match to {
            Finish::Done { retain } => {
                slot.state = State::Done;
                now.saturating_add(millis(retain))
            }
            Finish::Failed { cooldown, keep } => {
                slot.state = State::Failed;
                slot.owner = now.saturating_add(millis(cooldown));
                slot.failures = slot.failures.saturating_add(1);
                now.saturating_add(millis(keep)).max(slot.owner)
            }
        };
        slot.expires = expires;
        shard.next_expiry = shard.next_expiry.min(expires);
        true
    }
}

/// Where [`MemoryStore::finish`] moves a claim.
enum Finish {
    Done { retain: Duration },
    Failed { cooldown: Duration, keep: Duration },
}

fn lock(shard: &Mutex<Shard>) -> MutexGuard<'_, Shard> {
    // A panic while holding the lock cannot leave a slot half-written (every write is one
    // assignment), so a poisoned shard is still consistent.
    shard.lock().unwrap_or_else(|e| e.into_inner())
}

impl ReplayStore for MemoryStore {
    fn claim<'a>(
        &'a self,
        key: &'a ReplayKey,
        digest: &'a BodyDigest,
        lease: Duration,
    ) -> StoreFuture<'a, Claim> {
        let result = self.claim_now(key, digest, lease);
        Box::pin(async move { result })
    }

    fn complete<'a>(
        &'a self,
        key: &'a ReplayKey,
        token: &'a ClaimToken,
        retain: Duration,
    ) -> StoreFuture<'a, bool> {
        let done = self.finish(key, token, Finish::Done { retain });
        Box::pin(async move { Ok(done) })
    }

    fn release<'a>(
        &'a self,
        key: &'a ReplayKey,
        token: &'a ClaimToken,
        cooldown: Duration,
        keep: Duration,
    ) -> StoreFuture<'a, bool> {
        let released = self.finish(key, token, Finish::Failed { cooldown, keep });
        Box::pin(async move { Ok(released) })
    }
}

#[cfg(test)]
mod tests {
    use std::hash::{BuildHasher, BuildHasherDefault, Hasher};
    use std::time::Duration;

    use super::*;
    use crate::DeliveryId;
    use crate::clock::ManualClock;

    fn digest() -> BodyDigest {
        BodyDigest::of(b"{}")
    }

    fn key(n: usize) -> ReplayKey {
        let id = DeliveryId::new(&format!("id{n}")).unwrap();
        ReplayKey::from_trusted_parts("t", "p", &id).unwrap()
    }

    #[test]
    fn the_identity_hasher_passes_the_keyed_hash_through() {
        let build = BuildHasherDefault::<IdentityHasher>::default();
        let n: u128 = (7 << 64) | 0x1234_5678_9abc_def0;
        assert_eq!(build.hash_one(n), 0x1234_5678_9abc_def0);
        assert_ne!(build.hash_one(1u128), build.hash_one(2u128));
        let bytes = |b: &[u8]| {
            let mut h = IdentityHasher::default();
            h.write(b);
            h.finish()
        };
        assert_eq!(bytes(&[0x12, 0x34]), 0x1234);
        assert_ne!(bytes(b"ab"), bytes(b"ba"));
        // The ninth byte lands on the first one's bits, rotated all the way round: mixed in.
        assert_eq!(bytes(&[0xff, 0, 0, 0, 0, 0, 0, 0, 0xff]), 0);
    }

    #[tokio::test]
    async fn a_sweep_drops_exactly_the_expired_entries() {
        let clock = ManualClock::default();
        let store = MemoryStore::builder().clock(clock.clone()).build();
        assert!(store.is_empty());
        for n in 0..10 {
            store
                .claim(&key(n), &digest(), Duration::from_secs(10))
                .await
                .unwrap();
        }
        clock.advance(Duration::from_secs(5));
        for n in 10..15 {
            store
                .claim(&key(n), &digest(), Duration::from_secs(10))
                .await
                .unwrap();
        }
        assert_eq!(store.len(), 15);
        assert!(!store.is_empty());
        clock.advance(Duration::from_secs(6)); // the first ten have expired
        store.purge_expired();
        assert_eq!(store.len(), 5);
        for n in 10..15 {
            assert!(matches!(
                store
                    .claim(&key(n), &digest(), Duration::from_secs(10))
                    .await
                    .unwrap(),
                Claim::InFlight { .. }
            ));
        }
        clock.advance(Duration::from_secs(10));
        store.purge_expired();
        assert!(store.is_empty());
    }

    #[test]
    fn the_entry_cap_is_set_by_count_or_by_bytes() {
        let shown = |s: &MemoryStore| format!("{s:?}");
        let store = MemoryStore::builder().max_entries(3_200).build();
        assert!(
            shown(&store).contains("max_entries: 3200"),
            "{}",
            shown(&store)
        );
        let store = MemoryStore::builder()
            .max_bytes(BYTES_PER_ENTRY * 6_400)
            .build();
        assert!(
            shown(&store).contains("max_entries: 6400"),
            "{}",
            shown(&store)
        );
        assert!(shown(&MemoryStore::default()).contains("max_entries: 1000000"));
        assert!(shown(&store).contains("len: 0"));
    }

    #[tokio::test]
    async fn an_in_flight_claim_reports_the_rest_of_its_lease() {
        let clock = ManualClock::default();
        let store = MemoryStore::builder().clock(clock.clone()).build();
        store
            .claim(&key(1), &digest(), Duration::from_secs(10))
            .await
            .unwrap();
        clock.advance(Duration::from_secs(3));
        let Claim::InFlight { remaining } = store
            .claim(&key(1), &digest(), Duration::from_secs(10))
            .await
            .unwrap()
        else {
            panic!("in flight")
        };
        assert_eq!(remaining, Duration::from_secs(7));
    }

    #[test]
    fn keys_are_held_as_128_bit_hashes() {
        let store = MemoryStore::default();
        let hashes: Vec<Hash128> = (0..64).map(|n| store.locate(&key(n)).0).collect();
        // Both halves are keyed hashes: neither is constant, and they differ from each other.
        assert!(hashes.iter().any(|h| (h >> 64) != (hashes[0] >> 64)));
        assert!(hashes.iter().any(|h| (*h as u64) != (hashes[0] as u64)));
        assert!(hashes.iter().all(|h| (h >> 64) as u64 != *h as u64));
    }

    #[tokio::test]
    async fn expired_entries_are_swept_after_sweep_every_inserts_into_their_shard() {
        let clock = ManualClock::default();
        let store = MemoryStore::builder().clock(clock.clone()).build();
        let old = key(0);
        store
            .claim(&old, &digest(), Duration::from_secs(1))
            .await
            .unwrap();
        let (old_hash, guard) = store.locate(&old);
        let shard = (old_hash as usize) % SHARDS;
        drop(guard);
        clock.advance(Duration::from_secs(2));
        let present =
            |store: &MemoryStore| lock(&store.inner.shards[shard]).map.contains_key(&old_hash);
        let mut n = 1;
        let mut inserted = 1; // the expired claim itself
        while inserted <= SWEEP_EVERY as usize {
            let k = key(n);
            n += 1;
            let (hash, guard) = store.locate(&k);
            drop(guard);
            if (hash as usize) % SHARDS != shard {
                continue;
            }
            assert!(
                present(&store),
                "swept after {inserted} inserts, before {SWEEP_EVERY}"
            );
            store
                .claim(&k, &digest(), Duration::from_secs(60))
                .await
                .unwrap();
            inserted += 1;
        }
        assert!(!present(&store), "not swept after {inserted} inserts");
        assert_eq!(
            lock(&store.inner.shards[shard]).map.len(),
            SWEEP_EVERY as usize
        );
    }
}
