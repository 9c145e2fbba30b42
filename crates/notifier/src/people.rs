//! Who a recipient is, for their message: name, zone, language and manager. The gateway's
//! people directory says, read with the notifier's system token (`ListPeople` every
//! minute, `GetPerson` for someone not seen yet, before their deadline is planned or their
//! message sent); the `[people]` table of the config fills in for installations without a
//! gateway. Anyone known to neither gets the deadline's zone and English. A gateway that is
//! down leaves the directory as last read: nothing waits on it.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use chrono_tz::Tz;

use advocacy_platform::config::PersonConfig;
use advocacy_platform::hosting::SystemChannel;
pub use advocacy_platform::language::Language;
use advocacy_proto::v1 as pb;
use advocacy_proto::v1::gateway_service_client::GatewayServiceClient;

/// How often the whole directory is read again.
pub const REFRESH_EVERY: Duration = Duration::from_secs(60);
/// A directory slower than this is not waited for: the plan goes on with what is known.
const ASK_WITHIN: Duration = Duration::from_secs(2);
/// How long someone the directory does not know is not asked about again.
const UNKNOWN_FOR: Duration = Duration::from_secs(60);

/// One recipient as their message needs them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub email: String,
    pub name: String,
    /// Their own zone, if known.
    pub zone: Option<Tz>,
    pub language: Language,
    pub manager: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct People {
    /// The config's people, with the directory's over them.
    known: Arc<RwLock<BTreeMap<String, PersonConfig>>>,
    configured: Arc<BTreeMap<String, PersonConfig>>,
    directory: Option<GatewayServiceClient<SystemChannel>>,
    /// Emails the directory did not know, and when it was asked.
    unknown: Arc<std::sync::Mutex<HashMap<String, Instant>>>,
}

fn of_directory(p: &pb::Person) -> PersonConfig {
    PersonConfig {
        name: p.name.clone(),
        zone: p.zone.clone(),
        language: if p.language() == pb::Language::Ko { "ko" } else { "en" }.to_owned(),
        manager: p.manager.clone(),
    }
}

impl People {
    /// The config's people only.
    pub fn new(people: &BTreeMap<String, PersonConfig>) -> People {
        let configured: BTreeMap<String, PersonConfig> =
            people.iter().map(|(email, p)| (email.to_lowercase(), p.clone())).collect();
        People {
            known: Arc::new(RwLock::new(configured.clone())),
            configured: Arc::new(configured),
            ..People::default()
        }
    }

    /// The config's people, and the gateway's directory over them.
    pub fn with_directory(
        people: &BTreeMap<String, PersonConfig>,
        directory: GatewayServiceClient<SystemChannel>,
    ) -> People {
        People { directory: Some(directory), ..People::new(people) }
    }

    /// Reads the whole directory again; people it no longer lists fall back to the config.
    pub async fn refresh(&self) -> Result<usize, tonic::Status> {
        let Some(directory) = &self.directory else { return Ok(0) };
        let mut client = directory.clone();
        let (mut listed, mut page_token) = (BTreeMap::new(), String::new());
        loop {
            let request = pb::ListPeopleRequest { page_size: 500, page_token, include_disabled: false };
            let page = client.list_people(request).await?.into_inner();
            listed.extend(page.people.iter().map(|p| (p.email.to_lowercase(), of_directory(p))));
            if page.next_page_token.is_empty() {
                break;
            }
            page_token = page.next_page_token;
        }
        let count = listed.len();
        let mut merged = (*self.configured).clone();
        merged.extend(listed);
        *self.known.write().unwrap_or_else(|e| e.into_inner()) = merged;
        Ok(count)
    }

    /// Asks the directory about each of `emails` it has not told of yet (at most once a
    /// minute each): before a new owner's deadline is planned or a message sent to them.
    pub async fn learn(&self, emails: &[String]) {
        let Some(directory) = &self.directory else { return };
        for email in emails.iter().map(|e| e.to_lowercase()) {
            if self.known.read().unwrap_or_else(|e| e.into_inner()).contains_key(&email) {
                continue;
            }
            {
                let unknown = self.unknown.lock().unwrap_or_else(|e| e.into_inner());
                if unknown.get(&email).is_some_and(|asked| asked.elapsed() < UNKNOWN_FOR) {
                    continue;
                }
            }
            let mut client = directory.clone();
            let asked =
                tokio::time::timeout(ASK_WITHIN, client.get_person(pb::GetPersonRequest { email: email.clone() }));
            match asked.await.unwrap_or_else(|_| Err(tonic::Status::deadline_exceeded("no answer"))) {
                Ok(found) => {
                    let person = found.into_inner();
                    self.known.write().unwrap_or_else(|e| e.into_inner()).insert(email, of_directory(&person));
                }
                Err(status) => {
                    if status.code() != tonic::Code::NotFound {
                        tracing::debug!(error = %status.message(), "the people directory did not answer");
                    }
                    self.unknown.lock().unwrap_or_else(|e| e.into_inner()).insert(email, Instant::now());
                }
            }
        }
    }

    /// Reads the directory every [`REFRESH_EVERY`] until shutdown.
    pub async fn follow(self, mut shutdown: advocacy_platform::Shutdown) {
        if self.directory.is_none() {
            return;
        }
        loop {
            if let Err(status) = self.refresh().await {
                tracing::debug!(error = %status.message(), "the people directory did not answer; keeping the last one read");
            }
            tokio::select! {
                _ = tokio::time::sleep(REFRESH_EVERY) => {}
                _ = shutdown.recv() => return,
            }
        }
    }

    pub fn person(&self, email: &str) -> Person {
        let known = self.known.read().unwrap_or_else(|e| e.into_inner());
        let known = known.get(&email.to_lowercase());
        Person {
            email: email.to_owned(),
            name: known.map(|p| p.name.clone()).filter(|n| !n.is_empty()).unwrap_or_else(|| email.to_owned()),
            zone: known.and_then(|p| p.zone.parse().ok()),
            language: known.and_then(|p| Language::parse(&p.language)).unwrap_or(Language::English),
            manager: known.map(|p| p.manager.clone()).filter(|m| !m.is_empty()),
        }
    }

    /// (person, manager) for each of `owners` with a manager.
    pub fn managers(&self, owners: &[String]) -> Vec<(String, String)> {
        owners.iter().filter_map(|o| self.person(o).manager.map(|m| (o.clone(), m))).collect()
    }

    /// Everyone listed, for digests of people who own nothing yet.
    pub fn listed(&self) -> Vec<String> {
        self.known.read().unwrap_or_else(|e| e.into_inner()).keys().cloned().collect()
    }
}
