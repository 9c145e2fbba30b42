//! A spreadsheet of past records as a client imports it: read and checked here first
//! (every bad cell named by line and column), then streamed to its service, which checks
//! every row again and writes the file in one transaction. The one reader the command
//! line and the web pages share.

use std::cell::RefCell;
use std::collections::BTreeSet;

use sha2::{Digest, Sha256};
use tonic_types::StatusExt;

use advocacy_proto::v1 as pb;
use advocacy_proto::v1::briefings_service_client::BriefingsServiceClient;
use advocacy_proto::v1::submissions_service_client::SubmissionsServiceClient;

use crate::classification::restricted_to;
use crate::client::AuthedChannel;
use crate::time::parse_date;
use crate::words;

/// What a spreadsheet holds, one kind of record per file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Briefings,
    Submissions,
    Amendments,
    Publications,
}

impl Kind {
    pub const ALL: [Kind; 4] = [Kind::Briefings, Kind::Submissions, Kind::Amendments, Kind::Publications];

    /// The kind's name, as the command line and the pages say it.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Briefings => "briefings",
            Kind::Submissions => "submissions",
            Kind::Amendments => "amendments",
            Kind::Publications => "publications",
        }
    }

    pub fn parse(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// What else an import of the kind matches or makes: institutions (briefings) or
    /// resolutions (amendments).
    pub fn also_records(self) -> Option<&'static str> {
        match self {
            Kind::Briefings => Some("institutions"),
            Kind::Amendments => Some("resolutions"),
            Kind::Submissions | Kind::Publications => None,
        }
    }

    /// The service that imports it.
    pub fn service(self) -> &'static str {
        match self {
            Kind::Briefings => "briefings",
            _ => "submissions",
        }
    }

    /// The columns a file must have, and those it may have.
    pub fn columns(self) -> (&'static [&'static str], &'static [&'static str]) {
        match self {
            Kind::Briefings => (
                &["date", "zone", "format", "actor", "institution", "institution_kind"],
                &["city", "institution_city", "themes", "asks", "attendees", "summary", "outcome"],
            ),
            Kind::Submissions => (
                &["title", "mechanism", "kind", "country"],
                &[
                    "partners",
                    "status",
                    "status_on",
                    "document_url",
                    "document_sha256",
                    "word_count",
                    "themes",
                    "evidence",
                    "restricted",
                ],
            ),
            Kind::Amendments => (
                &["body", "session", "resolution", "paragraph", "number", "proposed_text"],
                &["symbol", "proposed_on", "rationale", "lobbied", "evidence", "status", "adopted_text", "restricted"],
            ),
            Kind::Publications => (&["title", "kind", "published"], &["contracted_by", "url", "restricted"]),
        }
    }
}

/// A problem of a file, by line (0 for one of the whole file).
pub type Problem = (i32, String);

/// Why nothing was imported.
#[derive(Debug)]
pub enum Refused {
    /// The file's problems, the file's own and the service's, by line: fix them in one pass.
    Problems(Vec<Problem>),
    /// The call failed for another reason (the service is down, the person may not import).
    Failed(tonic::Status),
}

/// What an import wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Imported {
    pub rows: usize,
    pub written: i32,
    /// Rows written by an earlier import of the same file, left as they are.
    pub before: i32,
    /// Institutions (briefings) or resolutions (amendments) found already recorded, and
    /// those made for the file.
    pub matched: i32,
    pub created: i32,
    /// Words read as another ("mission" as permanent-mission), once each.
    pub read_as: Vec<String>,
}

/// A file read and each row turned into its request, with every problem found.
#[derive(Debug)]
pub struct Checked {
    rows: Rows,
    problems: Vec<Problem>,
    read_as: Vec<String>,
}

#[derive(Debug)]
enum Rows {
    Briefings(Vec<pb::ImportBriefingRow>),
    Submissions(Vec<pb::ImportSubmissionRow>),
    Amendments(Vec<pb::ImportAmendmentRow>),
    Publications(Vec<pb::ImportPublicationRow>),
}

/// Reads `bytes` as a CSV file of `kind`: refused only when the header row is wrong (every
/// other problem is kept, to be listed with the service's).
pub fn read(kind: Kind, bytes: &[u8]) -> Result<Checked, Refused> {
    let sheet = Sheet::read(bytes, kind.columns())?;
    Ok(match kind {
        Kind::Briefings => sheet.map(briefing_row, Rows::Briefings),
        Kind::Submissions => sheet.map(submission_row, Rows::Submissions),
        Kind::Amendments => sheet.map(amendment_row, Rows::Amendments),
        Kind::Publications => sheet.map(publication_row, Rows::Publications),
    })
}

impl Checked {
    /// How many rows the file has that could be read.
    pub fn rows(&self) -> usize {
        match &self.rows {
            Rows::Briefings(r) => r.len(),
            Rows::Submissions(r) => r.len(),
            Rows::Amendments(r) => r.len(),
            Rows::Publications(r) => r.len(),
        }
    }

    /// Streams the rows to their service on `channel` (to the service of the file's kind),
    /// telling `sent` how many have gone. A file with problems of its own is sent to be
    /// checked only, and nothing is written: the service's problems join the file's.
    pub async fn send(
        self,
        channel: AuthedChannel,
        sent: impl FnMut(usize) + Send + 'static,
    ) -> Result<Imported, Refused> {
        let sent: Counter = Box::new(sent);
        let total = self.rows();
        let Checked { rows, mut problems, read_as } = self;
        let check_only = !problems.is_empty();
        let answer = match rows {
            Rows::Briefings(rows) => BriefingsServiceClient::new(channel)
                .import_briefings(request(rows, check_only, sent))
                .await
                .map(|r| r.into_inner())
                .map(|r| (r.briefings, r.already_imported, r.institutions_matched, r.institutions_created)),
            Rows::Submissions(rows) => SubmissionsServiceClient::new(channel)
                .import_submissions(request(rows, check_only, sent))
                .await
                .map(|r| r.into_inner())
                .map(|r| (r.submissions, r.already_imported, 0, 0)),
            Rows::Amendments(rows) => SubmissionsServiceClient::new(channel)
                .import_amendments(request(rows, check_only, sent))
                .await
                .map(|r| r.into_inner())
                .map(|r| (r.amendments, r.already_imported, r.resolutions_matched, r.resolutions_created)),
            Rows::Publications(rows) => SubmissionsServiceClient::new(channel)
                .import_publications(request(rows, check_only, sent))
                .await
                .map(|r| r.into_inner())
                .map(|r| (r.publications, r.already_imported, 0, 0)),
        };
        match answer {
            Ok((written, before, matched, created)) if !check_only => {
                return Ok(Imported { rows: total, written, before, matched, created, read_as });
            }
            Ok(_) => {}
            Err(status) => match status.get_details_bad_request() {
                Some(bad) => {
                    problems.extend(bad.field_violations.iter().map(|v| server_problem(&v.field, &v.description)))
                }
                None => return Err(Refused::Failed(status)),
            },
        }
        problems.sort_by_key(|(line, _)| *line);
        Err(Refused::Problems(problems))
    }
}

/// Told how many rows have gone.
type Counter = Box<dyn FnMut(usize) + Send>;

/// The rows as the import call streams them, telling `sent` as each goes.
fn request<T: Send + Unpin + 'static>(rows: Vec<T>, check_only: bool, sent: Counter) -> tonic::Request<Counted<T>> {
    let mut request = tonic::Request::new(Counted { rows: rows.into_iter(), count: 0, sent });
    if check_only {
        request.metadata_mut().insert(super::CHECK_ONLY, tonic::metadata::MetadataValue::from_static("true"));
    }
    request
}

/// Rows as a stream that counts them as they go.
struct Counted<T> {
    rows: std::vec::IntoIter<T>,
    count: usize,
    sent: Counter,
}

impl<T: Unpin> tokio_stream::Stream for Counted<T> {
    type Item = T;

    fn poll_next(mut self: std::pin::Pin<&mut Self>, _: &mut std::task::Context<'_>) -> std::task::Poll<Option<T>> {
        let row = self.rows.next();
        if row.is_some() {
            self.count += 1;
            let count = self.count;
            (self.sent)(count);
        }
        std::task::Poll::Ready(row)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.rows.size_hint()
    }
}

/// A service's violation "line 17: at.local" as "line 17, column date: ...".
fn server_problem(field: &str, description: &str) -> Problem {
    let (line, field) = field.split_once(": ").unwrap_or(("", field));
    let number = line.trim_start_matches("line ").parse().unwrap_or(i32::MAX);
    (number, format!("{line}, column {}: {description}", column_of(field)))
}

/// The file's column a request field came from.
fn column_of(field: &str) -> &str {
    let head = field.split(['.', '[']).next().unwrap_or(field);
    match head {
        "at" if field.ends_with(".zone") => "zone",
        "at" => "date",
        "institution" if field.ends_with(".actor") => "actor",
        "institution" if field.ends_with(".kind") => "institution_kind",
        "institution" if field.ends_with(".city") => "institution_city",
        "institution" => "institution",
        "resolution" if field == "resolution.title" => "resolution",
        "resolution" => field.trim_start_matches("resolution."),
        "paragraph_kind" => "paragraph",
        "paragraph_number" => "number",
        "published_on" => "published",
        "classification" => "restricted",
        other => other,
    }
}

/// A spreadsheet read and checked for its columns: each data row by its line.
struct Sheet {
    /// Stable for the file's content: request ids derive from it and the line, so
    /// importing the same file again adds nothing.
    file_id: String,
    /// The header row's names, lower case, in their columns' order.
    headers: Vec<String>,
    /// Each row compactly (one buffer per row), by its line.
    records: Vec<(i32, csv::StringRecord)>,
    errors: Vec<String>,
    /// Words read as another, once each ("mission" as permanent-mission).
    read_as: RefCell<BTreeSet<String>>,
}

impl Sheet {
    fn read(bytes: &[u8], (required, optional): (&[&str], &[&str])) -> Result<Sheet, Refused> {
        let file_id = hex::encode(&Sha256::digest(bytes)[..8]);
        let mut reader = csv::ReaderBuilder::new().flexible(false).trim(csv::Trim::All).from_reader(bytes);
        let header = |problem: String| Refused::Problems(vec![(1, format!("line 1: {problem}"))]);
        let headers: Vec<String> = reader
            .headers()
            .map_err(|e| header(format!("the header row cannot be read: {e}")))?
            .iter()
            .map(|h| h.to_lowercase())
            .collect();
        let missing: Vec<&str> = required.iter().copied().filter(|c| !headers.iter().any(|h| h == c)).collect();
        let unknown: Vec<&String> =
            headers.iter().filter(|h| !required.contains(&h.as_str()) && !optional.contains(&h.as_str())).collect();
        if !missing.is_empty() || !unknown.is_empty() {
            return Err(header(format!(
                "the header row needs the columns {}{}; it may also have {}",
                missing.join(", "),
                if unknown.is_empty() { String::new() } else { format!(" and has unknown columns {unknown:?}") },
                optional.join(", ")
            )));
        }
        let (mut records, mut errors) = (Vec::new(), Vec::new());
        for record in reader.records() {
            // The service takes no more in one import: the rest is not read at all.
            if records.len() + errors.len() == super::MAX_ROWS {
                return Err(Refused::Problems(vec![(
                    0,
                    format!("at most {} rows in one import: split the file", super::MAX_ROWS),
                )]));
            }
            match record {
                Ok(record) => records.push((record.position().map_or(0, |p| p.line()) as i32, record)),
                Err(e) => errors.push(format!("line {}: {e}", e.position().map_or(0, |p| p.line()))),
            }
        }
        Ok(Sheet { file_id, headers, records, errors, read_as: Default::default() })
    }

    /// The rows `row` makes of the file's lines, and every problem found, by line.
    fn map<T>(self, row: impl Fn(&str, i32, &Cells) -> Result<T, Vec<String>>, rows: fn(Vec<T>) -> Rows) -> Checked {
        let mut problems: Vec<Problem> = self.errors.into_iter().map(|e| (0, e)).collect();
        let mut made = Vec::new();
        for (line, cells) in &self.records {
            match row(&self.file_id, *line, &Cells { headers: &self.headers, row: cells, read_as: &self.read_as }) {
                Ok(r) => made.push(r),
                Err(found) => problems.extend(found.into_iter().map(|e| (*line, format!("line {line}, column {e}")))),
            }
        }
        Checked { rows: rows(made), problems, read_as: self.read_as.into_inner().into_iter().collect() }
    }
}

/// Every problem of one row, each "column: what is wrong", so a file is fixed in one pass.
#[derive(Debug, Default)]
struct RowProblems(Vec<String>);

impl RowProblems {
    fn check<T: Default>(&mut self, cell: Result<T, String>) -> T {
        cell.unwrap_or_else(|e| {
            self.0.push(e);
            T::default()
        })
    }

    /// The row, if no cell was wrong.
    fn or<T>(self, row: T) -> Result<T, Vec<String>> {
        if self.0.is_empty() { Ok(row) } else { Err(self.0) }
    }
}

struct Cells<'a> {
    headers: &'a [String],
    row: &'a csv::StringRecord,
    read_as: &'a RefCell<BTreeSet<String>>,
}

impl Cells<'_> {
    fn get(&self, name: &str) -> String {
        let column = self.headers.iter().position(|h| h == name);
        column.and_then(|c| self.row.get(c)).unwrap_or_default().to_owned()
    }

    /// A list cell: entries separated by ";".
    fn list(&self, name: &str) -> Vec<String> {
        self.get(name).split(';').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect()
    }

    /// The "restricted" cell: a compartment, or empty for the record's default.
    fn classification(&self) -> Option<pb::Classification> {
        Some(self.get("restricted")).filter(|c| !c.is_empty()).map(|c| restricted_to(&c))
    }

    /// A date cell ("2026-06-01", read as midnight UTC), or None when empty.
    fn date(&self, name: &str) -> Result<Option<prost_types::Timestamp>, String> {
        let text = self.get(name);
        if text.is_empty() {
            return Ok(None);
        }
        parse_date(&text).map(Some).ok_or_else(|| format!("{name}: {text:?} is not a date like 2026-06-01"))
    }

    /// A cell that names a value of `E`, in any of the words it is known by. A word read
    /// as another ("mission" as permanent-mission) is noted, to be said once for the file.
    fn choice<E: words::Word>(&self, name: &str) -> Result<E, String> {
        let typed = self.get(name);
        let value = words::parse::<E>(&typed).map_err(|e| format!("{name}: {e}"))?;
        let word = words::word(value);
        if typed.trim().to_lowercase().replace('_', "-") != word {
            self.read_as.borrow_mut().insert(format!("column {name}: {:?} was read as {word}", typed.trim()));
        }
        Ok(value)
    }
}

fn briefing_row(file_id: &str, line: i32, cells: &Cells) -> Result<pb::ImportBriefingRow, Vec<String>> {
    let mut bad = RowProblems::default();
    let format = bad.check(cells.choice::<pb::BriefingFormat>("format"));
    let kind = bad.check(cells.choice::<pb::InstitutionKind>("institution_kind"));
    bad.or(pb::ImportBriefingRow {
        line,
        request_id: format!("import:{file_id}:{line}"),
        institution: Some(pb::ImportedInstitution {
            actor: cells.get("actor"),
            name: cells.get("institution"),
            kind: kind.into(),
            city: cells.get("institution_city"),
        }),
        briefing: Some(pb::LogBriefingRequest {
            at: Some(pb::WhenInput {
                at: Some(pb::when_input::At::Local(cells.get("date").replace(' ', "T"))),
                zone: cells.get("zone"),
            }),
            city: cells.get("city"),
            format: format.into(),
            themes: cells.list("themes"),
            asks: cells.list("asks"),
            attendees: cells.list("attendees"),
            summary: cells.get("summary"),
            outcome: cells.get("outcome"),
            ..Default::default()
        }),
    })
}

fn submission_row(file_id: &str, line: i32, cells: &Cells) -> Result<pb::ImportSubmissionRow, Vec<String>> {
    let mut bad = RowProblems::default();
    let kind = bad.check(cells.choice::<pb::SubmissionKind>("kind"));
    let status = match cells.get("status").as_str() {
        "" => 0,
        _ => bad.check(cells.choice::<pb::SubmissionStatus>("status").map(i32::from)),
    };
    let word_count = match cells.get("word_count").as_str() {
        "" => 0,
        n => bad.check(n.parse().map_err(|_| format!("word_count: {n:?} is not a number"))),
    };
    let status_at = bad.check(cells.date("status_on"));
    bad.or(pb::ImportSubmissionRow {
        line,
        submission: Some(pb::CreateSubmissionRequest {
            request_id: format!("import:{file_id}:{line}"),
            title: cells.get("title"),
            mechanism: cells.get("mechanism"),
            kind: kind.into(),
            country: cells.get("country"),
            partners: cells.list("partners"),
            document_url: cells.get("document_url"),
            document_sha256: cells.get("document_sha256"),
            word_count,
            themes: cells.list("themes"),
            evidence: cells.list("evidence"),
            classification: cells.classification(),
            status,
            status_at,
            ..Default::default()
        }),
    })
}

fn amendment_row(file_id: &str, line: i32, cells: &Cells) -> Result<pb::ImportAmendmentRow, Vec<String>> {
    let mut bad = RowProblems::default();
    let paragraph_kind = bad.check(cells.choice::<pb::ParagraphKind>("paragraph"));
    let number = cells.get("number");
    let paragraph_number =
        bad.check(number.parse().map_err(|_| format!("number: {number:?} is not a paragraph number")));
    let status = match cells.get("status").as_str() {
        "" => 0,
        _ => bad.check(cells.choice::<pb::AmendmentStatus>("status").map(i32::from)),
    };
    let proposed_on = bad.check(cells.date("proposed_on"));
    bad.or(pb::ImportAmendmentRow {
        line,
        resolution: Some(pb::ImportedResolution {
            body: cells.get("body"),
            session: cells.get("session"),
            title: cells.get("resolution"),
            symbol: cells.get("symbol"),
        }),
        amendment: Some(pb::ProposeAmendmentRequest {
            request_id: format!("import:{file_id}:{line}"),
            resolution_id: String::new(),
            paragraph_kind: paragraph_kind.into(),
            paragraph_number,
            proposed_text: cells.get("proposed_text"),
            rationale: cells.get("rationale"),
            evidence: cells.list("evidence"),
            lobbied: cells.list("lobbied"),
            classification: cells.classification(),
        }),
        status,
        adopted_text: cells.get("adopted_text"),
        proposed_on,
    })
}

fn publication_row(file_id: &str, line: i32, cells: &Cells) -> Result<pb::ImportPublicationRow, Vec<String>> {
    let mut bad = RowProblems::default();
    let kind = bad.check(cells.choice::<pb::PublicationKind>("kind"));
    let published_on =
        bad.check(cells.date("published").and_then(|d| d.ok_or_else(|| "published: is required".to_owned())).map(Some));
    bad.or(pb::ImportPublicationRow {
        line,
        publication: Some(pb::CreatePublicationRequest {
            request_id: format!("import:{file_id}:{line}"),
            title: cells.get("title"),
            kind: kind.into(),
            contracted_by: cells.get("contracted_by"),
            published_on,
            url: cells.get("url"),
            classification: cells.classification(),
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bad_cell_is_named_by_line_and_column_and_words_read_as_others_once() {
        let file = "date,zone,format,actor,institution,institution_kind\n\
                    2019-01-02 10:00,Europe/Zurich,in-person,CH,Mission of Switzerland,mission\n\
                    2019-01-03 10:00,Europe/Zurich,telepathy,CH,Mission of Switzerland,mission\n\
                    2019-01-04 10:00,Europe/Zurich,online,CH,Mission of Switzerland,castle\n";
        let checked = read(Kind::Briefings, file.as_bytes()).expect("the header is right");
        assert_eq!(checked.rows(), 1, "only the good row is a request");
        let lines: Vec<i32> = checked.problems.iter().map(|(line, _)| *line).collect();
        assert_eq!(lines, [3, 4]);
        assert!(checked.problems[0].1.starts_with("line 3, column format: \"telepathy\" is not one of"));
        assert!(checked.problems[1].1.starts_with("line 4, column institution_kind: \"castle\""));
        let notes = [
            "column format: \"online\" was read as virtual",
            "column institution_kind: \"mission\" was read as permanent-mission",
        ];
        assert_eq!(checked.read_as, notes, "each once, though \"mission\" is in three rows");
    }

    #[test]
    fn a_wrong_header_row_is_refused_whole() {
        let Err(Refused::Problems(problems)) = read(Kind::Publications, b"title,kind,colour\n") else {
            panic!("refused")
        };
        assert_eq!(problems.len(), 1);
        assert!(problems[0].1.starts_with("line 1: the header row needs the columns published"), "{problems:?}");
        assert!(problems[0].1.contains("unknown columns [\"colour\"]"), "{problems:?}");
    }

    #[test]
    fn a_file_saved_by_a_spreadsheet_with_a_byte_order_mark_reads_as_any_other() {
        let file = "\u{feff}title,kind,published\nAnnual report,brief,2024-03-01\n";
        let checked = read(Kind::Publications, file.as_bytes()).expect("the header is right");
        assert_eq!((checked.rows(), checked.problems.len()), (1, 0), "{:?}", checked.problems);
    }

    #[test]
    fn a_file_past_the_services_limit_is_refused_before_its_rows_are_kept() {
        let mut file = String::from("title,kind,published\n");
        for _ in 0..=crate::import::MAX_ROWS {
            file.push_str("r,brief,2024-03-01\n");
        }
        let Err(Refused::Problems(problems)) = read(Kind::Publications, file.as_bytes()) else { panic!("refused") };
        assert!(problems[0].1.starts_with("at most 200000 rows in one import"), "{problems:?}");
    }

    #[test]
    fn service_fields_are_named_by_the_files_columns() {
        assert_eq!(server_problem("line 17: at.zone", "is unknown").1, "line 17, column zone: is unknown");
        assert_eq!(server_problem("line 9: paragraph_number", "x").1, "line 9, column number: x");
        assert_eq!(server_problem("rows", "too many").0, i32::MAX, "a problem of no line goes last");
    }
}
