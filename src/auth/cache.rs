//! The one token cache: [`CachedTokenProvider`] over any [`TokenSource`].
//!
//! * Keyed by (tenant, scope).
//! * A token is replaced `refresh_ahead` before it expires (5 minutes by
//!   default, at most half its lifetime), measured on tokio's clock so tests
//!   can pause time.
//! * One fetch in flight per key: a hundred tasks asking for the same tenant
//!   at once cause one token request. If it fails, the tasks that waited for
//!   it get the same error instead of each asking again. The map lock is held only to find a
//!   key's slot, never across a fetch, so other keys go ahead meanwhile.
//! * [`TokenProvider::invalidate`] drops a key's token after a 401.

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use chrono::Utc;
use tokio::time::Instant;
use tracing::{Instrument, debug, info_span};

use super::{AccessToken, TokenProvider};
use crate::error::{Error, Result};
use crate::tenant::TenantId;

/// Something that fetches a fresh token from Entra ID on every call: the
/// client-secret, certificate and refresh-token credentials. Wrap it in a
/// [`CachedTokenProvider`] (or call [`TokenSource::cached`]) to use it.
#[async_trait]
pub trait TokenSource: Send + Sync + fmt::Debug {
    /// Requests a new token for `tenant` and `scope`.
    async fn fetch(&self, tenant: &TenantId, scope: &str) -> Result<AccessToken>;

    /// This source behind the crate's token cache.
    fn cached(self) -> CachedTokenProvider<Self>
    where
        Self: Sized,
    {
        CachedTokenProvider::new(self)
    }
}

type Key = (TenantId, String);

#[derive(Default)]
struct Slot {
    token: Mutex<Option<Cached>>,
    fetching: tokio::sync::Mutex<()>,
    /// Completed fetches, successful or not.
    fetches: AtomicU64,
    /// The error of the last fetch, shared with the callers that were
    /// waiting for it so a refusal is not asked again by each of them.
    last_error: Mutex<Option<(u64, Error)>>,
}

struct Cached {
    token: AccessToken,
    refresh_at: Instant,
}

/// A copy of `e` for callers that waited on the failed fetch, when the
/// variant can be copied (all the ones a fetch returns in practice).
fn share(e: &Error) -> Option<Error> {
    match e {
        Error::Entra(x) => Some(Error::Entra(x.clone())),
        Error::Transport(x) => Some(Error::Transport(x.clone())),
        Error::Api(x) => Some(Error::Api(x.clone())),
        Error::Config(x) => Some(Error::Config(x.clone())),
        Error::Protocol(x) => Some(Error::Protocol(x.clone())),
        _ => None,
    }
}

impl Slot {
    /// The error of the fetch that ended while this caller waited, if any.
    fn failure_since(&self, seen: u64) -> Option<Error> {
        let guard = self
            .last_error
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        match guard.as_ref() {
            Some((at, e)) if *at > seen => share(e),
            _ => None,
        }
    }

    fn fresh(&self) -> Option<AccessToken> {
        let guard = self.token.lock().unwrap_or_else(PoisonError::into_inner);
        guard
            .as_ref()
            .filter(|c| Instant::now() < c.refresh_at)
            .map(|c| c.token.clone())
    }
}

/// A [`TokenProvider`] that caches what a [`TokenSource`] fetches.
///
/// ```no_run
/// # async fn run() -> defender_siem::Result<()> {
/// use std::time::Duration;
/// use defender_siem::auth::{ClientSecretCredential, TokenProvider, TokenSource};
/// use defender_siem::{Secret, TenantId};
///
/// let provider = ClientSecretCredential::new(
///     "11111111-2222-3333-4444-555555555555",
///     Secret::new("client-secret-value"),
/// )?
/// .cached()
/// .refresh_ahead(Duration::from_secs(600));
/// let tenant = TenantId::new("contoso.onmicrosoft.com")?;
/// let token = provider.token(&tenant, "https://api.securitycenter.microsoft.com/.default").await?;
/// # drop(token);
/// # Ok(()) }
/// ```
pub struct CachedTokenProvider<S> {
    source: S,
    refresh_ahead: Duration,
    slots: Mutex<HashMap<Key, Arc<Slot>>>,
}

impl<S: TokenSource> CachedTokenProvider<S> {
    /// Caches tokens of `source`, refreshing 5 minutes before expiry.
    pub fn new(source: S) -> Self {
        CachedTokenProvider {
            source,
            refresh_ahead: Duration::from_secs(300),
            slots: Mutex::new(HashMap::new()),
        }
    }

    /// How long before expiry a token is replaced. Default 5 minutes; never
    /// more than half of a token's lifetime.
    #[must_use]
    pub fn refresh_ahead(mut self, margin: Duration) -> Self {
        self.refresh_ahead = margin;
        self
    }

    /// The wrapped source.
    pub fn source(&self) -> &S {
        &self.source
    }

    fn slot(&self, tenant: &TenantId, scope: &str) -> Arc<Slot> {
        let mut slots = self.slots.lock().unwrap_or_else(PoisonError::into_inner);
        slots
            .entry((tenant.clone(), scope.to_owned()))
            .or_default()
            .clone()
    }
}

#[async_trait]
impl<S: TokenSource> TokenProvider for CachedTokenProvider<S> {
    async fn token(&self, tenant: &TenantId, scope: &str) -> Result<AccessToken> {
        let slot = self.slot(tenant, scope);
        if let Some(token) = slot.fresh() {
            return Ok(token);
        }
        let seen = slot.fetches.load(Ordering::SeqCst);
        let _one_at_a_time = slot.fetching.lock().await;
        // Another task may have fetched while this one waited: use its
        // token, or share its failure rather than asking Entra again.
        if let Some(token) = slot.fresh() {
            return Ok(token);
        }
        if let Some(e) = slot.failure_since(seen) {
            return Err(e);
        }
        let span = info_span!("fetch_token", tenant = %tenant, scope);
        let result = self.source.fetch(tenant, scope).instrument(span).await;
        let done = slot.fetches.fetch_add(1, Ordering::SeqCst) + 1;
        let token = match result {
            Ok(token) => token,
            Err(e) => {
                *slot
                    .last_error
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner) = share(&e).map(|copy| (done, copy));
                return Err(e);
            }
        };
        let lifetime = (token.expires_at() - Utc::now())
            .to_std()
            .unwrap_or(Duration::ZERO);
        let margin = self.refresh_ahead.min(lifetime / 2);
        let now = Instant::now();
        // `expires_at` may be anything an AccessToken was built with: an
        // Instant too far ahead saturates at an hour past the day cap.
        let refresh_at = now
            .checked_add(lifetime - margin)
            .unwrap_or_else(|| now + Duration::from_secs(90_000));
        debug!(%tenant, scope, ?lifetime, "token cached");
        *slot.token.lock().unwrap_or_else(PoisonError::into_inner) = Some(Cached {
            token: token.clone(),
            refresh_at,
        });
        Ok(token)
    }

    fn invalidate(&self, tenant: &TenantId, scope: &str) {
        let slots = self.slots.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(slot) = slots.get(&(tenant.clone(), scope.to_owned())) {
            debug!(%tenant, scope, "token dropped");
            *slot.token.lock().unwrap_or_else(PoisonError::into_inner) = None;
        }
    }
}

impl<S: fmt::Debug> fmt::Debug for CachedTokenProvider<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let keys = self
            .slots
            .lock()
            .map(|s| s.len())
            .unwrap_or_else(|p| p.into_inner().len());
        f.debug_struct("CachedTokenProvider")
            .field("source", &self.source)
            .field("refresh_ahead", &self.refresh_ahead)
            .field("cached_keys", &keys)
            .finish()
    }
}
