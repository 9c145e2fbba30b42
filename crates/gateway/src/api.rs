//! The gRPC face of the gateway: check each request (every bad field named), act, convert
//! the answer.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use tonic::{Request, Response, Status};

use advocacy_platform::error::{checked, to_status};
use advocacy_platform::idempotency::{self, Written};
use advocacy_platform::time::to_timestamp;
use advocacy_platform::{Caller, Clock, FieldViolation, FieldViolations, limits};
use advocacy_proto::v1 as pb;
use advocacy_proto::v1::gateway_service_server::GatewayService;

use crate::error::GatewayError;
use crate::frozen::FrozenReports;
use crate::people::{self, Person};
use crate::report::Reporter;
use crate::signin::{SessionKind, SignIn, Tokens};
use crate::store::Store;

const DEFAULT_PAGE: usize = 100;
const MAX_PAGE: usize = 500;

#[derive(Debug, Clone)]
pub struct GatewayApi {
    store: Store,
    sign_in: SignIn,
    clock: Clock,
    /// The zone people get when none is given: the organisation's.
    default_zone: String,
    reporter: Reporter,
    frozen: FrozenReports,
    audit: advocacy_platform::audit::AuditLog,
}

fn status(e: GatewayError) -> Status {
    to_status(&e)
}

impl GatewayApi {
    pub fn new(
        store: Store,
        sign_in: SignIn,
        clock: Clock,
        reporter: Reporter,
        frozen: FrozenReports,
        audit: advocacy_platform::audit::AuditLog,
    ) -> GatewayApi {
        let default_zone = reporter.zone().name().to_owned();
        GatewayApi { store, sign_in, clock, default_zone, reporter, frozen, audit }
    }

    /// The report of a period as `caller` sees it (the JSON API's too).
    pub async fn report(&self, caller: &Caller, period: Option<&pb::ReportPeriod>) -> Result<pb::ImpactReport, Status> {
        let span = crate::period::parse("period", period, self.reporter.zone()).map_err(|v| status(v.into()))?;
        Ok(self.reporter.report(caller, &span).await)
    }

    /// A page of the records behind a figure (the JSON API's too).
    pub async fn records(
        &self,
        caller: &Caller,
        r: &pb::ListImpactRecordsRequest,
    ) -> Result<pb::ListImpactRecordsResponse, Status> {
        let mut v = FieldViolations::new();
        let span = v.check(crate::period::parse("period", r.period.as_ref(), self.reporter.zone()));
        let figure = v.check(limits::required_line("figure", &r.figure, 300));
        let size = v.check(limits::count("page_size", r.page_size, DEFAULT_PAGE, MAX_PAGE));
        let offset = v.check(match r.page_token.as_str() {
            "" => Ok(0),
            token => B64
                .decode(token)
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .and_then(|s| s.parse::<usize>().ok())
                .ok_or_else(|| FieldViolation::new("page_token", "is not a page token from a previous answer")),
        });
        let (span, figure, size, offset) = checked(v, (|| Some((span?, figure?, size?, offset?)))())?;
        let records =
            self.reporter.records(caller, &span, &figure).await.map_err(|e| status(GatewayError::Unavailable(e.0)))?;
        let Some(records) = records else {
            return Err(status(
                FieldViolation::new(
                    "figure",
                    format!("{} is not a figure of the report", limits::excerpt(&figure, 80)),
                )
                .into(),
            ));
        };
        let end = offset.saturating_add(size);
        let next = if records.len() > end { B64.encode(end.to_string()) } else { String::new() };
        Ok(pb::ListImpactRecordsResponse {
            records: records.into_iter().skip(offset).take(size).collect(),
            next_page_token: next,
        })
    }

    /// Signs in `email` from the client `address` ([`SignIn::client`]), fields checked
    /// as every sign-in's are (gRPC and the web form alike).
    pub async fn signed_in(
        &self,
        email: &str,
        password: String,
        address: &str,
        kind: SessionKind,
    ) -> Result<Tokens, Status> {
        let mut v = FieldViolations::new();
        let email = v.check(people::email("email", email));
        let password = v.check(match password.len() {
            0 => Err(FieldViolation::new("password", "is required")),
            n if n > people::MAX_PASSWORD_BYTES => Err(FieldViolation::new("password", "is too long")),
            _ => Ok(password),
        });
        let (email, password) = checked(v, email.zip(password))?;
        let tokens = self.sign_in.sign_in(&email, &password, address, kind).await.map_err(status)?;
        tracing::info!(person = %tokens.person.email, "signed in");
        Ok(tokens)
    }

    /// Sign-in and sessions, for the web pages.
    pub fn sessions(&self) -> &SignIn {
        &self.sign_in
    }

    pub fn frozen(&self) -> &FrozenReports {
        &self.frozen
    }

    /// `caller` as exports (the JSON API, frozen reports for donors) see them: without
    /// quiet diplomacy.
    pub fn for_export(&self, caller: &Caller) -> Caller {
        self.sign_in.for_export(caller)
    }

    /// The organisation's zone, which report periods are days of.
    pub fn zone(&self) -> chrono_tz::Tz {
        self.reporter.zone()
    }

    /// Freezes a period's report as `caller` sees it (the JSON API's too).
    pub async fn freeze(&self, caller: &Caller, r: &pb::FreezeImpactReportRequest) -> Result<pb::FrozenReport, Status> {
        let mut v = FieldViolations::new();
        let request_id = v.check(limits::request_id("request_id", &r.request_id));
        let span = v.check(crate::period::parse("period", r.period.as_ref(), self.reporter.zone()));
        let reason = v.check(limits::required_line("reason", &r.reason, 500));
        let (request_id, span, reason) = checked(v, (|| Some((request_id?, span?, reason?)))())?;
        let content = ("FreezeImpactReport", &span.label, span.from, span.to, &reason);
        let idem = idempotency::Request::new(caller, &request_id, &content);
        // What is frozen is told to donors: an export, so without quiet diplomacy.
        self.frozen.freeze(&self.for_export(caller), &idem, &span, &reason).await.map_err(status)
    }

    /// The answer to a write: new, or the first one again (only admins write people, and
    /// they may see every person, so a replay needs no check).
    async fn replayed(&self, written: Written<Person>) -> Result<pb::Person, GatewayError> {
        let person: Person = written.answer(|_| async { Ok::<(), GatewayError>(()) }).await?;
        Ok(person.to_proto())
    }

    async fn hashed(password: String) -> Result<String, GatewayError> {
        tokio::task::spawn_blocking(move || people::hash_password(&password))
            .await
            .map_err(|e| GatewayError::Precondition(format!("hashing the password failed: {e}")))
    }
}

fn tokens_to_proto(t: Tokens) -> pb::SignInResponse {
    pb::SignInResponse {
        access_token: t.access,
        expires_at: Some(to_timestamp(t.access_expires)),
        refresh_token: t.refresh,
        refresh_expires_at: Some(to_timestamp(t.refresh_expires)),
        person: Some(t.person.to_proto()),
    }
}

fn refresh_token(value: &str) -> Result<String, Status> {
    let mut v = FieldViolations::new();
    let token = v.check(if value.is_empty() {
        Err(FieldViolation::new("refresh_token", "is required"))
    } else if value.len() > 100 {
        Err(FieldViolation::new("refresh_token", "is not a refresh token"))
    } else {
        Ok(value.to_owned())
    });
    checked(v, token)
}

fn page(size: i32, token: &str) -> Result<(usize, String), FieldViolations> {
    let mut v = FieldViolations::new();
    let size = v.check(limits::count("page_size", size, DEFAULT_PAGE, MAX_PAGE));
    let after = v.check(if token.is_empty() {
        Ok(String::new())
    } else {
        B64.decode(token)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .filter(|e| e.len() <= 320)
            .ok_or_else(|| FieldViolation::new("page_token", "is not a page token from a previous answer"))
    });
    v.into_result()?;
    Ok((size.unwrap_or(DEFAULT_PAGE), after.unwrap_or_default()))
}

fn people_page(found: Vec<Person>, size: usize) -> pb::ListPeopleResponse {
    let next = if found.len() > size { B64.encode(&found[size - 1].email) } else { String::new() };
    pb::ListPeopleResponse { people: found.iter().take(size).map(Person::to_proto).collect(), next_page_token: next }
}

#[tonic::async_trait]
impl GatewayService for GatewayApi {
    async fn sign_in(&self, request: Request<pb::SignInRequest>) -> Result<Response<pb::SignInResponse>, Status> {
        let forwarded: Vec<&str> =
            request.metadata().get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok()).collect();
        let address = self.sign_in.client(request.remote_addr().map(|a| a.ip()), &forwarded);
        let r = request.into_inner();
        Ok(Response::new(tokens_to_proto(self.signed_in(&r.email, r.password, &address, SessionKind::Api).await?)))
    }

    async fn refresh(&self, request: Request<pb::RefreshRequest>) -> Result<Response<pb::SignInResponse>, Status> {
        let token = refresh_token(&request.into_inner().refresh_token)?;
        Ok(Response::new(tokens_to_proto(self.sign_in.refresh(&token).await.map_err(status)?)))
    }

    async fn sign_out(&self, request: Request<pb::SignOutRequest>) -> Result<Response<pb::SignOutResponse>, Status> {
        let token = refresh_token(&request.into_inner().refresh_token)?;
        self.sign_in.sign_out(&token, SessionKind::Api).await.map_err(status)?;
        Ok(Response::new(pb::SignOutResponse {}))
    }

    async fn create_person(&self, request: Request<pb::CreatePersonRequest>) -> Result<Response<pb::Person>, Status> {
        let caller = Caller::of(&request)?;
        let r = request.into_inner();
        let mut v = FieldViolations::new();
        let request_id = v.check(limits::request_id("request_id", &r.request_id));
        let email = v.check(people::email("email", &r.email));
        let name = v.check(people::name("name", &r.name));
        let roles = v.check(people::roles("roles", &r.roles));
        let compartments = v.check(people::compartments("compartments", &r.compartments));
        let zone = v.check(people::zone("zone", &r.zone, &self.default_zone));
        let language = v.check(people::language("language", r.language));
        let manager = v.check(limits::optional_email("manager", &r.manager));
        let password = v.check(match r.password.is_empty() {
            true => Ok(None),
            false => people::new_password("password", &r.password).map(Some),
        });
        if roles.as_ref().is_some_and(|r| r.is_empty()) {
            v.push(FieldViolation::new("roles", "a person needs at least one role: staff, manager or admin"));
        }
        let (request_id, email, name, roles, compartments, zone, language, manager, password) = checked(
            v,
            (|| Some((request_id?, email?, name?, roles?, compartments?, zone?, language?, manager?, password?)))(),
        )?;
        let now = self.clock.now();
        let person = Person {
            email,
            name,
            roles,
            compartments,
            zone,
            language: language.unwrap_or("en").to_owned(),
            manager: manager.unwrap_or_default().to_lowercase(),
            disabled: false,
            version: 1,
            created_by: caller.subject.clone(),
            created_at: now,
            updated_by: caller.subject.clone(),
            updated_at: now,
        };
        // The password stays out of the fingerprint: only whether one was set.
        let content = (
            "CreatePerson",
            &person.email,
            &person.name,
            &person.roles,
            &person.compartments,
            &person.zone,
            &person.language,
            &person.manager,
            password.is_some(),
        );
        let idem = idempotency::Request::new(&caller, &request_id, &content);
        let hash = match password {
            Some(p) => Self::hashed(p).await.map_err(status)?,
            None => String::new(),
        };
        let written = self.store.create(&idem, &person, &hash).await.map_err(status)?;
        Ok(Response::new(self.replayed(written).await.map_err(status)?))
    }

    async fn update_person(&self, request: Request<pb::UpdatePersonRequest>) -> Result<Response<pb::Person>, Status> {
        let caller = Caller::of(&request)?;
        let r = request.into_inner();
        let mut v = FieldViolations::new();
        let request_id = v.check(limits::request_id("request_id", &r.request_id));
        let email = v.check(people::email("email", &r.email));
        let version = v.check(limits::version(r.expected_version));
        let name = v.check(match r.name.is_empty() {
            true => Ok(None),
            false => people::name("name", &r.name).map(Some),
        });
        let grant_roles = v.check(people::roles("grant_roles", &r.grant_roles));
        let revoke_roles = v.check(people::roles("revoke_roles", &r.revoke_roles));
        let grant_compartments = v.check(people::compartments("grant_compartments", &r.grant_compartments));
        let revoke_compartments = v.check(people::compartments("revoke_compartments", &r.revoke_compartments));
        let zone = v.check(match r.zone.is_empty() {
            true => Ok(None),
            false => people::zone("zone", &r.zone, "").map(Some),
        });
        let language = v.check(people::language("language", r.language));
        let manager = v.check(limits::optional_email("manager", &r.manager));
        let values = (|| {
            Some((
                request_id?,
                email?,
                version?,
                name?,
                grant_roles?,
                revoke_roles?,
                grant_compartments?,
                revoke_compartments?,
                zone?,
                language?,
                manager?,
            ))
        })();
        let (request_id, email, version, name, grant_roles, revoke_roles, grant_c, revoke_c, zone, language, manager) =
            checked(v, values)?;
        let disabled = r.disabled_change.map(|pb::update_person_request::DisabledChange::Disabled(d)| d);
        let content = (
            "UpdatePerson",
            &email,
            version,
            &name,
            &grant_roles,
            &revoke_roles,
            &grant_c,
            &revoke_c,
            &zone,
            &language,
            &manager,
            disabled,
        );
        let idem = idempotency::Request::new(&caller, &request_id, &content);
        let written = idem
            .once(self.store.database(), || async {
                let before = self
                    .store
                    .account(&email)
                    .await?
                    .ok_or_else(|| GatewayError::NotFound(format!("no person {email}")))?
                    .person;
                if before.version != version {
                    return Err(GatewayError::Stale(format!(
                        "{email} is at version {}, not {version}: read it again",
                        before.version
                    )));
                }
                let mut after = before.clone();
                if let Some(name) = &name {
                    after.name = name.clone();
                }
                after.roles.extend(grant_roles.iter().cloned());
                after.roles.retain(|r| !revoke_roles.contains(r));
                after.compartments.extend(grant_c.iter().cloned());
                after.compartments.retain(|c| !revoke_c.contains(c));
                if after.compartments.len() > advocacy_platform::auth::MAX_TOKEN_COMPARTMENTS {
                    return Err(
                        FieldViolation::new("grant_compartments", "a person holds at most 10 compartments").into()
                    );
                }
                if after.roles.is_empty() {
                    return Err(FieldViolation::new("revoke_roles", "a person keeps at least one role").into());
                }
                if let Some(zone) = &zone {
                    after.zone = zone.clone();
                }
                if let Some(language) = language {
                    after.language = language.to_owned();
                }
                if let Some(manager) = &manager {
                    after.manager = manager.to_lowercase();
                }
                if let Some(disabled) = disabled {
                    after.disabled = disabled;
                }
                after.updated_by = caller.subject.clone();
                after.updated_at = self.clock.now();
                self.store.update(&idem, &after, None).await
            })
            .await
            .map_err(status)?;
        Ok(Response::new(self.replayed(written).await.map_err(status)?))
    }

    async fn set_password(&self, request: Request<pb::SetPasswordRequest>) -> Result<Response<pb::Person>, Status> {
        let caller = Caller::of(&request)?;
        let r = request.into_inner();
        let mut v = FieldViolations::new();
        let request_id = v.check(limits::request_id("request_id", &r.request_id));
        let email = v.check(people::email("email", &r.email));
        let password = v.check(people::new_password("password", &r.password));
        let (request_id, email, password) = checked(v, (|| Some((request_id?, email?, password?)))())?;
        // A retry of the same request sets the same password; the id alone tells them apart.
        let idem = idempotency::Request::new(&caller, &request_id, &("SetPassword", &email));
        let hash = Self::hashed(password).await.map_err(status)?;
        let written = idem
            .once(self.store.database(), || async {
                let mut person = self
                    .store
                    .account(&email)
                    .await?
                    .ok_or_else(|| GatewayError::NotFound(format!("no person {email}")))?
                    .person;
                person.updated_by = caller.subject.clone();
                person.updated_at = self.clock.now();
                self.store.update(&idem, &person, Some(&hash)).await
            })
            .await
            .map_err(status)?;
        Ok(Response::new(self.replayed(written).await.map_err(status)?))
    }

    async fn list_accounts(
        &self,
        request: Request<pb::ListPeopleRequest>,
    ) -> Result<Response<pb::ListPeopleResponse>, Status> {
        self.list_people(request).await
    }

    async fn get_person(&self, request: Request<pb::GetPersonRequest>) -> Result<Response<pb::Person>, Status> {
        let r = request.into_inner();
        let mut v = FieldViolations::new();
        let email = v.check(people::email("email", &r.email));
        let email = checked(v, email)?;
        match self.store.account(&email).await.map_err(status)? {
            Some(account) => Ok(Response::new(account.person.to_proto())),
            None => Err(status(GatewayError::NotFound(format!("no person {email}")))),
        }
    }

    async fn list_people(
        &self,
        request: Request<pb::ListPeopleRequest>,
    ) -> Result<Response<pb::ListPeopleResponse>, Status> {
        let r = request.into_inner();
        let (size, after) = page(r.page_size, &r.page_token).map_err(|v| status(v.into()))?;
        let found = self.store.list(&after, size + 1, r.include_disabled).await.map_err(status)?;
        Ok(Response::new(people_page(found, size)))
    }

    async fn list_audit_entries(
        &self,
        request: Request<pb::ListAuditEntriesRequest>,
    ) -> Result<Response<pb::ListAuditEntriesResponse>, Status> {
        Ok(Response::new(self.audit.list(request.get_ref()).await?))
    }

    async fn verify_audit_log(
        &self,
        _request: Request<pb::VerifyAuditLogRequest>,
    ) -> Result<Response<pb::VerifyAuditLogResponse>, Status> {
        Ok(Response::new(self.audit.verify().await?))
    }

    async fn list_all_audit_entries(
        &self,
        request: Request<pb::ListAuditEntriesRequest>,
    ) -> Result<Response<pb::ListAuditEntriesResponse>, Status> {
        let caller = Caller::of(&request)?;
        let r = request.into_inner();
        let own = self.audit.list(&r).await?;
        let others =
            self.reporter.audit_entries(&caller, &r).await.map_err(|e| status(GatewayError::Unavailable(e.0)))?;
        let mut entries: Vec<pb::AuditEntry> = own.entries.into_iter().chain(others).collect();
        let at = |e: &pb::AuditEntry| e.at.map(|t| (t.seconds, t.nanos)).unwrap_or_default();
        entries.sort_by(|a, b| (at(a), &a.service, a.seq).cmp(&(at(b), &b.service, b.seq)));
        entries.truncate(limits::count("page_size", r.page_size, 100, 1_000).unwrap_or(100));
        Ok(Response::new(pb::ListAuditEntriesResponse { entries }))
    }

    async fn get_impact_report(
        &self,
        request: Request<pb::ImpactReportRequest>,
    ) -> Result<Response<pb::ImpactReport>, Status> {
        let caller = Caller::of(&request)?;
        let caller = if request.get_ref().export { self.for_export(&caller) } else { caller };
        Ok(Response::new(self.report(&caller, request.get_ref().period.as_ref()).await?))
    }

    async fn list_impact_records(
        &self,
        request: Request<pb::ListImpactRecordsRequest>,
    ) -> Result<Response<pb::ListImpactRecordsResponse>, Status> {
        let caller = Caller::of(&request)?;
        let caller = if request.get_ref().export { self.for_export(&caller) } else { caller };
        Ok(Response::new(self.records(&caller, request.get_ref()).await?))
    }

    async fn freeze_impact_report(
        &self,
        request: Request<pb::FreezeImpactReportRequest>,
    ) -> Result<Response<pb::FrozenReport>, Status> {
        let caller = Caller::of(&request)?;
        Ok(Response::new(self.freeze(&caller, request.get_ref()).await?))
    }

    async fn get_frozen_report(
        &self,
        request: Request<pb::GetFrozenReportRequest>,
    ) -> Result<Response<pb::FrozenReportComparison>, Status> {
        let caller = Caller::of(&request)?;
        let id = limits::id("id", &request.get_ref().id).map_err(|v| status(v.into()))?;
        Ok(Response::new(self.frozen.compare(&self.for_export(&caller), &id).await.map_err(status)?))
    }

    async fn list_frozen_reports(
        &self,
        request: Request<pb::ListFrozenReportsRequest>,
    ) -> Result<Response<pb::ListFrozenReportsResponse>, Status> {
        let caller = Caller::of(&request)?;
        Ok(Response::new(pb::ListFrozenReportsResponse { reports: self.frozen.list(&caller).await.map_err(status)? }))
    }
}
