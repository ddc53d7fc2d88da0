//! The client against answers the simulator never gives on its own: redirects, bodies that are not UTF-8,
//! HTML error pages, `Retry-After` as a date, servers that echo the token back. Each case is a tiny real
//! HTTP server with one canned answer.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use auditui::client::{ApiError, Client, ClientOptions, Token};
use axum::Router;
use axum::http::{HeaderName, StatusCode};
use axum::response::{IntoResponse, Response};

const TOKEN: &str = "edge-secret-token-42";

struct Canned {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
}

/// Serves `answer` for every path; returns the base URL and a count of requests.
async fn serve(answer: Canned) -> (String, Arc<AtomicUsize>) {
    let hits = Arc::new(AtomicUsize::new(0));
    let answer = Arc::new(answer);
    let counter = hits.clone();
    let app = Router::new().fallback(move || {
        let answer = answer.clone();
        let counter = counter.clone();
        async move {
            counter.fetch_add(1, Ordering::SeqCst);
            let mut response: Response = (
                StatusCode::from_u16(answer.status).unwrap(),
                answer.body.clone(),
            )
                .into_response();
            for (name, value) in &answer.headers {
                response
                    .headers_mut()
                    .insert(HeaderName::from_static(name), value.parse().unwrap());
            }
            response
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://{addr}"), hits)
}

fn client(base_url: &str) -> Client {
    Client::new(ClientOptions {
        base_url: base_url.into(),
        token: Token::new(TOKEN).unwrap(),
        user_agent: None,
        timeout: Duration::from_secs(10),
    })
    .unwrap()
}

/// What a case expects of the error.
type Expect = Box<dyn Fn(&ApiError) -> bool>;

fn canned(status: u16, headers: &[(&'static str, &str)], body: &[u8]) -> Canned {
    Canned {
        status,
        headers: headers.iter().map(|(n, v)| (*n, v.to_string())).collect(),
        body: body.to_vec(),
    }
}

#[tokio::test]
async fn odd_answers_become_the_right_typed_errors() {
    let echo = format!(r#"{{"error": "bad token {TOKEN} in query"}}"#);
    let echo_200 = format!(r#""Bearer {TOKEN}""#);
    let cases: Vec<(&str, Canned, Expect)> = vec![
        (
            "a body that is not UTF-8",
            canned(200, &[], &[0x7b, 0xff, 0xfe, 0x7d]),
            Box::new(|e| matches!(e, ApiError::BadBody(b) if b.expected == "UTF-8 text")),
        ),
        (
            "an HTML page from a proxy",
            canned(200, &[], b"<html><body>Service Unavailable</body></html>"),
            Box::new(|e| matches!(e, ApiError::BadBody(_))),
        ),
        (
            "a 503 with HTML",
            canned(503, &[], b"<html>\x1b[31mdown</html>"),
            Box::new(|e| {
                matches!(e, ApiError::Server { status: 503, message } if message == "<html>\\x1b[31mdown</html>")
                    && e.is_retryable()
            }),
        ),
        (
            "Retry-After as an HTTP date in the past",
            canned(
                429,
                &[("retry-after", "Sun, 06 Nov 1994 08:49:37 GMT")],
                b"{}",
            ),
            Box::new(|e| e.retry_after() == Some(Duration::ZERO)),
        ),
        (
            "429 without Retry-After",
            canned(429, &[], br#"{"error": "Rate limit exceeded"}"#),
            Box::new(|e| matches!(e, ApiError::RateLimited { retry_after: None })),
        ),
        (
            "a 400 that echoes the token",
            canned(400, &[], echo.as_bytes()),
            Box::new(
                |e| matches!(e, ApiError::BadRequest(m) if m == "bad token <redacted> in query"),
            ),
        ),
        (
            "a 200 whose body is the token as a JSON string (quoted by the parse error)",
            canned(200, &[], echo_200.as_bytes()),
            Box::new(|e| matches!(e, ApiError::BadBody(_))),
        ),
        (
            "an unexpected 404 on the page endpoint",
            canned(404, &[], br#"{"error": "Not found"}"#),
            Box::new(|e| matches!(e, ApiError::Server { status: 404, .. }) && !e.is_retryable()),
        ),
    ];
    for (name, answer, expected) in cases {
        let (base, _) = serve(answer).await;
        let err = client(&base)
            .page(uuid::Uuid::nil(), 10, None)
            .await
            .unwrap_err();
        assert!(expected(&err), "{name}: got {err:?}");
        assert!(
            !format!("{err} {err:?}").contains(TOKEN),
            "{name}: leaks the token"
        );
    }
}

#[tokio::test]
async fn redirects_are_not_followed_so_the_token_goes_nowhere_else() {
    let (elsewhere, elsewhere_hits) = serve(canned(200, &[], b"{}")).await;
    let location = format!("{elsewhere}/api/whoami");
    let (base, _) = serve(canned(302, &[("location", &location)], b"")).await;
    let err = client(&base).whoami().await.unwrap_err();
    assert!(
        matches!(err, ApiError::Server { status: 302, .. }),
        "{err:?}"
    );
    assert_eq!(elsewhere_hits.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn whoami_accepts_any_object_and_refuses_anything_else() {
    let (base, _) = serve(canned(200, &[], br#"{"anything": [1, 2]}"#)).await;
    let who = client(&base).whoami().await.unwrap();
    assert_eq!(who["anything"], serde_json::json!([1, 2]));
    for body in [&b"[1]"[..], b"\"text\"", b"{"] {
        let (base, _) = serve(canned(200, &[], body)).await;
        let err = client(&base).whoami().await.unwrap_err();
        assert!(matches!(err, ApiError::BadBody(_)), "{err:?}");
    }
}

#[tokio::test]
async fn the_servers_clock_is_read_from_its_date_header() {
    let (base, _) = serve(canned(
        200,
        &[("date", "Sun, 06 Nov 1994 08:49:37 GMT")],
        b"{}",
    ))
    .await;
    let api = client(&base);
    assert_eq!(api.last_server_date(), None);
    api.whoami().await.unwrap();
    let date = api.last_server_date().expect("the Date header was read");
    let thirty_years = 30.0 * 365.0 * 86_400.0;
    assert!(date.local_ahead_secs() > thirty_years, "{date:?}");
}
