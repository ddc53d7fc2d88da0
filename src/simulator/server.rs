//! The HTTP side of the simulator: the endpoints of API.md, bearer auth, the rate limit, injected faults
//! and self-logging.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::extract::{ConnectInfo, FromRequestParts, Query, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use rand::RngExt;
use serde_json::json;
use uuid::Uuid;

use super::limiter::retry_after_secs;
use super::log::{SeedQuery, array_body};
use super::{LatestShape, RequestRecord, SERVICE_USER, Shared};

/// How far back `/search` may look.
const SEARCH_REACH_SECS: i64 = 365 * 86_400;
/// How many entries the older `/latest` answered with.
const OLD_LATEST_COUNT: usize = 100;

pub fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/api/v1/logs/audit", get(page))
        .route("/api/v1/logs/audit/latest", get(latest))
        .route("/api/v1/logs/audit/earliest", get(earliest))
        .route("/api/v1/logs/audit/search", get(search))
        // Some of the API's pages write the path with a trailing slash: a server may answer either.
        .route("/api/v1/logs/audit/search/", get(search))
        .route("/api/whoami", get(whoami))
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(shared.clone(), record))
        .with_state(shared)
}

/// Everything a handler needs to know about the call.
struct Call {
    shared: Arc<Shared>,
    peer: SocketAddr,
    headers: HeaderMap,
    uri: Uri,
    params: HashMap<String, String>,
}

impl FromRequestParts<Arc<Shared>> for Call {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        shared: &Arc<Shared>,
    ) -> Result<Self, Self::Rejection> {
        let ConnectInfo(peer) = ConnectInfo::<SocketAddr>::from_request_parts(parts, shared)
            .await
            .map_err(IntoResponse::into_response)?;
        let Query(params) = Query::<HashMap<String, String>>::from_request_parts(parts, shared)
            .await
            .map_err(|_| error(StatusCode::BAD_REQUEST, "Malformed query string"))?;
        Ok(Call {
            shared: shared.clone(),
            peer,
            headers: parts.headers.clone(),
            uri: parts.uri.clone(),
            params,
        })
    }
}

#[derive(Debug, Clone, Copy)]
enum Endpoint {
    Page,
    Latest,
    Earliest,
    Search,
}

async fn page(call: Call) -> Response {
    audit(call, Endpoint::Page).await
}

async fn latest(call: Call) -> Response {
    audit(call, Endpoint::Latest).await
}

async fn earliest(call: Call) -> Response {
    audit(call, Endpoint::Earliest).await
}

async fn search(call: Call) -> Response {
    audit(call, Endpoint::Search).await
}

fn error(status: StatusCode, message: &str) -> Response {
    (status, axum::Json(json!({ "error": message }))).into_response()
}

fn json_body(body: String) -> Response {
    (
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body,
    )
        .into_response()
}

/// Who is calling, by token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Caller {
    /// The service user with audit-log permission.
    Auditor,
    /// A token that is valid but lacks the permission.
    Limited,
}

fn authenticate(shared: &Shared, headers: &HeaderMap) -> Option<Caller> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let token = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))?
        .trim();
    if token == shared.config.accept_token {
        Some(Caller::Auditor)
    } else if shared.config.limited_token.as_deref() == Some(token) {
        Some(Caller::Limited)
    } else {
        None
    }
}

const UNAUTHORIZED: &str = "Unauthorized";

async fn audit(call: Call, endpoint: Endpoint) -> Response {
    let shared = &call.shared;
    match authenticate(shared, &call.headers) {
        None => return error(StatusCode::UNAUTHORIZED, UNAUTHORIZED),
        Some(Caller::Limited) => {
            return error(
                StatusCode::FORBIDDEN,
                "Forbidden: audit logs require Territory admin or Organization admin permission",
            );
        }
        Some(Caller::Auditor) => {}
    }
    let admitted = shared
        .limiter
        .lock()
        .expect("limiter")
        .admit(Instant::now());
    if let Err(wait) = admitted {
        let mut response = error(StatusCode::TOO_MANY_REQUESTS, "Rate limit exceeded");
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, retry_after_secs(wait).into());
        return response;
    }
    let (fail, slow, broken) = {
        let mut guard = shared.faults.lock().expect("faults");
        let (faults, rng) = &mut *guard;
        let mut roll = |rate: f64| rate > 0.0 && rng.random_bool(rate.min(1.0));
        (
            roll(faults.error_rate),
            roll(faults.slow_rate),
            roll(faults.broken_body_rate),
        )
    };
    if slow {
        tokio::time::sleep(shared.config.slow_delay).await;
    }
    if fail {
        return error(StatusCode::INTERNAL_SERVER_ERROR, "Unexpected server error");
    }
    let answer = answer(&call, endpoint);
    // The API logs the call after answering it: the answer never holds its own fetch entry.
    let route = call
        .uri
        .path_and_query()
        .map(|pq| pq.as_str().to_owned())
        .unwrap_or_else(|| call.uri.path().to_owned());
    let user_agent = call
        .headers
        .get(header::USER_AGENT)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .unwrap_or_default();
    shared.world.lock().expect("world").append_self_log(
        &route,
        &call.peer.ip().to_string(),
        &user_agent,
    );
    match answer {
        Ok(body) if broken => json_body(truncate_half(body)),
        Ok(body) => json_body(body),
        Err((status, message)) => error(status, message),
    }
}

/// The body cut in the middle: never valid JSON, as when a proxy drops a connection mid-answer.
fn truncate_half(mut body: String) -> String {
    let mut cut = body.len() / 2;
    while !body.is_char_boundary(cut) {
        cut -= 1;
    }
    body.truncate(cut.max(1));
    body
}

fn log_type(params: &HashMap<String, String>) -> Option<&str> {
    params
        .get("log_type")
        .map(String::as_str)
        .filter(|k| !k.is_empty())
}

/// A refusal: the status and the `error` text.
type Refusal = (StatusCode, &'static str);

fn answer(call: &Call, endpoint: Endpoint) -> Result<String, Refusal> {
    let kind = log_type(&call.params);
    let bad = |message: &'static str| (StatusCode::BAD_REQUEST, message);
    let nothing = || (StatusCode::NOT_FOUND, "No audit log entries found");
    let world = call.shared.world.lock().expect("world");
    let log = &world.log;
    let seed = match endpoint {
        Endpoint::Page => {
            let from = call
                .params
                .get("from")
                .ok_or_else(|| bad("Missing required parameter: from"))?;
            let from =
                Uuid::parse_str(from).map_err(|_| bad("Invalid parameter: from must be a UUID"))?;
            let take = call
                .params
                .get("take")
                .ok_or_else(|| bad("Missing required parameter: take"))?;
            let take = take
                .parse::<usize>()
                .ok()
                .filter(|t| (1..=1000).contains(t))
                .ok_or_else(|| {
                    bad("Invalid parameter: take must be an integer between 1 and 1000")
                })?;
            return Ok(array_body(log.page(from, take, kind)));
        }
        Endpoint::Latest if call.shared.config.latest_shape == LatestShape::BareArray => {
            let newest = log.newest(OLD_LATEST_COUNT, kind);
            if newest.is_empty() {
                return Err(nothing());
            }
            return Ok(array_body(newest));
        }
        Endpoint::Latest => SeedQuery::Latest,
        Endpoint::Earliest => SeedQuery::Earliest,
        Endpoint::Search => {
            let time = call
                .params
                .get("time")
                .ok_or_else(|| bad("Missing required parameter: time"))?;
            let time = time.trim().parse::<i64>().map_err(|_| {
                bad("Invalid parameter: time must be a UTC epoch timestamp in seconds")
            })?;
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap_or(Duration::ZERO)
                .as_secs() as i64;
            if time < now - SEARCH_REACH_SECS {
                return Err(bad("Invalid parameter: time must be within the last year"));
            }
            SeedQuery::AtOrAfter(time.saturating_mul(1_000_000_000))
        }
    };
    match log.seed(seed, kind) {
        Some(entry) => Ok(format!("{{\"log\":{}}}", entry.json)),
        None => Err(nothing()),
    }
}

async fn whoami(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    let body = match authenticate(&shared, &headers) {
        None => return error(StatusCode::UNAUTHORIZED, UNAUTHORIZED),
        Some(Caller::Auditor) => json!({
            "id": "usr_svc_7f3a2c",
            "email": SERVICE_USER,
            "name": "Audit log integration",
            "type": "service_user",
            "role": "Organization admin",
            "workspace": "Hartwell Lane LLP (simulated)",
        }),
        Some(Caller::Limited) => json!({
            "id": "usr_svc_19be04",
            "email": "drafting-bot@hartwell-lane.example",
            "name": "Drafting integration",
            "type": "service_user",
            "role": "Member",
            "workspace": "Hartwell Lane LLP (simulated)",
        }),
    };
    json_body(body.to_string())
}

async fn not_found() -> Response {
    error(StatusCode::NOT_FOUND, "Not found")
}

/// Records every request served, for tests that check the pace of a client.
async fn record(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    let at = Instant::now();
    let path = request
        .uri()
        .path_and_query()
        .map(|pq| pq.as_str().to_owned())
        .unwrap_or_default();
    let response = next.run(request).await;
    shared
        .requests
        .lock()
        .expect("requests")
        .push(RequestRecord {
            at,
            path,
            status: response.status().as_u16(),
        });
    response
}
