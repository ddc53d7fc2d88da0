//! The Harvey Audit Log API client: one HTTP attempt per call, typed errors.
//!
//! Retry scheduling belongs to the caller (the poller paces itself against the rate limit); [`backoff`]
//! holds the delay policy and a small helper for one-shot callers.

pub mod backoff;
mod error;

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use reqwest::StatusCode;
use reqwest::header::{self, HeaderMap, HeaderValue};
use uuid::Uuid;

pub use self::error::ApiError;
use self::error::{describe_transport, parse_retry_after, server_text};
pub use crate::config::{ConfigError, Token};
use crate::entry::{self, Batch, BodyError};

/// The most entries one page may ask for.
pub const MAX_TAKE: u16 = 1000;

/// The largest answer read: a full page of large entries is a few megabytes; a body past this is not
/// an answer the API gives, and reading it whole could exhaust memory.
pub const MAX_BODY_BYTES: usize = 64 * 1024 * 1024;

/// The default request timeout.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// How to build a [`Client`].
#[derive(Debug, Clone)]
pub struct ClientOptions {
    pub base_url: String,
    pub token: Token,
    /// Defaults to `auditui/<version>`.
    pub user_agent: Option<String>,
    /// For the whole request, body included.
    pub timeout: Duration,
}

impl ClientOptions {
    /// Options for a resolved connection, with the default user agent and timeout.
    pub fn from_connection(connection: &crate::config::Connection) -> ClientOptions {
        ClientOptions {
            base_url: connection.base_url.clone(),
            token: connection.token.clone(),
            user_agent: None,
            timeout: DEFAULT_TIMEOUT,
        }
    }
}

/// The user agent sent when none is given.
pub fn default_user_agent() -> String {
    format!("auditui/{}", env!("CARGO_PKG_VERSION"))
}

/// A handle on the API. Cloning is cheap: clones share one connection pool.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    inner: Arc<Inner>,
}

struct Inner {
    base_url: String,
    token: Token,
    /// The last `Date` header seen, with the local time it arrived: how far apart the clocks are.
    server_date: std::sync::Mutex<Option<ServerDate>>,
    /// Rate-limit headers were logged once already (at info; later ones at debug).
    limits_logged: std::sync::atomic::AtomicBool,
}

/// The server's clock as of one answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerDate {
    /// What the server's `Date` header said (whole seconds).
    pub server: SystemTime,
    /// The local time the answer arrived.
    pub local: SystemTime,
}

impl ServerDate {
    /// How far the local clock is ahead of the server's (negative: behind), in seconds. The header has
    /// whole seconds, so a second either way means nothing.
    pub fn local_ahead_secs(&self) -> f64 {
        match self.local.duration_since(self.server) {
            Ok(ahead) => ahead.as_secs_f64(),
            Err(behind) => -behind.duration().as_secs_f64(),
        }
    }
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.inner.base_url)
            .finish_non_exhaustive()
    }
}

/// Which seed endpoint to call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Seed {
    Latest,
    Earliest,
    Search(i64),
}

impl Client {
    pub fn new(options: ClientOptions) -> Result<Client, ConfigError> {
        let base_url = crate::config::validate_base_url(&options.base_url)?;
        let mut auth = HeaderValue::from_str(&format!("Bearer {}", options.token.expose()))
            .map_err(|_| ConfigError::MalformedToken)?;
        auth.set_sensitive(true);
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, auth);
        headers.insert(header::ACCEPT, HeaderValue::from_static("application/json"));
        let user_agent = options.user_agent.unwrap_or_else(default_user_agent);
        let mut builder = reqwest::Client::builder();
        // Plain http is allowed to loopback only; a proxy from the environment would carry the
        // token across the network in clear. (https through a proxy stays end-to-end encrypted.)
        if base_url.starts_with("http://") {
            builder = builder.no_proxy();
        }
        let http = builder
            .default_headers(headers)
            .user_agent(user_agent)
            .timeout(options.timeout)
            .connect_timeout(options.timeout.min(Duration::from_secs(10)))
            // A redirect could carry the token elsewhere or down to http: treat it as an error instead.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|err| ConfigError::HttpClient(describe_transport(&err)))?;
        Ok(Client {
            http,
            inner: Arc::new(Inner {
                base_url,
                token: options.token,
                server_date: std::sync::Mutex::new(None),
                limits_logged: std::sync::atomic::AtomicBool::new(false),
            }),
        })
    }

    /// The server's clock as of the last answer that had a `Date` header.
    pub fn last_server_date(&self) -> Option<ServerDate> {
        *self.inner.server_date.lock().expect("server date")
    }

    /// The base URL calls go to.
    pub fn base_url(&self) -> &str {
        &self.inner.base_url
    }

    /// Entries with ids strictly greater than `from`, ascending, at most `take` (1..=1000).
    pub async fn page(
        &self,
        from: Uuid,
        take: u16,
        log_type: Option<&str>,
    ) -> Result<Batch, ApiError> {
        if !(1..=MAX_TAKE).contains(&take) {
            return Err(ApiError::BadRequest(format!(
                "take must be between 1 and {MAX_TAKE}, not {take}"
            )));
        }
        let mut query = vec![("from", from.to_string()), ("take", take.to_string())];
        push_log_type(&mut query, log_type);
        let body = self.get_ok("/api/v1/logs/audit", &query).await?;
        entry::parse_page(&body).map_err(|err| self.unusable(err))
    }

    /// The newest entry (or, from older servers, up to 100 recent ones). Empty when there are none yet.
    pub async fn latest(&self, log_type: Option<&str>) -> Result<Batch, ApiError> {
        self.seed(Seed::Latest, log_type).await
    }

    /// The oldest entry. Empty when there are none yet.
    pub async fn earliest(&self, log_type: Option<&str>) -> Result<Batch, ApiError> {
        self.seed(Seed::Earliest, log_type).await
    }

    /// The first entry with a timestamp at or after `time_epoch_secs`. Empty when there is none.
    pub async fn search(
        &self,
        time_epoch_secs: i64,
        log_type: Option<&str>,
    ) -> Result<Batch, ApiError> {
        self.seed(Seed::Search(time_epoch_secs), log_type).await
    }

    /// The service user behind the token: any JSON object is a valid answer.
    pub async fn whoami(&self) -> Result<serde_json::Map<String, serde_json::Value>, ApiError> {
        let body = self.get_ok("/api/whoami", &[]).await?;
        match serde_json::from_str::<serde_json::Value>(&body) {
            Ok(serde_json::Value::Object(map)) => Ok(map),
            Ok(_) => Err(ApiError::BadBody(BodyError {
                expected: "a JSON object",
                detail: "found another JSON value".into(),
            })),
            Err(err) => Err(self.unusable(BodyError {
                expected: "a JSON object",
                detail: err.to_string(),
            })),
        }
    }

    async fn seed(&self, seed: Seed, log_type: Option<&str>) -> Result<Batch, ApiError> {
        let mut query = Vec::new();
        let path = match seed {
            Seed::Latest => "/api/v1/logs/audit/latest",
            Seed::Earliest => "/api/v1/logs/audit/earliest",
            Seed::Search(time) => {
                query.push(("time", time.to_string()));
                "/api/v1/logs/audit/search"
            }
        };
        push_log_type(&mut query, log_type);
        match self.get_ok(path, &query).await {
            Ok(body) => entry::parse_seed(&body).map_err(|err| self.unusable(err)),
            Err(ApiError::Server { status: 404, .. }) => Ok(Batch::default()),
            Err(err) => Err(err),
        }
    }

    /// A body that could not be used. Parse errors quote JSON strings, and a server may echo the
    /// token back in one: it is blanked out.
    fn unusable(&self, err: BodyError) -> ApiError {
        ApiError::BadBody(BodyError {
            detail: err.detail.replace(self.inner.token.expose(), "<redacted>"),
            ..err
        })
    }

    /// One GET; the body of a 200, or the error the answer means.
    async fn get_ok(&self, path: &str, query: &[(&str, String)]) -> Result<String, ApiError> {
        let url = format!("{}{path}", self.inner.base_url);
        let mut response = self
            .http
            .get(&url)
            .query(query)
            .send()
            .await
            .map_err(transport_error)?;
        let status = response.status();
        let local = SystemTime::now();
        if let Some(server) = response
            .headers()
            .get(header::DATE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| chrono::DateTime::parse_from_rfc2822(v).ok())
        {
            let server = SystemTime::from(server.with_timezone(&chrono::Utc));
            *self.inner.server_date.lock().expect("server date") =
                Some(ServerDate { server, local });
        }
        let limits = error::rate_limit_headers(
            response
                .headers()
                .iter()
                .map(|(name, value)| (name.as_str(), value.as_bytes())),
        );
        if !limits.is_empty() {
            let text: Vec<String> = limits.iter().map(|(n, v)| format!("{n}: {v}")).collect();
            // Every answer carries them when the server sends any: the first and each 429 are worth
            // reading in the log; the rest only when asked for.
            if status == StatusCode::TOO_MANY_REQUESTS
                || !self
                    .inner
                    .limits_logged
                    .swap(true, std::sync::atomic::Ordering::Relaxed)
            {
                tracing::info!(
                    "rate-limit headers on {path} ({status}): {}",
                    text.join(", ")
                );
            } else {
                tracing::debug!("rate-limit headers on {path}: {}", text.join(", "));
            }
        }
        let retry_after = response
            .headers()
            .get(header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_retry_after(v, SystemTime::now()));
        let body = read_body(&mut response).await?;
        if status == StatusCode::OK {
            return Ok(body);
        }
        let message = || server_text(&body, self.inner.token.expose());
        Err(match status {
            StatusCode::UNAUTHORIZED => ApiError::Unauthorized,
            StatusCode::FORBIDDEN => ApiError::Forbidden,
            StatusCode::BAD_REQUEST => ApiError::BadRequest(message()),
            StatusCode::TOO_MANY_REQUESTS => ApiError::RateLimited { retry_after },
            other => ApiError::Server {
                status: other.as_u16(),
                message: message(),
            },
        })
    }
}

/// The body as text, refusing one larger than [`MAX_BODY_BYTES`] or not UTF-8.
async fn read_body(response: &mut reqwest::Response) -> Result<String, ApiError> {
    let mut bytes = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(transport_error)? {
        if bytes.len() + chunk.len() > MAX_BODY_BYTES {
            return Err(ApiError::BadBody(BodyError {
                expected: "an answer of reasonable size",
                detail: format!("the body is larger than {} MiB", MAX_BODY_BYTES >> 20),
            }));
        }
        bytes.extend_from_slice(&chunk);
    }
    String::from_utf8(bytes).map_err(|err| {
        ApiError::BadBody(BodyError {
            expected: "UTF-8 text",
            detail: err.utf8_error().to_string(),
        })
    })
}

fn push_log_type(query: &mut Vec<(&str, String)>, log_type: Option<&str>) {
    if let Some(kind) = log_type.filter(|k| !k.is_empty()) {
        query.push(("log_type", kind.to_owned()));
    }
}

fn transport_error(err: reqwest::Error) -> ApiError {
    if err.is_timeout() {
        ApiError::Timeout
    } else {
        ApiError::Network(describe_transport(&err))
    }
}
