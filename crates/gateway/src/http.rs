//! The JSON API on the gateway's HTTP port: the impact report, its drill-downs and frozen
//! reports, and the lists of deadlines, submissions, amendments, briefings and
//! publications. Bearer tokens as over gRPC; each call goes to the gRPC API with the
//! caller's token, so every rule of confidentiality holds. Messages are the protobuf
//! messages in their JSON mapping (field names as in the protos), read and written through
//! the same descriptors the services are built from, and `/api/openapi.json` describes
//! every route from [`ROUTES`] and those descriptors. Reports and drill-downs also come as
//! CSV (`?format=csv`); quiet-diplomacy records never leave in an export.

use std::collections::BTreeMap;

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use chrono::{NaiveDate, TimeZone};
use http::HeaderMap;
use prost::Message;
use prost_reflect::{DescriptorPool, DynamicMessage, Kind, MessageDescriptor, SerializeOptions};
use serde_json::{Value, json};
use tonic::Status;

use advocacy_platform::auth::Authenticator;
use advocacy_platform::client::AuthedChannel;
use advocacy_platform::hosting::Clients;
use advocacy_platform::http::error_response;
use advocacy_platform::{Caller, FieldViolation, FieldViolations, access, limits};
use advocacy_proto::v1 as pb;

use crate::GatewayApi;

/// How a route takes its input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input {
    /// `year`, `quarter`, `month`, or `from` and `to` (dates), plus the request's own fields.
    Period,
    /// The request message's fields as query parameters (`period.start`, repeated keys).
    Query,
    /// The request message as a JSON body.
    Body,
    /// The id in the path.
    Id,
}

/// One route of the API: what the OpenAPI document says of it.
#[derive(Debug, Clone, Copy)]
pub struct Route {
    pub method: &'static str,
    pub path: &'static str,
    pub summary: &'static str,
    pub input: Input,
    pub request: &'static str,
    pub response: &'static str,
    /// Also as CSV with `?format=csv`.
    pub csv: bool,
}

const fn route(
    method: &'static str,
    path: &'static str,
    summary: &'static str,
    input: Input,
    request: &'static str,
    response: &'static str,
    csv: bool,
) -> Route {
    Route { method, path, summary, input, request, response, csv }
}

pub const ROUTES: &[Route] = &[
    route(
        "get",
        "/api/report",
        "The impact report of a period",
        Input::Period,
        "ImpactReportRequest",
        "ImpactReport",
        true,
    ),
    route(
        "get",
        "/api/report/records",
        "The records behind one figure (`figure=`)",
        Input::Period,
        "ListImpactRecordsRequest",
        "ListImpactRecordsResponse",
        true,
    ),
    route(
        "get",
        "/api/frozen",
        "Frozen reports, newest first",
        Input::Query,
        "ListFrozenReportsRequest",
        "ListFrozenReportsResponse",
        false,
    ),
    route(
        "post",
        "/api/frozen",
        "Freeze the report of a period",
        Input::Body,
        "FreezeImpactReportRequest",
        "FrozenReport",
        false,
    ),
    route(
        "get",
        "/api/frozen/{id}",
        "A frozen report beside today's figures",
        Input::Id,
        "GetFrozenReportRequest",
        "FrozenReportComparison",
        false,
    ),
    route("get", "/api/deadlines", "Deadlines", Input::Query, "ListDeadlinesRequest", "ListDeadlinesResponse", false),
    route(
        "get",
        "/api/submissions",
        "Submissions",
        Input::Query,
        "ListSubmissionsRequest",
        "ListSubmissionsResponse",
        false,
    ),
    route(
        "get",
        "/api/amendments",
        "Amendments",
        Input::Query,
        "ListAmendmentsRequest",
        "ListAmendmentsResponse",
        false,
    ),
    route(
        "get",
        "/api/publications",
        "Publications",
        Input::Query,
        "ListPublicationsRequest",
        "ListPublicationsResponse",
        false,
    ),
    route(
        "get",
        "/api/briefings",
        "Briefings (quiet ones are left out)",
        Input::Query,
        "ListBriefingsRequest",
        "ListBriefingsResponse",
        false,
    ),
];

const PACKAGE: &str = "advocacy.v1";

/// What every route of the JSON API holds (the web pages hold it too, for their exports).
#[derive(Debug, Clone)]
pub struct JsonApi {
    api: GatewayApi,
    auth: Authenticator,
    clients: Clients,
    pool: DescriptorPool,
}

type Pairs = Query<Vec<(String, String)>>;

fn invalid(field: &str, description: impl Into<String>) -> Status {
    advocacy_platform::error::to_status(&FieldViolations::from(FieldViolation::new(field, description)))
}

fn wants_csv(pairs: &[(String, String)]) -> bool {
    pairs.iter().any(|(k, v)| k == "format" && v == "csv")
}

/// The HTTP router of the JSON API.
pub fn router(api: GatewayApi, auth: Authenticator, clients: Clients) -> (Router, JsonApi) {
    let pool = DescriptorPool::decode(advocacy_proto::FILE_DESCRIPTOR_SET).expect("our own descriptors decode");
    let state = JsonApi { api, auth, clients, pool };
    let router = Router::new()
        .route("/api/openapi.json", get(openapi))
        .route("/api/report", get(report))
        .route("/api/report/records", get(records))
        .route("/api/frozen", get(list_frozen).post(freeze))
        .route("/api/frozen/{id}", get(frozen))
        .route("/api/deadlines", get(deadlines))
        .route("/api/submissions", get(submissions))
        .route("/api/amendments", get(amendments))
        .route("/api/publications", get(publications))
        .route("/api/briefings", get(briefings))
        .with_state(state.clone());
    (router, state)
}

impl JsonApi {
    fn descriptor(&self, name: &str) -> MessageDescriptor {
        self.pool.get_message_by_name(&format!("{PACKAGE}.{name}")).expect("a message of our protos")
    }

    /// The caller of a request, allowed to call `rpc` of the gateway's table.
    fn caller(&self, headers: &HeaderMap, rpc: &str) -> Result<Caller, Status> {
        let caller = self.auth.caller(headers)?;
        if !access::is_open(crate::ACCESS, rpc)
            && !caller.roles.iter().any(|r| access::allowed(crate::ACCESS, rpc).contains(r))
        {
            return Err(Status::permission_denied(format!("{rpc} is not open to your roles")));
        }
        // Every route here is an export: quiet diplomacy never leaves in one.
        Ok(self.api.for_export(&caller))
    }

    /// `message` in its JSON mapping, with the protos' field names, 64-bit numbers as
    /// numbers, and every field (empty lists too).
    fn json<M: Message>(&self, name: &str, message: &M) -> Value {
        let dynamic = DynamicMessage::decode(self.descriptor(name), message.encode_to_vec().as_slice())
            .expect("a message decodes as its own type");
        let options = SerializeOptions::new()
            .use_proto_field_name(true)
            .stringify_64_bit_integers(false)
            .skip_default_fields(false);
        dynamic.serialize_with_options(serde_json::value::Serializer, &options).unwrap_or(Value::Null)
    }

    /// A request message read from JSON (a body, or query parameters made into JSON).
    fn request<M: Message + Default>(&self, name: &str, value: Value) -> Result<M, Status> {
        let dynamic = DynamicMessage::deserialize(self.descriptor(name), value)
            .map_err(|e| invalid("request", limits::excerpt(&e.to_string(), 200)))?;
        M::decode(dynamic.encode_to_vec().as_slice()).map_err(|e| invalid("request", e.to_string()))
    }

    /// Query parameters as the JSON of message `name`: each key a field (dotted for a field
    /// of a field), a repeated key a list, enum values by their short name (`met_on_time`).
    fn query_json(&self, name: &str, pairs: &[(String, String)], skip: &[&str]) -> Result<Value, Status> {
        let mut object = serde_json::Map::new();
        for (key, text) in pairs.iter().filter(|(k, _)| k != "format" && !skip.contains(&k.as_str())) {
            let mut descriptor = self.descriptor(name);
            let parts: Vec<&str> = key.split('.').collect();
            let mut target = &mut object;
            for (i, part) in parts.iter().enumerate() {
                let field = descriptor
                    .get_field_by_name(part)
                    .ok_or_else(|| invalid(key, "is not a parameter of this route (see /api/openapi.json)"))?;
                if i + 1 < parts.len() {
                    let Kind::Message(inner) = field.kind() else { return Err(invalid(key, "has no parts")) };
                    descriptor = inner;
                    let entry = target.entry(part.to_string()).or_insert_with(|| Value::Object(Default::default()));
                    target = entry.as_object_mut().ok_or_else(|| invalid(key, "is given twice"))?;
                    continue;
                }
                let value = query_value(key, &field.kind(), text)?;
                if field.is_list() {
                    let list = target.entry(part.to_string()).or_insert_with(|| Value::Array(vec![]));
                    list.as_array_mut().ok_or_else(|| invalid(key, "is given twice"))?.push(value);
                } else if target.insert(part.to_string(), value).is_some() {
                    return Err(invalid(key, "is given twice"));
                }
            }
        }
        Ok(Value::Object(object))
    }

    /// The report period of `year=`, `quarter=`, `month=`, or `from=` and `to=` (dates in the
    /// organisation's zone, `to` included).
    fn period(&self, pairs: &[(String, String)]) -> Result<Option<pb::ReportPeriod>, Status> {
        use pb::report_period::Span;
        let get = |k: &str| pairs.iter().find(|(key, _)| key == k).map(|(_, v)| v.as_str());
        let span = match (get("year"), get("quarter"), get("month"), get("from"), get("to")) {
            (Some(year), None, None, None, None) => {
                Span::Year(year.trim().parse().map_err(|_| invalid("year", "is a year such as 2024"))?)
            }
            (None, Some(quarter), None, None, None) => Span::Quarter(quarter.to_owned()),
            (None, None, Some(month), None, None) => Span::Month(month.to_owned()),
            (None, None, None, Some(from), Some(to)) => {
                let zone = self.api.zone();
                let day = |field: &str, text: &str, after: u64| {
                    let date = NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
                        .map_err(|_| invalid(field, "is a date such as 2024-01-31"))?;
                    let date =
                        date.checked_add_days(chrono::Days::new(after)).ok_or_else(|| invalid(field, "is too late"))?;
                    let midnight = date.and_hms_opt(0, 0, 0).and_then(|m| zone.from_local_datetime(&m).earliest());
                    midnight
                        .map(|m| advocacy_platform::time::to_timestamp(m.with_timezone(&chrono::Utc)))
                        .ok_or_else(|| invalid(field, "has no midnight in the organisation's zone"))
                };
                Span::Custom(pb::Period { start: Some(day("from", from, 0)?), end: Some(day("to", to, 1)?) })
            }
            (None, None, None, None, None) => return Ok(None),
            _ => return Err(invalid("period", "give one of year, quarter, month, or from and to")),
        };
        Ok(Some(pb::ReportPeriod { span: Some(span) }))
    }

    fn as_caller(&self, caller: &Caller, service: &str) -> Result<AuthedChannel, Status> {
        self.clients.as_caller(service, caller)
    }
}

/// One query value as the JSON its field's kind takes.
fn query_value(key: &str, kind: &Kind, text: &str) -> Result<Value, Status> {
    Ok(match kind {
        Kind::Bool => Value::Bool(text.parse().map_err(|_| invalid(key, "is true or false"))?),
        Kind::Int32 | Kind::Int64 | Kind::Sint32 | Kind::Sint64 | Kind::Sfixed32 | Kind::Sfixed64 => {
            json!(text.trim().parse::<i64>().map_err(|_| invalid(key, "is a whole number"))?)
        }
        Kind::Uint32 | Kind::Uint64 | Kind::Fixed32 | Kind::Fixed64 => {
            json!(text.trim().parse::<u64>().map_err(|_| invalid(key, "is a whole number"))?)
        }
        Kind::Enum(e) => {
            // `met_on_time` names DEADLINE_OUTCOME_MET_ON_TIME: the prefix the enum's zero value has.
            let prefix =
                e.values().next().map(|v| v.name().trim_end_matches("UNSPECIFIED").to_owned()).unwrap_or_default();
            let full = format!("{prefix}{}", text.trim().to_uppercase());
            let found = e.get_value_by_name(text.trim()).or_else(|| e.get_value_by_name(&full));
            Value::String(
                found
                    .ok_or_else(|| invalid(key, format!("{} is not one of its values", limits::excerpt(text, 40))))?
                    .name()
                    .to_owned(),
            )
        }
        Kind::Message(m) if m.full_name() == "google.protobuf.Timestamp" => {
            let text = text.trim();
            if text.len() == 10 { Value::String(format!("{text}T00:00:00Z")) } else { Value::String(text.to_owned()) }
        }
        _ => Value::String(text.to_owned()),
    })
}

fn answer(result: Result<Response, Status>) -> Response {
    result.unwrap_or_else(|status| error_response(&status))
}

fn csv_response(rows: Vec<Vec<String>>, name: &str) -> Response {
    let mut writer = csv::Writer::from_writer(Vec::new());
    for row in rows {
        let _ = writer.write_record(row);
    }
    let bytes = writer.into_inner().unwrap_or_default();
    (
        [
            (http::header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (http::header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}.csv\"")),
        ],
        bytes,
    )
        .into_response()
}

fn when(ts: &Option<prost_types::Timestamp>) -> String {
    ts.as_ref()
        .and_then(|t| chrono::DateTime::from_timestamp(t.seconds, t.nanos.clamp(0, 999_999_999) as u32))
        .map(|t| t.to_rfc3339())
        .unwrap_or_default()
}

async fn openapi(State(s): State<JsonApi>) -> Json<Value> {
    Json(openapi_document(&s.pool))
}

pub(crate) async fn report(State(s): State<JsonApi>, headers: HeaderMap, Query(pairs): Pairs) -> Response {
    answer(
        async {
            let caller = s.caller(&headers, "GetImpactReport")?;
            let period = s.period(&pairs)?;
            let report = s.api.report(&caller, period.as_ref()).await?;
            if wants_csv(&pairs) {
                let mut rows = vec![vec!["section".into(), "figure".into(), "value".into(), "note".into()]];
                for section in &report.sections {
                    if !section.available {
                        rows.push(vec![
                            section.name.clone(),
                            String::new(),
                            String::new(),
                            format!("unavailable: {}", section.unavailable_reason),
                        ]);
                    }
                    for f in &section.figures {
                        rows.push(vec![section.name.clone(), f.key.clone(), f.value.to_string(), String::new()]);
                    }
                    rows.push(vec![
                        section.name.clone(),
                        "restricted, not shown".into(),
                        section.restricted_not_shown.to_string(),
                        String::new(),
                    ]);
                }
                return Ok(csv_response(rows, &format!("impact-report-{}", report.label.replace(' ', "_"))));
            }
            Ok(Json(s.json("ImpactReport", &report)).into_response())
        }
        .await,
    )
}

pub(crate) async fn records(State(s): State<JsonApi>, headers: HeaderMap, Query(pairs): Pairs) -> Response {
    answer(
        async {
            let caller = s.caller(&headers, "ListImpactRecords")?;
            let period = s.period(&pairs)?;
            let skip = ["year", "quarter", "month", "from", "to"];
            let mut request: pb::ListImpactRecordsRequest =
                s.request("ListImpactRecordsRequest", s.query_json("ListImpactRecordsRequest", &pairs, &skip)?)?;
            request.period = period;
            let mut page = s.api.records(&caller, &request).await?;
            // An export never carries quiet diplomacy.
            page.records.retain(|r| !r.quiet);
            if wants_csv(&pairs) {
                let mut rows = vec![vec!["kind".into(), "id".into(), "title".into(), "at".into()]];
                rows.extend(
                    page.records.iter().map(|r| vec![r.kind.clone(), r.id.clone(), r.title.clone(), when(&r.at)]),
                );
                return Ok(csv_response(rows, &format!("impact-records-{}", request.figure.replace(['/', '.'], "-"))));
            }
            Ok(Json(s.json("ListImpactRecordsResponse", &page)).into_response())
        }
        .await,
    )
}

async fn list_frozen(State(s): State<JsonApi>, headers: HeaderMap) -> Response {
    answer(
        async {
            let caller = s.caller(&headers, "ListFrozenReports")?;
            let reports = s.api.frozen().list(&caller).await.map_err(|e| advocacy_platform::error::to_status(&e))?;
            Ok(Json(s.json("ListFrozenReportsResponse", &pb::ListFrozenReportsResponse { reports })).into_response())
        }
        .await,
    )
}

async fn freeze(State(s): State<JsonApi>, headers: HeaderMap, body: Option<Json<Value>>) -> Response {
    answer(
        async {
            let caller = s.caller(&headers, "FreezeImpactReport")?;
            let Some(Json(body)) = body else { return Err(invalid("body", "is a JSON FreezeImpactReportRequest")) };
            let request: pb::FreezeImpactReportRequest = s.request("FreezeImpactReportRequest", body)?;
            let frozen = s.api.freeze(&caller, &request).await?;
            Ok((http::StatusCode::CREATED, Json(s.json("FrozenReport", &frozen))).into_response())
        }
        .await,
    )
}

async fn frozen(State(s): State<JsonApi>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    answer(
        async {
            let caller = s.caller(&headers, "GetFrozenReport")?;
            let id =
                limits::id("id", &id).map_err(|v| advocacy_platform::error::to_status(&FieldViolations::from(v)))?;
            let compared =
                s.api.frozen().compare(&caller, &id).await.map_err(|e| advocacy_platform::error::to_status(&e))?;
            Ok(Json(s.json("FrozenReportComparison", &compared)).into_response())
        }
        .await,
    )
}

/// A list route: the query as the request, the gRPC list called with the caller's token,
/// and what an export leaves out (`keep`) applied to the page.
macro_rules! list_route {
    ($name:ident, $service:literal, $client:ident, $method:ident, $request:ident, $response:ident $(, |$page:ident| $keep:expr)?) => {
        async fn $name(State(s): State<JsonApi>, headers: HeaderMap, Query(pairs): Pairs) -> Response {
            answer(
                async {
                    let caller = s.api.for_export(&s.auth.caller(&headers)?);
                    let request: pb::$request =
                        s.request(stringify!($request), s.query_json(stringify!($request), &pairs, &[])?)?;
                    let mut client = $client::new(s.as_caller(&caller, $service)?);
                    #[allow(unused_mut)]
                    let mut page = client.$method(request).await?.into_inner();
                    $({
                        let $page = &mut page;
                        $keep;
                    })?
                    Ok(Json(s.json(stringify!($response), &page)).into_response())
                }
                .await,
            )
        }
    };
}

use advocacy_proto::v1::briefings_service_client::BriefingsServiceClient;
use advocacy_proto::v1::deadlines_service_client::DeadlinesServiceClient;
use advocacy_proto::v1::submissions_service_client::SubmissionsServiceClient;

list_route!(
    deadlines,
    "deadlines",
    DeadlinesServiceClient,
    list_deadlines,
    ListDeadlinesRequest,
    ListDeadlinesResponse
);
list_route!(
    submissions,
    "submissions",
    SubmissionsServiceClient,
    list_submissions,
    ListSubmissionsRequest,
    ListSubmissionsResponse
);
list_route!(
    amendments,
    "submissions",
    SubmissionsServiceClient,
    list_amendments,
    ListAmendmentsRequest,
    ListAmendmentsResponse
);
list_route!(
    publications,
    "submissions",
    SubmissionsServiceClient,
    list_publications,
    ListPublicationsRequest,
    ListPublicationsResponse
);
// Quiet diplomacy never leaves in an export.
list_route!(
    briefings,
    "briefings",
    BriefingsServiceClient,
    list_briefings,
    ListBriefingsRequest,
    ListBriefingsResponse,
    |page| page.briefings.retain(|b| !b.quiet)
);

/// The OpenAPI 3.1 document of [`ROUTES`], with a schema for every message they use, read
/// from the protos' descriptors.
pub fn openapi_document(pool: &DescriptorPool) -> Value {
    let mut schemas = BTreeMap::new();
    let mut paths = serde_json::Map::new();
    for r in ROUTES {
        let request = pool.get_message_by_name(&format!("{PACKAGE}.{}", r.request)).expect("a request message");
        schema_of(&request, &mut schemas);
        let response = pool.get_message_by_name(&format!("{PACKAGE}.{}", r.response)).expect("a response message");
        schema_of(&response, &mut schemas);
        let mut parameters: Vec<Value> = Vec::new();
        match r.input {
            Input::Period => {
                for (name, description) in [
                    ("year", "2024"),
                    ("quarter", "2024-Q2"),
                    ("month", "2024-04"),
                    ("from", "first day, 2024-01-01"),
                    ("to", "last day, included"),
                ] {
                    parameters.push(
                        json!({"name": name, "in": "query", "schema": {"type": "string"}, "description": description}),
                    );
                }
                for field in request.fields().filter(|f| f.name() != "period") {
                    parameters.push(json!({"name": field.name(), "in": "query", "schema": field_schema(&field.kind(), field.is_list())}));
                }
            }
            Input::Query => {
                for field in request.fields() {
                    parameters.push(json!({"name": field.name(), "in": "query", "schema": field_schema(&field.kind(), field.is_list())}));
                }
            }
            Input::Id => {
                parameters.push(json!({"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}))
            }
            Input::Body => {}
        }
        if r.csv {
            parameters
                .push(json!({"name": "format", "in": "query", "schema": {"type": "string", "enum": ["json", "csv"]}}));
        }
        let mut content =
            json!({"application/json": {"schema": {"$ref": format!("#/components/schemas/{}", r.response)}}});
        if r.csv {
            content["text/csv"] = json!({"schema": {"type": "string"}});
        }
        let mut operation = json!({
            "summary": r.summary,
            "parameters": parameters,
            "security": [{"bearer": []}],
            "responses": {
                "200": {"description": "OK", "content": content},
                "400": {"description": "A bad field, named", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                "401": {"description": "No valid token"},
                "403": {"description": "The token's roles may not"},
                "503": {"description": "A service did not answer"},
            },
        });
        if r.input == Input::Body {
            operation["requestBody"] = json!({"required": true, "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{}", r.request)}}}});
        }
        let path = paths.entry(r.path.to_owned()).or_insert_with(|| json!({}));
        path[r.method] = operation;
    }
    schemas.insert(
        "Error".to_owned(),
        json!({"type": "object", "properties": {
            "code": {"type": "string"}, "message": {"type": "string"},
            "fields": {"type": "array", "items": {"type": "object", "properties": {"field": {"type": "string"}, "description": {"type": "string"}}}}
        }}),
    );
    json!({
        "openapi": "3.1.0",
        "info": {"title": "Advocacy tracker", "version": env!("CARGO_PKG_VERSION"),
                 "description": "Impact reports, their drill-downs and frozen reports, and the organisation's records, as JSON. Messages follow the protobuf JSON mapping of proto/advocacy/v1 with the protos' field names."},
        "paths": paths,
        "components": {"schemas": schemas, "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}},
    })
}

fn field_schema(kind: &Kind, list: bool) -> Value {
    let one = match kind {
        Kind::Bool => json!({"type": "boolean"}),
        Kind::Int32
        | Kind::Int64
        | Kind::Sint32
        | Kind::Sint64
        | Kind::Sfixed32
        | Kind::Sfixed64
        | Kind::Uint32
        | Kind::Uint64
        | Kind::Fixed32
        | Kind::Fixed64 => json!({"type": "integer"}),
        Kind::Float | Kind::Double => json!({"type": "number"}),
        Kind::String => json!({"type": "string"}),
        Kind::Bytes => json!({"type": "string", "contentEncoding": "base64"}),
        Kind::Enum(e) => json!({"type": "string", "enum": e.values().map(|v| v.name().to_owned()).collect::<Vec<_>>()}),
        Kind::Message(m) if m.full_name() == "google.protobuf.Timestamp" => {
            json!({"type": "string", "format": "date-time"})
        }
        Kind::Message(m) if m.full_name() == "google.protobuf.FieldMask" => json!({"type": "string"}),
        Kind::Message(m) => json!({"$ref": format!("#/components/schemas/{}", m.name())}),
    };
    if list { json!({"type": "array", "items": one}) } else { one }
}

fn schema_of(message: &MessageDescriptor, schemas: &mut BTreeMap<String, Value>) {
    if schemas.contains_key(message.name()) || message.package_name() != PACKAGE {
        return;
    }
    schemas.insert(message.name().to_owned(), Value::Null);
    let mut properties = serde_json::Map::new();
    for field in message.fields() {
        if let Kind::Message(inner) = field.kind() {
            schema_of(&inner, schemas);
        }
        properties.insert(field.name().to_owned(), field_schema(&field.kind(), field.is_list()));
    }
    schemas.insert(message.name().to_owned(), json!({"type": "object", "properties": properties}));
}
