//! Signing in: a password checked against its argon2id hash, failures counted per account
//! and per client address, and a pair of tokens for a person who may sign in — a signed
//! access token every service verifies, short-lived so a disabled person is locked out
//! within its lifetime, and a refresh token, good for one exchange, that checks the
//! person again each time.

use std::net::{IpAddr, Ipv6Addr};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use chrono::{DateTime, Duration, Utc};
use sha2::{Digest, Sha256};

use advocacy_platform::auth::{AUDIENCE, Claims};
use advocacy_platform::keys::Signer;
use advocacy_platform::{Caller, Clock};

use crate::error::GatewayError;
use crate::people::{Person, password_matches};
use crate::store::Store;

/// How long an access token lives: the most a disabled person keeps access.
pub const ACCESS_TOKEN_MINUTES: i64 = 15;
/// How long a session lasts without signing in again.
pub const SESSION_HOURS: i64 = 12;
/// Failed sign-ins are counted over this window...
pub const FAILURE_WINDOW_MINUTES: i64 = 15;
/// ...and more than these refuse further attempts until the window moves on.
pub const FAILURES_PER_ACCOUNT: i64 = 5;
pub const FAILURES_PER_ADDRESS: i64 = 20;

/// The one answer for a wrong email or a wrong password.
pub const WRONG: &str = "the email or the password is wrong";

/// A signed-in person's tokens.
#[derive(Debug, Clone)]
pub struct Tokens {
    pub access: String,
    pub access_expires: DateTime<Utc>,
    pub refresh: String,
    pub refresh_expires: DateTime<Utc>,
    pub person: Person,
}

#[derive(Debug, Clone)]
pub struct SignIn {
    store: Store,
    key: Signer,
    clock: Clock,
    trusted_proxies: Vec<IpAddr>,
}

/// The client a sign-in is counted against: the peer, or behind trusted proxies the
/// nearest address in `X-Forwarded-For` that is not one of them. An IPv6 client is its
/// /64, since one machine is commonly given a whole /64 and could otherwise rotate through
/// it to escape the limit.
pub fn client_address(peer: Option<IpAddr>, forwarded_for: Option<&str>, trusted: &[IpAddr]) -> String {
    let mut client = peer.map(|ip| ip.to_canonical());
    if let Some(forwarded) = forwarded_for {
        for hop in forwarded.rsplit(',') {
            if !client.is_some_and(|ip| trusted.contains(&ip)) {
                break;
            }
            match hop.trim().parse::<IpAddr>() {
                Ok(ip) => client = Some(ip.to_canonical()),
                Err(_) => break,
            }
        }
    }
    match client {
        None => "unknown".to_owned(),
        Some(IpAddr::V4(ip)) => ip.to_string(),
        Some(IpAddr::V6(ip)) => {
            let prefix = u128::from(ip) & !((1u128 << 64) - 1);
            format!("{}/64", Ipv6Addr::from(prefix))
        }
    }
}

/// Where a session was opened. Its secret is good there only: a web page's cookie is not
/// a refresh token of the API (which would let a stolen cookie mint tokens for ever), nor
/// is an API refresh token a page's cookie.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionKind {
    Api,
    Web,
}

impl SessionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SessionKind::Api => "api",
            SessionKind::Web => "web",
        }
    }
}

fn ended() -> GatewayError {
    GatewayError::Unauthenticated("the session ended: sign in again".into())
}

fn hash_of(refresh: &str) -> String {
    hex::encode(Sha256::digest(refresh.as_bytes()))
}

impl SignIn {
    pub fn new(store: Store, key: Signer, clock: Clock, trusted_proxies: Vec<IpAddr>) -> SignIn {
        SignIn { store, key, clock, trusted_proxies }
    }

    /// See [`client_address`]; `forwarded_for` holds every `X-Forwarded-For` line (a
    /// proxy may add its own line rather than extend the client's).
    pub fn client(&self, peer: Option<IpAddr>, forwarded_for: &[&str]) -> String {
        let joined = forwarded_for.join(",");
        client_address(peer, (!joined.is_empty()).then_some(joined.as_str()), &self.trusted_proxies)
    }

    /// `caller` as exports see them: without quiet diplomacy, which never leaves in one.
    pub fn for_export(&self, caller: &Caller) -> Caller {
        let quiet = advocacy_platform::classification::QUIET_DIPLOMACY;
        if !caller.compartments.iter().any(|c| c == quiet) {
            return caller.clone();
        }
        self.key.key().narrowed(caller, quiet, self.clock.unix_seconds())
    }

    /// Checks `email` and `password`, coming from `address`, for a session of `kind`.
    pub async fn sign_in(
        &self,
        email: &str,
        password: &str,
        address: &str,
        kind: SessionKind,
    ) -> Result<Tokens, GatewayError> {
        let now = self.clock.now();
        let since = now - Duration::minutes(FAILURE_WINDOW_MINUTES);
        let account_subject = format!("email:{email}");
        let address_subject = format!("address:{address}");
        // The attempt counts (itself included) before the password is checked, so a burst of
        // guesses sent at once meets the limit as one sent after another would.
        let subjects = [account_subject.clone(), address_subject.clone()];
        self.store.record_attempt(&subjects, now, since).await?;
        let attempts = [
            (self.store.failures(&account_subject, since).await?, FAILURES_PER_ACCOUNT),
            (self.store.failures(&address_subject, since).await?, FAILURES_PER_ADDRESS),
        ];
        if attempts.iter().any(|(count, limit)| count > limit) {
            return Err(GatewayError::TooManyAttempts(format!(
                "too many failed sign-ins; try again in {FAILURE_WINDOW_MINUTES} minutes"
            )));
        }
        let account = self.store.account(email).await?;
        // The hash is checked even for an unknown email, so neither the answer nor its
        // timing tells whether the account exists.
        let hash = account.as_ref().map_or("", |a| a.password_hash.as_str()).to_owned();
        let password = password.to_owned();
        let matches = tokio::task::spawn_blocking(move || password_matches(&hash, &password))
            .await
            .map_err(|_| GatewayError::Unauthenticated(WRONG.into()))?;
        match account {
            Some(account) if matches && !account.person.disabled => {
                self.store.forget_attempts(&account_subject, &address_subject, now).await?;
                self.tokens(account.person, now, kind).await
            }
            known => {
                // Refusals of people we know are audited; typed addresses of no one are not kept.
                if known.is_some() {
                    self.store.audit_refusal(email, now).await?;
                }
                Err(GatewayError::Unauthenticated(WRONG.into()))
            }
        }
    }

    /// A new pair for a live refresh token whose person may still sign in.
    pub async fn refresh(&self, refresh: &str) -> Result<Tokens, GatewayError> {
        let now = self.clock.now();
        let email = self.store.end_session(&hash_of(refresh), now, SessionKind::Api).await?;
        let person = self.enabled(email, ended).await?;
        self.tokens(person, now, SessionKind::Api).await
    }

    /// For a page of the web UI: the person of the live web session `secret` (the cookie)
    /// and a fresh access token of theirs. The person is checked again on every page, so a
    /// disabled person's next page is the sign-in form.
    pub async fn session(&self, secret: &str) -> Result<(Person, String), GatewayError> {
        let now = self.clock.now();
        let email = self.store.live_session(&hash_of(secret), now).await?;
        let person = self.enabled(email, ended).await?;
        let token = self.access_token(&person, now);
        Ok((person, token))
    }

    /// A new secret calendar address for `person`, the one before revoked.
    pub async fn new_calendar_feed(&self, person: &Person) -> Result<String, GatewayError> {
        let secret = B64.encode(rand::random::<[u8; 32]>());
        self.store.open_calendar_feed(&person.email, &hash_of(&secret), self.clock.now()).await?;
        Ok(secret)
    }

    pub async fn revoke_calendar_feed(&self, person: &Person) -> Result<bool, GatewayError> {
        self.store.revoke_calendar_feed(&person.email, self.clock.now()).await
    }

    /// When the person's live calendar address was made, if they have one.
    pub async fn calendar_feed_since(&self, person: &Person) -> Result<Option<DateTime<Utc>>, GatewayError> {
        self.store.calendar_feed_of(&person.email).await
    }

    /// A token to read the calendar of a live calendar address with. A feed's address leaves
    /// the organisation (calendar providers fetch it, and keep it), so its token holds none
    /// of the person's compartments: no restricted record, no quiet diplomacy is in a feed.
    pub async fn calendar_reader(&self, secret: &str) -> Result<String, GatewayError> {
        let gone = || GatewayError::NotFound("no such calendar".into());
        let email = self.store.calendar_feed(&hash_of(secret)).await?;
        let person = self.enabled(email, gone).await?;
        let unrestricted = Person { compartments: Default::default(), ..person };
        Ok(self.access_token(&unrestricted, self.clock.now()))
    }

    /// Ends the session of `secret`, opened where `kind` says.
    pub async fn sign_out(&self, secret: &str, kind: SessionKind) -> Result<(), GatewayError> {
        self.store.end_session(&hash_of(secret), self.clock.now(), kind).await?;
        Ok(())
    }

    /// The person of `email` if there is one who may still sign in; `missing` otherwise.
    async fn enabled(&self, email: Option<String>, missing: impl Fn() -> GatewayError) -> Result<Person, GatewayError> {
        let Some(email) = email else { return Err(missing()) };
        match self.store.account(&email).await? {
            Some(account) if !account.person.disabled => Ok(account.person),
            _ => Err(missing()),
        }
    }

    async fn tokens(&self, person: Person, now: DateTime<Utc>, kind: SessionKind) -> Result<Tokens, GatewayError> {
        let access_expires = now + Duration::minutes(ACCESS_TOKEN_MINUTES);
        let access = self.access_token(&person, now);
        let refresh = B64.encode(rand::random::<[u8; 32]>());
        let refresh_expires = now + Duration::hours(SESSION_HOURS);
        self.store.open_session(&person.email, &hash_of(&refresh), now, refresh_expires, kind).await?;
        Ok(Tokens { access, access_expires, refresh, refresh_expires, person })
    }

    fn access_token(&self, person: &Person, now: DateTime<Utc>) -> String {
        let access_expires = now + Duration::minutes(ACCESS_TOKEN_MINUTES);
        let claims = Claims {
            sub: person.email.clone(),
            name: person.name.clone(),
            roles: person.token_roles(),
            compartments: person.compartments.iter().cloned().collect(),
            iat: now.timestamp(),
            nbf: now.timestamp(),
            exp: access_expires.timestamp(),
            iss: String::new(),
            aud: AUDIENCE.to_owned(),
        };
        let key = self.key.key();
        key.sign(&Claims { iss: key.owner.clone(), ..claims })
    }
}

#[cfg(test)]
mod tests {
    use super::client_address;

    #[test]
    fn a_client_is_its_address_or_its_ipv6_64_and_proxies_are_looked_through_only_when_trusted() {
        let ip = |s: &str| s.parse().ok();
        let proxy = "10.0.0.5".parse().expect("an address");
        assert_eq!(client_address(ip("203.0.113.9"), None, &[]), "203.0.113.9");
        assert_eq!(client_address(ip("::ffff:203.0.113.9"), None, &[]), "203.0.113.9");
        assert_eq!(client_address(ip("2001:db8:1:2:aaaa::1"), None, &[]), "2001:db8:1:2::/64");
        assert_eq!(client_address(ip("2001:db8:1:2:ffff::9"), None, &[]), "2001:db8:1:2::/64");
        assert_eq!(client_address(None, None, &[]), "unknown");
        // An untrusted peer cannot claim to be someone else.
        assert_eq!(client_address(ip("203.0.113.9"), Some("198.51.100.1"), &[proxy]), "203.0.113.9");
        // Behind the proxy: the nearest hop it did not add, whatever the client prepended.
        assert_eq!(client_address(ip("10.0.0.5"), Some("1.2.3.4, 198.51.100.1"), &[proxy]), "198.51.100.1");
        assert_eq!(client_address(ip("10.0.0.5"), Some("198.51.100.1, 10.0.0.5"), &[proxy]), "198.51.100.1");
        assert_eq!(client_address(ip("10.0.0.5"), Some("not an address"), &[proxy]), "10.0.0.5");
    }
}
