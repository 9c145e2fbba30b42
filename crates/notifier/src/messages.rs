//! What each email says, in the recipient's language: subjects and bodies from the
//! templates under `templates/<language>/` (plain text and HTML; HTML is escaped), due
//! times in the body's zone and the recipient's, the time left, a link to the record, and
//! the calendar attachment. A restricted deadline's message carries none of its text:
//! its title, mechanism and kind never reach the template.

use std::time::SystemTime;

use chrono::{DateTime, Utc};
use lettre::Message;
use lettre::address::{Address, Envelope};
use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use minijinja::{Environment, context};
use serde::Serialize;

use crate::domain::{Deadline, Purpose};
use advocacy_platform::language::{Language, day, span, when};

use crate::people::Person;

/// A message before it is addressed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    /// Empty for a plain-text message.
    pub html: String,
}

#[derive(Debug)]
pub struct Messages {
    templates: Environment<'static>,
    from: Mailbox,
    public_url: String,
    /// The calendar attachment's type, parsed once rather than for every message.
    calendar_type: ContentType,
}

macro_rules! templates {
    ($env:expr, $($name:literal),* $(,)?) => {
        $(
            $env.add_template(concat!("en/", $name), include_str!(concat!("../templates/en/", $name)))
                .expect(concat!("templates/en/", $name, " parses"));
            $env.add_template(concat!("ko/", $name), include_str!(concat!("../templates/ko/", $name)))
                .expect(concat!("templates/ko/", $name, " parses"));
        )*
    };
}

/// One deadline as a template sees it.
#[derive(Debug, Serialize)]
struct Item {
    restricted: bool,
    /// Empty when restricted.
    title: String,
    mechanism: String,
    due_body: String,
    due_recipient: String,
    left: String,
    overdue: bool,
    follow_up: bool,
    link: String,
}

impl Messages {
    pub fn new(from: Mailbox, public_url: &str) -> Messages {
        let mut env = Environment::new();
        env.set_trim_blocks(true);
        env.set_lstrip_blocks(true);
        templates!(
            env,
            "reminder.subject",
            "reminder.txt",
            "reminder.html",
            "digest.subject",
            "digest.txt",
            "digest.html",
            "test.subject",
            "test.txt",
        );
        let calendar_type =
            ContentType::parse("text/calendar; charset=utf-8; method=PUBLISH").expect("the calendar type parses");
        Messages { templates: env, from, public_url: public_url.trim_end_matches('/').to_owned(), calendar_type }
    }

    /// The domain of the sender, for Message-IDs.
    pub fn domain(&self) -> &str {
        self.from.email.domain()
    }

    fn render(&self, language: Language, name: &str, ctx: &minijinja::Value) -> Result<String, String> {
        let name = format!("{}/{name}", language.code());
        let template = self.templates.get_template(&name).map_err(|e| format!("{name}: {e}"))?;
        template.render(ctx).map_err(|e| format!("{name}: {e}"))
    }

    /// A message's subject (one line), text and, if the message has an HTML template, HTML.
    fn rendered(&self, language: Language, message: &str, ctx: &minijinja::Value) -> Result<Rendered, String> {
        let has_html = self.templates.get_template(&format!("{}/{message}.html", language.code())).is_ok();
        Ok(Rendered {
            subject: one_line(&self.render(language, &format!("{message}.subject"), ctx)?),
            text: self.render(language, &format!("{message}.txt"), ctx)?,
            html: if has_html { self.render(language, &format!("{message}.html"), ctx)? } else { String::new() },
        })
    }

    fn item(&self, d: &Deadline, to: &Person, now: DateTime<Utc>) -> Item {
        let language = to.language;
        let restricted = d.classification.is_restricted();
        // The body's zone says where the record is from: a restricted one shows only the
        // recipient's (UTC when theirs is not known).
        let body_zone = if restricted { to.zone.unwrap_or(chrono_tz::UTC) } else { d.zone };
        let own_zone = to.zone.unwrap_or(body_zone);
        let due_body = when(d.due, body_zone, language);
        Item {
            restricted,
            title: if restricted { String::new() } else { d.title.clone() },
            mechanism: if restricted { String::new() } else { d.mechanism.clone() },
            due_recipient: if own_zone == body_zone { due_body.clone() } else { when(d.due, own_zone, language) },
            due_body,
            left: span(d.due - now, language),
            overdue: d.due <= now,
            follow_up: !restricted && d.kind == advocacy_proto::v1::DeadlineKind::FollowUp,
            link: format!("{}/deadlines/{}", self.public_url, d.id),
        }
    }

    /// A reminder to an owner, or an escalation to a manager.
    pub fn reminder(
        &self,
        d: &Deadline,
        purpose: Purpose,
        catch_up: bool,
        to: &Person,
        now: DateTime<Utc>,
    ) -> Result<Rendered, String> {
        let item = self.item(d, to, now);
        let same_zone = item.restricted || to.zone.is_none_or(|z| z == d.zone);
        // Only an escalation names the owners.
        let escalation = purpose == Purpose::Escalation;
        let owners = if item.restricted || !escalation { Vec::new() } else { d.owners.clone() };
        let ctx = context! {
            d => item,
            escalation,
            catch_up,
            name => to.name,
            same_zone,
            owners,
        };
        self.rendered(to.language, "reminder", &ctx)
    }

    /// A person's weekly digest: what is due in the next four weeks, and what is overdue.
    pub fn digest(&self, deadlines: &[Deadline], to: &Person, now: DateTime<Utc>) -> Result<Rendered, String> {
        let items: Vec<Item> = deadlines.iter().map(|d| self.item(d, to, now)).collect();
        let (overdue, upcoming): (Vec<&Item>, Vec<&Item>) = items.iter().partition(|i| i.overdue);
        let zone = to.zone.unwrap_or(chrono_tz::UTC);
        let ctx = context! {
            name => to.name,
            week => day(now, zone, to.language),
            overdue,
            upcoming,
            link => format!("{}/deadlines", self.public_url),
        };
        self.rendered(to.language, "digest", &ctx)
    }

    pub fn test(&self, to: &Person, now: DateTime<Utc>) -> Result<Rendered, String> {
        let zone = to.zone.unwrap_or(chrono_tz::UTC);
        let ctx = context! { name => to.name, at => when(now, zone, to.language) };
        self.rendered(to.language, "test", &ctx)
    }

    /// The email: addressed, dated by the clock, with the delivery's Message-ID (derived
    /// from its key when it was planned, so a change of `mail.from` leaves the domain of
    /// messages already planned as it was), both bodies and, when given, the calendar
    /// attachment.
    pub fn email(
        &self,
        rendered: Rendered,
        message_id: &str,
        to: &Person,
        now: DateTime<Utc>,
        ics: Option<String>,
    ) -> Result<Message, String> {
        let address: Address = to.email.parse().map_err(|e| format!("recipient {}: {e}", to.email))?;
        let name = (to.name != to.email).then(|| to.name.clone());
        // Given, the envelope is not parsed back out of the headers just written.
        let envelope = Envelope::new(Some(self.from.email.clone()), vec![address.clone()])
            .map_err(|e| format!("recipient {}: {e}", to.email))?;
        let builder = Message::builder()
            .from(self.from.clone())
            .to(Mailbox::new(name, address))
            .envelope(envelope)
            .subject(rendered.subject)
            .message_id(Some(message_id.to_owned()))
            .date(SystemTime::from(now));
        let text = SinglePart::plain(rendered.text);
        let body = if rendered.html.is_empty() {
            MultiPart::mixed().singlepart(text)
        } else {
            MultiPart::alternative().singlepart(text).singlepart(SinglePart::html(rendered.html))
        };
        let body = match ics {
            Some(ics) => MultiPart::mixed()
                .multipart(body)
                .singlepart(Attachment::new("deadline.ics".to_owned()).body(ics, self.calendar_type.clone())),
            None => body,
        };
        builder.multipart(body).map_err(|e| format!("cannot build the message: {e}"))
    }
}

/// Subjects are one line whatever a template or a title holds.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
