//! The command line: what each command and flag means, in words staff understand.

use std::path::PathBuf;

use advocacy_proto::v1 as pb;
use clap::{Args, Parser, Subcommand};

use crate::words::flag;

/// The advocacy tracker: deadlines, submissions, briefings and reminders for the
/// organisation's UN and government advocacy.
#[derive(Debug, Parser)]
#[command(name = "advocacy", version, propagate_version = true)]
pub struct Cli {
    /// Configuration file (TOML). Environment variables ADVOCACY_* override it.
    #[arg(long, short, global = true, env = "ADVOCACY_CONFIG")]
    pub config: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the services: all of them in one process (the default), or the ones named.
    Serve {
        /// Services to run; none means every service.
        #[arg(value_parser = clap::builder::PossibleValuesParser::new(crate::serve::service_names()))]
        services: Vec<String>,
        /// Load a few example records of each service (safe to repeat: nothing is added twice).
        #[arg(long)]
        demo: bool,
    },
    /// Bring the services' databases to this build's schema, then exit (what `serve` does
    /// first): for a migration job before a rollout.
    Migrate {
        /// Services whose databases to migrate; none means every service.
        #[arg(value_parser = clap::builder::PossibleValuesParser::new(crate::serve::service_names()))]
        services: Vec<String>,
    },
    /// Print a bearer token for the API, signed with the gateway's key (development and
    /// operators; people sign in).
    Token(TokenArgs),
    /// The impact report of a period, the records behind a figure, and frozen reports.
    Report(Box<ReportArgs>),
    /// The people who sign in: add, list, disable, grant and revoke roles and
    /// compartments, set passwords. The first admin is made here, on the server's machine.
    #[command(subcommand)]
    Users(UsersCommand),
    /// The audit logs of every service: who wrote what, and who read restricted records.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// The signing keys: list the public key set, or rotate an owner's key.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Record and follow deadlines.
    #[command(subcommand)]
    Deadlines(Box<DeadlinesCommand>),
    /// Record submissions to UN mechanisms and sanctions regimes, and follow their status.
    #[command(subcommand)]
    Submissions(Box<SubmissionsCommand>),
    /// Resolutions we seek to influence: recorded, then tabled, adopted or rejected.
    #[command(subcommand)]
    Resolutions(Box<ResolutionsCommand>),
    /// Amendments we propose to resolutions, and how much of our text was adopted.
    #[command(subcommand)]
    Amendments(Box<AmendmentsCommand>),
    /// Our publications.
    #[command(subcommand)]
    Publications(PublicationsCommand),
    /// Log and find briefings with governments and multilateral bodies.
    #[command(subcommand)]
    Briefings(Box<BriefingsCommand>),
    /// The registry of institutions we brief (ministries, missions, embassies, ...).
    #[command(subcommand)]
    Institutions(InstitutionsCommand),
    /// Import a spreadsheet (CSV) of records: the whole file or nothing.
    #[command(subcommand)]
    Import(ImportCommand),
    /// Calendar files for Outlook, Google Calendar or Thunderbird.
    #[command(subcommand)]
    Calendar(CalendarCommand),
    /// Email reminders: what was planned and sent for each deadline, previews and tests.
    #[command(subcommand)]
    Notifier(NotifierCommand),
    /// The messages written to the mailbox folder when no mail server is configured (the
    /// embedded default): newest first, or one in full.
    Mailbox {
        #[command(subcommand)]
        show: Option<MailboxCommand>,
        /// Where the folder is; default: the configured mailbox, `<data_dir>/mailbox`.
        #[arg(long, global = true)]
        dir: Option<PathBuf>,
        /// At most this many messages.
        #[arg(long, default_value_t = 20)]
        limit: usize,
    },
    /// Back up every service's SQLite database and the signing keys into one archive, with
    /// a manifest of checksums. Safe while the server runs. For PostgreSQL, use pg_dump
    /// per database (ops/README.md).
    Backup {
        /// The archive to write (`.tar.gz`); refused if it exists.
        archive: PathBuf,
    },
    /// Restore a backup made by `advocacy backup`, with the server stopped. Every checksum
    /// is verified before anything changes; the files replaced are kept beside the new
    /// ones, named `*.before-restore-<time>`.
    Restore { archive: PathBuf },
    /// Asks a server over the gRPC health protocol whether it serves: exits 0 if it does
    /// (for container health checks and probes).
    Health {
        /// The server's gRPC address.
        #[arg(long, default_value = "http://127.0.0.1:50051")]
        server: String,
        /// One service's full name (`advocacy.v1.DeadlinesService`); none: the server.
        service: Option<String>,
    },
    /// The reference lists: mechanisms, countries, multilateral bodies.
    Catalog {
        #[command(subcommand)]
        list: CatalogCommand,
        /// Print JSON instead of a table.
        #[arg(long, global = true)]
        json: bool,
    },
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    #[command(subcommand)]
    pub action: Option<ReportAction>,
    /// 2024, 2024-Q2, 2024-04, or whole days 2024-01-01..2024-03-31 (the last day included),
    /// in the organisation's zone.
    #[arg(long, global = true)]
    pub period: Option<String>,
    /// Print CSV instead of a table.
    #[arg(long, global = true, conflicts_with = "json")]
    pub csv: bool,
    #[command(flatten)]
    pub client: ClientArgs,
}

#[derive(Debug, Subcommand)]
pub enum ReportAction {
    /// The records behind one figure, such as `briefings.governments_briefed`.
    Records { figure: String },
    /// Keep the report of --period as it is now, with the records behind each figure.
    Freeze {
        /// Why, for whom: "2024 annual report to donors".
        #[arg(long)]
        reason: String,
    },
    /// Frozen reports; with an id, that report beside today's figures and what changed.
    Frozen { id: Option<String> },
}

#[derive(Debug, Subcommand)]
pub enum UsersCommand {
    /// Add a person. Their password is asked for (twice on a terminal, one line on
    /// standard input otherwise) unless --no-password: then they cannot sign in until one
    /// is set.
    Add {
        email: String,
        #[arg(long)]
        name: String,
        /// staff, manager or admin (repeat or separate with commas).
        #[arg(long = "role", value_delimiter = ',', required = true)]
        roles: Vec<String>,
        /// Compartments of restricted records they may read, such as `sanctions`.
        #[arg(long = "compartment", value_delimiter = ',')]
        compartments: Vec<String>,
        /// Their IANA time zone; default: the organisation's.
        #[arg(long, default_value = "")]
        zone: String,
        /// en or ko.
        #[arg(long, default_value = "en", value_parser = ["en", "ko"])]
        language: String,
        /// Their manager's email, for escalations.
        #[arg(long, default_value = "")]
        manager: String,
        #[arg(long)]
        no_password: bool,
        #[command(flatten)]
        client: ClientArgs,
    },
    /// Everyone who may sign in (with --all, disabled people too).
    List {
        #[arg(long)]
        all: bool,
        #[command(flatten)]
        client: ClientArgs,
    },
    /// Stop a person signing in; their sessions end at once, their access within 15 minutes.
    Disable {
        email: String,
        #[command(flatten)]
        client: ClientArgs,
    },
    /// Let a disabled person sign in again.
    Enable {
        email: String,
        #[command(flatten)]
        client: ClientArgs,
    },
    /// Give roles or compartments.
    Grant {
        email: String,
        #[arg(long = "role", value_delimiter = ',')]
        roles: Vec<String>,
        #[arg(long = "compartment", value_delimiter = ',')]
        compartments: Vec<String>,
        #[command(flatten)]
        client: ClientArgs,
    },
    /// Take roles or compartments away.
    Revoke {
        email: String,
        #[arg(long = "role", value_delimiter = ',')]
        roles: Vec<String>,
        #[arg(long = "compartment", value_delimiter = ',')]
        compartments: Vec<String>,
        #[command(flatten)]
        client: ClientArgs,
    },
    /// Set a person's password (asked for as with `add`); their sessions end.
    Password {
        email: String,
        #[command(flatten)]
        client: ClientArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Entries oldest first: every service's merged by time, or one service's.
    List {
        /// Only this service's log.
        #[arg(long, value_parser = clap::builder::PossibleValuesParser::new(crate::serve::service_names()))]
        service: Option<String>,
        /// Only entries at or after this day (2026-01-31) or instant (RFC 3339).
        #[arg(long)]
        since: Option<String>,
        #[arg(long, default_value_t = 100)]
        limit: usize,
        #[command(flatten)]
        client: ClientArgs,
    },
    /// Checks every service's hash chain; names the first entry that breaks one, and fails.
    Verify {
        #[command(flatten)]
        client: ClientArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Makes each key that is missing (the gateway's and every service's) and changes
    /// nothing else: run once before services that get the keys folder read-only.
    Init,
    /// The public key set: each key's id, owner, when it was made and retired.
    List {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// A new key for `owner` (the gateway, or a service); the old one still verifies for a
    /// day, so tokens signed with it hold until they expire. Makes the first key too.
    Rotate {
        /// Whose key: `gateway` (people's tokens) or a service's name.
        owner: String,
    },
}

#[derive(Debug, Args)]
pub struct TokenArgs {
    /// Whose token: an email address, or a service's name for a system token.
    #[arg(long, default_value = "admin@advocacy.local")]
    pub subject: String,
    /// Roles: staff, manager, admin, or system alone (repeat or separate with commas).
    #[arg(long = "role", value_delimiter = ',', default_values = ["staff"])]
    pub roles: Vec<String>,
    /// Compartments of restricted records this token may read, such as `sanctions`.
    #[arg(long = "compartment", value_delimiter = ',')]
    pub compartments: Vec<String>,
    /// How long the token is valid, in hours.
    #[arg(long, default_value_t = 12)]
    pub hours: i64,
}

/// A server address as people write it: `host:port` means `http://host:port`.
fn server_url(text: &str) -> Result<String, String> {
    let text = text.trim();
    let url = if text.contains("://") { text.to_owned() } else { format!("http://{text}") };
    match url.parse::<tonic::codegen::http::Uri>() {
        Ok(uri) if uri.host().is_some() && matches!(uri.scheme_str(), Some("http" | "https")) => Ok(url),
        _ => Err(format!("{text:?} is not a server address like 127.0.0.1:50051 or http://advocacy.example:50051")),
    }
}

/// How client commands reach the server.
#[derive(Debug, Args, Clone)]
pub struct ClientArgs {
    /// Address of the advocacy gRPC server: http://host:port, or host:port.
    #[arg(long, global = true, env = "ADVOCACY_SERVER", default_value = "http://127.0.0.1:50051", value_parser = server_url)]
    pub server: String,
    /// Bearer token (see `advocacy token`). Without one, a token is made from this
    /// installation's signing key for --as.
    #[arg(long, global = true, env = "ADVOCACY_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// Who you are, when no token is given.
    #[arg(long = "as", global = true, env = "ADVOCACY_USER", default_value = "admin@advocacy.local")]
    pub as_user: String,
    /// Print JSON instead of a table.
    #[arg(long, global = true)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum DeadlinesCommand {
    /// Record a new deadline.
    Add {
        #[command(flatten)]
        client: ClientArgs,
        /// What is due, for example "UPR stakeholder submission (4th cycle)".
        #[arg(long)]
        title: String,
        /// Mechanism code, for example UPR, SR-TORTURE, CRC (see `advocacy catalog mechanisms`).
        #[arg(long)]
        mechanism: String,
        /// Kind: upr-stakeholder-submission, upr-pre-session, special-procedures-call-for-input,
        /// hrc-session, treaty-body, follow-up, other.
        #[arg(long, value_parser = flag::<pb::DeadlineKind>())]
        kind: i32,
        #[command(flatten)]
        due: DueArgs,
        /// Owner's email; repeat for several. Default: you.
        #[arg(long = "owner")]
        owners: Vec<String>,
        /// Reminders before the due time, for example 30d,7d,1d,2h. Default: 30d,7d,1d,2h.
        #[arg(long, value_delimiter = ',')]
        lead: Vec<String>,
        /// Repeat on a schedule: a cron expression such as "0 12 * * MON", in the deadline's zone.
        #[arg(long)]
        cron: Option<String>,
        /// Where the date comes from (a web page of the body).
        #[arg(long)]
        source_url: Option<String>,
        /// When you last checked the date against its source, "2026-11-20T09:00:00Z".
        #[arg(long)]
        verified: Option<String>,
        /// Restrict to a compartment, for example sanctions. Default: internal.
        #[arg(long)]
        restricted: Option<String>,
        /// Mark as public (may appear in external exports).
        #[arg(long, conflicts_with = "restricted")]
        public: bool,
    },
    /// List deadlines, soonest first.
    List {
        #[command(flatten)]
        client: ClientArgs,
        /// open, completed or cancelled (repeat for several). Default: all.
        #[arg(long = "status", value_parser = flag::<pb::DeadlineStatus>())]
        statuses: Vec<i32>,
        #[arg(long)]
        mechanism: Option<String>,
        /// Only deadlines this person owns.
        #[arg(long)]
        owner: Option<String>,
        /// Due at or after this instant, "2027-01-01T00:00:00Z".
        #[arg(long)]
        from: Option<String>,
        /// Due before this instant.
        #[arg(long)]
        to: Option<String>,
        /// How many at most.
        #[arg(long, default_value_t = 50)]
        limit: usize,
    },
    /// Show one deadline in full.
    Show {
        #[command(flatten)]
        client: ClientArgs,
        id: String,
    },
    /// Move a deadline to a new due time.
    Move {
        #[command(flatten)]
        client: ClientArgs,
        id: String,
        #[command(flatten)]
        due: DueArgs,
        /// Why it moved, for example "session postponed".
        #[arg(long, default_value = "")]
        reason: String,
        /// The version you read (see `show`); default: the current one.
        #[arg(long)]
        expected_version: Option<i64>,
    },
    /// Change what a deadline is and who is reminded: only the options given change.
    Edit {
        #[command(flatten)]
        client: ClientArgs,
        id: String,
        #[arg(long)]
        title: Option<String>,
        /// Owner's email; repeat for several. Replaces the owners.
        #[arg(long = "owner")]
        owners: Vec<String>,
        /// Reminders before the due time, for example 30d,7d,1d,2h. Replaces the leads.
        #[arg(long, value_delimiter = ',')]
        lead: Vec<String>,
        /// Where the date comes from; "" removes it.
        #[arg(long)]
        source_url: Option<String>,
        /// When you last checked the date against its source, "2026-11-20T09:00:00Z".
        #[arg(long)]
        verified: Option<String>,
        /// Restrict to a compartment; repeat or separate with commas for a deadline whose
        /// readers need several.
        #[arg(long, value_delimiter = ',', conflicts_with_all = ["public", "internal"])]
        restricted: Vec<String>,
        /// Make it public.
        #[arg(long, conflicts_with = "internal")]
        public: bool,
        /// Make it internal (every member of staff).
        #[arg(long)]
        internal: bool,
        /// The version you read (see `show`); default: the current one.
        #[arg(long)]
        expected_version: Option<i64>,
    },
    /// Mark a deadline done (recurring ones move on to their next occurrence).
    Complete {
        #[command(flatten)]
        client: ClientArgs,
        id: String,
        /// When it was done, "2027-03-27T15:00:00Z"; default: now.
        #[arg(long)]
        at: Option<String>,
        /// The version you read (see `show`); default: the current one.
        #[arg(long)]
        expected_version: Option<i64>,
    },
    /// Cancel a deadline that no longer applies.
    Cancel {
        #[command(flatten)]
        client: ClientArgs,
        id: String,
        #[arg(long, default_value = "")]
        reason: String,
        /// The version you read (see `show`); default: the current one.
        #[arg(long)]
        expected_version: Option<i64>,
    },
    /// Show the change feed the services follow: every change after a revision; --follow
    /// keeps watching. For operators: it needs a system token (`advocacy token --role system`).
    Changes {
        #[command(flatten)]
        client: ClientArgs,
        #[arg(long, default_value_t = 0)]
        after: i64,
        #[arg(long)]
        follow: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum SubmissionsCommand {
    /// Record a submission (a draft unless --status says otherwise).
    Add {
        #[command(flatten)]
        client: ClientArgs,
        #[arg(long)]
        title: String,
        /// Mechanism or regime code, such as UPR, SR-TORTURE, CRC, SANCTIONS-UK.
        #[arg(long)]
        mechanism: String,
        /// What it is.
        #[arg(long, value_parser = flag::<pb::SubmissionKind>())]
        kind: i32,
        /// The country concerned (ISO code such as KP).
        #[arg(long)]
        country: String,
        /// A partner organisation of a joint submission; repeat for several.
        #[arg(long = "partner")]
        partners: Vec<String>,
        /// The deadline it answers (see `advocacy deadlines list`); submitting completes it.
        #[arg(long)]
        deadline: Option<String>,
        /// Where the document is.
        #[arg(long)]
        url: Option<String>,
        /// The document file: its SHA-256 is recorded, so what was sent can be proven later.
        #[arg(long)]
        file: Option<PathBuf>,
        /// Number of words, checked against the mechanism's rule (UPR: 2,815 alone).
        #[arg(long, default_value_t = 0)]
        words: i32,
        #[arg(long = "theme")]
        themes: Vec<String>,
        /// draft (default) or submitted, if it has already gone.
        #[arg(long, value_parser = flag::<pb::SubmissionStatus>())]
        status: Option<i32>,
        /// When it reached --status, for one sent before it is recorded: "2026-03-01".
        #[arg(long, requires = "status")]
        at: Option<String>,
        /// A publication the submission draws on (its id); repeat for several.
        #[arg(long = "evidence")]
        evidence: Vec<String>,
        /// Restrict to a compartment. Sanctions packages are restricted to "sanctions" anyway.
        #[arg(long)]
        restricted: Option<String>,
    },
    /// List submissions, newest first.
    List {
        #[command(flatten)]
        client: ClientArgs,
        #[arg(long)]
        mechanism: Option<String>,
        #[arg(long, value_parser = flag::<pb::SubmissionStatus>())]
        status: Option<i32>,
        #[arg(long)]
        country: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: usize,
    },
    /// Show one submission with its history.
    Show {
        #[command(flatten)]
        client: ClientArgs,
        id: String,
    },
    /// Change what a submission says; only the flags given change. A document that has
    /// gone out stays as it was sent.
    Edit {
        #[command(flatten)]
        client: ClientArgs,
        id: String,
        #[arg(long)]
        title: Option<String>,
        #[arg(long)]
        url: Option<String>,
        /// The final document: its SHA-256 is recorded.
        #[arg(long)]
        file: Option<PathBuf>,
        #[arg(long)]
        words: Option<i32>,
        /// Partner organisations (replace the list; repeat for several).
        #[arg(long = "partner")]
        partners: Vec<String>,
        /// Themes (replace the list).
        #[arg(long = "theme")]
        themes: Vec<String>,
        /// Publications cited (replace the list).
        #[arg(long = "evidence")]
        evidence: Vec<String>,
    },
    /// Record a step: submitted, acknowledged, published, cited or withdrawn.
    Status {
        #[command(flatten)]
        client: ClientArgs,
        id: String,
        #[arg(value_parser = flag::<pb::SubmissionStatus>())]
        status: i32,
        /// When it happened, "2027-03-29T10:00:00Z"; default now.
        #[arg(long)]
        at: Option<String>,
        #[arg(long, default_value = "")]
        note: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum ResolutionsCommand {
    /// Record a resolution, for example --body UN-HRC --session "HRC 58".
    Add {
        #[command(flatten)]
        client: ClientArgs,
        /// UN-HRC, UN-GA3, EU-EP, or a country code for a national parliament.
        #[arg(long)]
        body: String,
        #[arg(long)]
        session: String,
        #[arg(long)]
        title: String,
        /// Its document symbol, such as A/HRC/58/L.21.
        #[arg(long, default_value = "")]
        symbol: String,
    },
    /// List resolutions, by body and session.
    List {
        #[command(flatten)]
        client: ClientArgs,
        #[arg(long)]
        body: Option<String>,
        #[arg(long)]
        session: Option<String>,
    },
    /// Record what became of a resolution: tabled, adopted (when, and the vote) or rejected.
    Outcome {
        #[command(flatten)]
        client: ClientArgs,
        resolution: String,
        state: String,
        /// For adopted: the date, "2026-04-04" (default: today).
        #[arg(long)]
        adopted_on: Option<String>,
        /// The vote as yes,no,abstentions, such as 30,3,14.
        #[arg(long, conflicts_with = "without_vote")]
        vote: Option<String>,
        /// Adopted by consensus.
        #[arg(long)]
        without_vote: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum AmendmentsCommand {
    /// Propose an amendment to a resolution.
    Propose {
        #[command(flatten)]
        client: ClientArgs,
        resolution: String,
        /// preambular (pp) or operative (op).
        #[arg(long, value_parser = flag::<pb::ParagraphKind>())]
        paragraph: i32,
        /// The paragraph number.
        #[arg(long)]
        number: i32,
        /// Our text.
        #[arg(long)]
        text: String,
        #[arg(long, default_value = "")]
        rationale: String,
        /// A delegation lobbied (country or body code); repeat for several.
        #[arg(long = "lobbied")]
        lobbied: Vec<String>,
        /// A publication the amendment rests on (its id); repeat for several.
        #[arg(long = "evidence")]
        evidence: Vec<String>,
        /// Restrict to a compartment, for quiet diplomacy. Default: internal.
        #[arg(long)]
        restricted: Option<String>,
    },
    /// Record what became of an amendment: tabled, adopted, adopted-in-part (with
    /// --adopted-text), rejected or withdrawn. Shows how much of our text was kept.
    Outcome {
        #[command(flatten)]
        client: ClientArgs,
        amendment: String,
        #[arg(value_parser = flag::<pb::AmendmentStatus>())]
        outcome: i32,
        #[arg(long, default_value = "")]
        adopted_text: String,
    },
    /// Change an amendment still under negotiation; only the flags given change.
    Edit {
        #[command(flatten)]
        client: ClientArgs,
        amendment: String,
        /// preambular (pp) or operative (op).
        #[arg(long, value_parser = flag::<pb::ParagraphKind>())]
        paragraph: Option<i32>,
        #[arg(long)]
        number: Option<i32>,
        /// Our text as it now reads.
        #[arg(long)]
        text: Option<String>,
        #[arg(long)]
        rationale: Option<String>,
        /// A delegation lobbied since (country or body code), added to those before.
        #[arg(long = "lobbied")]
        lobbied: Vec<String>,
        /// A publication it now also rests on, added to those before.
        #[arg(long = "evidence")]
        evidence: Vec<String>,
    },
    /// The amendments to a resolution, with how much of our text each kept.
    List {
        #[command(flatten)]
        client: ClientArgs,
        resolution: String,
    },
    /// One amendment, with our text marked where the adopted text differs.
    Show {
        #[command(flatten)]
        client: ClientArgs,
        amendment: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum PublicationsCommand {
    /// Record a publication.
    Add {
        #[command(flatten)]
        client: ClientArgs,
        #[arg(long)]
        title: String,
        /// What it is.
        #[arg(long, value_parser = flag::<pb::PublicationKind>())]
        kind: i32,
        /// For a report contracted by a government: its country code.
        #[arg(long, default_value = "")]
        contracted_by: String,
        /// Publication date, "2026-06-01".
        #[arg(long)]
        published: String,
        #[arg(long, default_value = "")]
        url: String,
        /// Restrict to a compartment (an embargoed report). Default: public.
        #[arg(long)]
        restricted: Option<String>,
    },
    /// List publications, newest first.
    List {
        #[command(flatten)]
        client: ClientArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Past briefings, one per row.
    ///
    /// Columns (first row): date, zone, format, actor,
    /// institution, institution_kind, and optionally city, institution_city, themes,
    /// asks, attendees (lists separated by ;), summary, outcome. Institutions are matched
    /// by actor and name, or created. Importing the same file again adds nothing.
    Briefings {
        #[command(flatten)]
        client: ClientArgs,
        file: PathBuf,
    },
    /// Past submissions, one per row.
    ///
    /// Columns (first row): title, mechanism, kind,
    /// country, and optionally partners (separated by ;), status, status_on (the date it
    /// reached that status, counted then in impact reports), document_url,
    /// document_sha256, word_count, themes, evidence (publication ids), restricted (a
    /// compartment). Importing the same file again adds nothing.
    Submissions {
        #[command(flatten)]
        client: ClientArgs,
        file: PathBuf,
    },
    /// Past amendments, one per row.
    ///
    /// Columns (first row): body, session, resolution (its
    /// title), paragraph (preambular or operative), number, proposed_text, and optionally
    /// symbol, proposed_on (a date), rationale, lobbied (codes separated by ;), evidence (publication ids),
    /// status (tabled, adopted, adopted-in-part, rejected, withdrawn), adopted_text,
    /// restricted (a compartment). Resolutions are matched by body, session and title, or
    /// created. Importing the same file again adds nothing.
    Amendments {
        #[command(flatten)]
        client: ClientArgs,
        file: PathBuf,
    },
    /// Past publications, one per row.
    ///
    /// Columns (first row): title, kind, published (a
    /// date like 2026-06-01), and optionally contracted_by (the country of a report a
    /// government contracted), url, restricted (a compartment). Importing the same file
    /// again adds nothing.
    Publications {
        #[command(flatten)]
        client: ClientArgs,
        file: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum InstitutionsCommand {
    /// Register an institution.
    Add {
        #[command(flatten)]
        client: ClientArgs,
        /// Its name, for example "Permanent Mission of Switzerland".
        #[arg(long)]
        name: String,
        /// What it is (a permanent mission may be written "mission").
        #[arg(long, value_parser = flag::<pb::InstitutionKind>())]
        kind: i32,
        /// The government (country code such as CH) or body (such as EU-EEAS) it belongs to.
        #[arg(long)]
        actor: String,
        #[arg(long, default_value = "")]
        city: String,
    },
    /// List institutions, by name.
    List {
        #[command(flatten)]
        client: ClientArgs,
        /// Only this government's or body's institutions.
        #[arg(long)]
        actor: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum BriefingsCommand {
    /// Log a briefing. Missing details are asked for when run in a terminal.
    Log {
        #[command(flatten)]
        client: ClientArgs,
        /// When it took place, "2027-03-02 10:00", in --zone.
        #[arg(long)]
        at: Option<String>,
        /// Time zone of the place, such as Europe/Zurich or Asia/Seoul.
        #[arg(long)]
        zone: Option<String>,
        /// City, or nothing when online.
        #[arg(long)]
        city: Option<String>,
        /// How it took place ("online" means virtual); asked when not given.
        #[arg(long, value_parser = flag::<pb::BriefingFormat>())]
        format: Option<i32>,
        /// Institution briefed, by id or by name (a part of it is enough); repeat for several.
        #[arg(long = "institution")]
        institutions: Vec<String>,
        /// Theme; repeat for several.
        #[arg(long = "theme")]
        themes: Vec<String>,
        /// What we asked for; repeat for several.
        #[arg(long = "ask")]
        asks: Vec<String>,
        #[arg(long)]
        summary: Option<String>,
        #[arg(long)]
        outcome: Option<String>,
        /// A follow-up: "what to do|2027-03-09 17:00" or "what|when|owner@example.org".
        #[arg(long = "follow-up")]
        follow_ups: Vec<String>,
        /// Quiet diplomacy: never in external exports.
        #[arg(long)]
        quiet: bool,
    },
    /// List briefings, newest first.
    List {
        #[command(flatten)]
        client: ClientArgs,
        /// Only briefings of this government or body.
        #[arg(long)]
        actor: Option<String>,
        #[arg(long)]
        theme: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: usize,
    },
    /// Show one briefing in full.
    Show {
        #[command(flatten)]
        client: ClientArgs,
        id: String,
    },
    /// Mark a follow-up done (its deadline is completed too).
    Done {
        #[command(flatten)]
        client: ClientArgs,
        briefing: String,
        follow_up: String,
    },
    /// Impact figures for a period: governments and bodies briefed, formats, places, follow-ups.
    Figures {
        #[command(flatten)]
        client: ClientArgs,
        /// First day of the period, "2027-01-01", in the organisation's zone
        /// (ADVOCACY_ORGANISATION_ZONE).
        #[arg(long)]
        from: String,
        /// The day after the period, "2028-01-01".
        #[arg(long)]
        to: String,
    },
}

/// When something is due: local time in the body's zone, or an instant in UTC.
#[derive(Debug, Args, Clone)]
pub struct DueArgs {
    /// Date and time as the body states it, "2027-03-28 12:00", read in --zone.
    #[arg(long, required_unless_present = "due_utc")]
    pub due: Option<String>,
    /// Time zone of the body, for example Europe/Zurich. Default: the mechanism's seat
    /// for a new deadline, the deadline's own zone for a move.
    #[arg(long)]
    pub zone: Option<String>,
    /// The instant in UTC instead, "2027-03-28T10:00:00Z".
    #[arg(long, conflicts_with = "due")]
    pub due_utc: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum CalendarCommand {
    /// Write open deadlines as an .ics file.
    Export {
        #[command(flatten)]
        client: ClientArgs,
        /// Only this person's deadlines. Default: every deadline you may see.
        #[arg(long)]
        owner: Option<String>,
        /// Only this deadline.
        #[arg(long, conflicts_with = "owner")]
        deadline: Option<String>,
        /// File to write; default: standard output.
        #[arg(long, short)]
        output: Option<PathBuf>,
        /// How far ahead recurring deadlines are listed, in days.
        #[arg(long, default_value_t = 365)]
        horizon_days: i32,
    },
}

#[derive(Debug, Subcommand)]
pub enum NotifierCommand {
    /// Reminders, escalations and digests, latest first: to whom, when, and what happened.
    Deliveries {
        #[command(flatten)]
        client: ClientArgs,
        /// Only this deadline's.
        #[arg(long)]
        deadline: Option<String>,
        /// Only those to this address.
        #[arg(long)]
        recipient: Option<String>,
        /// Only those in this state.
        #[arg(long, value_parser = crate::words::flag::<pb::DeliveryState>())]
        state: Option<i32>,
        /// Only those due to go out on or after this day (in the organisation's zone).
        #[arg(long)]
        from: Option<String>,
        /// Only those due to go out before this day.
        #[arg(long)]
        to: Option<String>,
        #[arg(long, default_value_t = 100)]
        limit: usize,
    },
    /// Everything planned for one deadline, sent or not.
    Plan {
        #[command(flatten)]
        client: ClientArgs,
        deadline: String,
    },
    /// The reminder a deadline's owners would get, without sending it.
    Preview {
        #[command(flatten)]
        client: ClientArgs,
        deadline: String,
        /// The lead time (30d, 7d, 2h); default: the deadline's first.
        #[arg(long)]
        lead: Option<String>,
        /// en or ko; default: the recipient's.
        #[arg(long)]
        language: Option<String>,
        /// Whose zone and language; default: the first owner.
        #[arg(long)]
        recipient: Option<String>,
        /// Print the HTML body instead of the text.
        #[arg(long)]
        html: bool,
    },
    /// Send a test message now, to check that mail reaches someone (admins).
    Test {
        #[command(flatten)]
        client: ClientArgs,
        recipient: String,
    },
    /// Send a failed delivery again.
    Retry {
        #[command(flatten)]
        client: ClientArgs,
        delivery: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum MailboxCommand {
    /// One message in full: its headers and its text (1 is the newest).
    Show { number: usize },
}

#[derive(Debug, Subcommand)]
pub enum CatalogCommand {
    /// UN mechanisms and national regimes, with their codes and time zones.
    Mechanisms,
    /// Countries by ISO 3166-1 code.
    Countries,
    /// Multilateral bodies by code.
    Bodies,
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_well_formed() {
        super::Cli::command().debug_assert();
    }
}
