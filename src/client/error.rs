//! What can go wrong with one API call, in words that say what to do next.

use std::time::{Duration, SystemTime};

use crate::entry::BodyError;
use crate::sanitize::clean_truncated;

/// How much of a server-supplied message is kept: it is untrusted and may be huge.
pub const SERVER_TEXT_CHARS: usize = 200;

/// The failure of one API call. No variant holds the token; server text is sanitized and truncated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    #[error("token rejected (401): check HARVEY_API_TOKEN or --token-file")]
    Unauthorized,
    #[error(
        "token lacks audit-log permission (403): either the token was made without the audit log \
         endpoints in its own permission list, or its user is not a Territory admin or Organization \
         admin; make a token with the audit log permission (workspace settings, API Tokens) as an admin"
    )]
    Forbidden,
    #[error("bad request (400): {0}")]
    BadRequest(String),
    #[error("rate limited (429){}", match retry_after {
        Some(d) => format!(": retry after {} s", d.as_secs_f64().ceil()),
        None => String::new(),
    })]
    RateLimited { retry_after: Option<Duration> },
    #[error("server answered {status}: {message}")]
    Server { status: u16, message: String },
    #[error("network error: {0}")]
    Network(String),
    #[error("request timed out")]
    Timeout,
    #[error("unusable answer: {0}")]
    BadBody(#[from] BodyError),
}

impl ApiError {
    /// Whether trying the same call again later may succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            ApiError::RateLimited { .. }
            | ApiError::Network(_)
            | ApiError::Timeout
            | ApiError::BadBody(_) => true,
            ApiError::Server { status, .. } => *status >= 500,
            ApiError::Unauthorized | ApiError::Forbidden | ApiError::BadRequest(_) => false,
        }
    }

    /// How long the server asked us to wait, when it said.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            ApiError::RateLimited { retry_after } => *retry_after,
            _ => None,
        }
    }
}

/// The answer's headers that look like rate-limit information, whatever their names (the API does not
/// document them): `Retry-After` and anything naming a rate limit or a quota. Values are sanitized and
/// cut short, for the log.
pub fn rate_limit_headers<'h>(
    headers: impl IntoIterator<Item = (&'h str, &'h [u8])>,
) -> Vec<(String, String)> {
    headers
        .into_iter()
        .filter(|(name, _)| {
            let name = name.to_ascii_lowercase();
            name == "retry-after"
                || name.contains("ratelimit")
                || name.contains("rate-limit")
                || name.contains("quota")
        })
        .map(|(name, value)| {
            let value = String::from_utf8_lossy(value);
            (
                name.to_owned(),
                crate::sanitize::clean_truncated(&value, 80).into_owned(),
            )
        })
        .collect()
}

/// Parses a `Retry-After` value: delay seconds, or an HTTP date (a date in the past means now).
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    if let Ok(secs) = value.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs));
    }
    let when = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let when = SystemTime::from(when.with_timezone(&chrono::Utc));
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

/// The text of an error body: the `error` field of `{"error": "..."}` when present, else the start of the
/// body. Sanitized, truncated, and with `secret` (the token, if a server echoed it) blanked out.
pub fn server_text(body: &str, secret: &str) -> String {
    let text = match serde_json::from_str::<serde_json::Value>(body) {
        Ok(serde_json::Value::Object(map)) => match map.get("error") {
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(other) => other.to_string(),
            None => body.to_owned(),
        },
        _ => body.to_owned(),
    };
    let text = if secret.is_empty() {
        text
    } else {
        text.replace(secret, "<redacted>")
    };
    let text = text.trim();
    if text.is_empty() {
        return "(no message)".into();
    }
    clean_truncated(text, SERVER_TEXT_CHARS).into_owned()
}

/// A transport failure as a message: the error and its causes, which say what really failed (refused,
/// DNS, TLS), without the URL's query.
pub fn describe_transport(err: &reqwest::Error) -> String {
    let mut text = err.to_string();
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    clean_truncated(&text, 2 * SERVER_TEXT_CHARS).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_limit_headers_are_found_whatever_their_names() {
        let headers: [(&str, &[u8]); 6] = [
            ("X-RateLimit-Remaining", b"12"),
            ("ratelimit-reset", b"30"),
            ("X-Rate-Limit-Limit", b"60"),
            ("Retry-After", b"7"),
            ("Content-Type", b"application/json"),
            ("X-Quota-Used", b"\x1b[2J48"),
        ];
        let found = rate_limit_headers(headers);
        let names: Vec<&str> = found.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "X-RateLimit-Remaining",
                "ratelimit-reset",
                "X-Rate-Limit-Limit",
                "Retry-After",
                "X-Quota-Used"
            ]
        );
        assert!(
            !found[4].1.contains('\u{1b}'),
            "values are sanitized: {:?}",
            found[4].1
        );
    }

    #[test]
    fn retry_after_accepts_seconds_and_http_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_777); // Sun, 06 Nov 1994 08:49:37 GMT
        let cases = [
            ("0", Some(Duration::ZERO)),
            ("17", Some(Duration::from_secs(17))),
            (" 5 ", Some(Duration::from_secs(5))),
            ("1.5", Some(Duration::from_millis(1500))),
            (
                "Sun, 06 Nov 1994 08:50:07 GMT",
                Some(Duration::from_secs(30)),
            ),
            ("Sun, 06 Nov 1994 08:40:00 GMT", Some(Duration::ZERO)),
            ("-3", None),
            ("soon", None),
            ("", None),
        ];
        for (value, expected) in cases {
            assert_eq!(parse_retry_after(value, now), expected, "{value:?}");
        }
    }

    #[test]
    fn server_text_is_extracted_sanitized_truncated_and_redacted() {
        let cases = [
            (
                r#"{"error": "Missing required filters"}"#,
                "Missing required filters",
            ),
            (r#"{"error": "bad\u001b[2J"}"#, "bad\\x1b[2J"),
            (
                r#"{"error": "token tok-123 is bad"}"#,
                "token <redacted> is bad",
            ),
            ("<html>gateway</html>", "<html>gateway</html>"),
            (r#"{"detail": 1}"#, r#"{"detail": 1}"#),
            ("", "(no message)"),
        ];
        for (body, expected) in cases {
            assert_eq!(server_text(body, "tok-123"), expected, "{body}");
        }
        let long = format!(r#"{{"error": "{}"}}"#, "x".repeat(10_000));
        assert_eq!(server_text(&long, "t").chars().count(), SERVER_TEXT_CHARS);
    }

    #[test]
    fn retryable_errors_are_the_transient_ones() {
        let body = BodyError {
            expected: "x",
            detail: "y".into(),
        };
        let cases = [
            (ApiError::Unauthorized, false),
            (ApiError::Forbidden, false),
            (ApiError::BadRequest("x".into()), false),
            (ApiError::RateLimited { retry_after: None }, true),
            (
                ApiError::Server {
                    status: 500,
                    message: String::new(),
                },
                true,
            ),
            (
                ApiError::Server {
                    status: 503,
                    message: String::new(),
                },
                true,
            ),
            (
                ApiError::Server {
                    status: 404,
                    message: String::new(),
                },
                false,
            ),
            (ApiError::Network("refused".into()), true),
            (ApiError::Timeout, true),
            (ApiError::BadBody(body), true),
        ];
        for (err, retryable) in cases {
            assert_eq!(err.is_retryable(), retryable, "{err}");
        }
    }

    #[test]
    fn messages_say_what_to_do() {
        assert!(
            ApiError::Unauthorized
                .to_string()
                .contains("HARVEY_API_TOKEN")
        );
        assert!(
            ApiError::Forbidden
                .to_string()
                .contains("Organization admin")
        );
        let limited = ApiError::RateLimited {
            retry_after: Some(Duration::from_secs(12)),
        };
        assert_eq!(limited.to_string(), "rate limited (429): retry after 12 s");
        assert_eq!(limited.retry_after(), Some(Duration::from_secs(12)));
    }
}
