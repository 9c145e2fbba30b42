//! Who may call each RPC. Every service declares one table (`ServiceSpec::access`); the
//! guard here verifies the token and checks the table on every call, before the service
//! sees the request. A method missing from its table is refused to everyone, so a new RPC
//! stays closed until someone decides who may call it.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use tonic::Status;
use tonic::server::NamedService;

use crate::auth::{Authenticator, Role};

/// The roles that may call one method of a service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    /// The RPC's name as in the proto (`GetDeadline`).
    pub method: &'static str,
    pub roles: &'static [Role],
    /// Callable without a token (signing in): the service checks what the request carries.
    pub open: bool,
}

impl Rule {
    pub const fn new(method: &'static str, roles: &'static [Role]) -> Rule {
        Rule { method, roles, open: false }
    }

    /// A method anyone may call, token or not.
    pub const fn open(method: &'static str) -> Rule {
        Rule { method, roles: &[], open: true }
    }
}

/// Staff: recording the organisation's work, and its contacts.
pub const STAFF: &[Role] = &[Role::Staff];
/// Staff, and the services that keep records in step for them (follow-up deadlines).
pub const STAFF_AND_SERVICES: &[Role] = &[Role::Staff, Role::System];
/// Staff and managers: records and impact figures people read (managers drill down).
pub const STAFF_AND_MANAGERS: &[Role] = &[Role::Staff, Role::Manager];
/// Managers: what the organisation tells donors and boards (frozen reports).
pub const MANAGERS: &[Role] = &[Role::Manager];
/// Records services read too (deadlines, for reminders and links).
pub const STAFF_MANAGERS_AND_SERVICES: &[Role] = &[Role::Staff, Role::Manager, Role::System];
/// Change feeds and other plumbing between services.
pub const SERVICES: &[Role] = &[Role::System];
/// Erasure and other irreversible acts on people's data.
pub const ADMINS: &[Role] = &[Role::Admin];

/// Whether `method` is open to callers without a token.
pub fn is_open(rules: &[Rule], method: &str) -> bool {
    rules.iter().any(|r| r.method == method && r.open)
}

/// The roles that may call `method` under `rules`; none for a method not listed.
pub fn allowed(rules: &[Rule], method: &str) -> &'static [Role] {
    rules.iter().find(|r| r.method == method).map_or(&[], |r| r.roles)
}

/// A generated server behind the token check and its table.
#[derive(Debug, Clone)]
pub struct Guarded<S> {
    inner: S,
    auth: Authenticator,
    rules: &'static [Rule],
}

impl<S> Guarded<S> {
    pub fn new(inner: S, auth: Authenticator, rules: &'static [Rule]) -> Self {
        Guarded { inner, auth, rules }
    }

    /// Verifies the caller and its right to `method`, and leaves the [`crate::Caller`] in
    /// the request's extensions for the service; the call as the audit log names it.
    fn admit<B>(&self, request: &mut http::Request<B>) -> Result<Option<crate::audit::Call>, Status> {
        let method = request.uri().path().rsplit('/').next().unwrap_or_default().to_owned();
        if is_open(self.rules, &method) {
            // No caller yet: the service names who acted (the person signing in).
            return Ok(Some(crate::audit::Call { method, subject: String::new() }));
        }
        let caller = self.auth.caller(request.headers())?;
        let roles = allowed(self.rules, &method);
        if !caller.roles.iter().any(|r| roles.contains(r)) {
            let needed: Vec<String> = roles.iter().map(|r| format!("{r:?}").to_lowercase()).collect();
            return Err(Status::permission_denied(match needed.is_empty() {
                true => format!("{method} is not open to anyone"),
                false => format!("{method} needs the role {}", needed.join(" or ")),
            }));
        }
        let call = crate::audit::Call { method, subject: caller.subject.clone() };
        request.extensions_mut().insert(caller);
        Ok(Some(call))
    }
}

impl<S: NamedService> NamedService for Guarded<S> {
    const NAME: &'static str = S::NAME;
}

type BoxFuture<T, E> = Pin<Box<dyn Future<Output = Result<T, E>> + Send>>;

impl<S, B> tower::Service<http::Request<B>> for Guarded<S>
where
    S: tower::Service<http::Request<B>, Response = http::Response<tonic::body::Body>>,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = BoxFuture<S::Response, S::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: http::Request<B>) -> Self::Future {
        match self.admit(&mut request) {
            Ok(Some(call)) => Box::pin(crate::audit::CALL.scope(call, self.inner.call(request))),
            Ok(None) => Box::pin(self.inner.call(request)),
            Err(status) => Box::pin(std::future::ready(Ok(status.into_http()))),
        }
    }
}
