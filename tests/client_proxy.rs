//! Plain http:// is allowed only to loopback, where the token crosses no network. A proxy from the
//! environment must not change that: the token would travel in clear to the proxy.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use auditui::client::{Client, ClientOptions};
use auditui::config::Token;
use axum::Router;

/// Answers `{}` to everything; returns its base URL and a count of requests.
async fn counting_server() -> (String, Arc<AtomicUsize>) {
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    let app = Router::new().fallback(move || {
        let counter = counter.clone();
        async move {
            counter.fetch_add(1, Ordering::SeqCst);
            "{}"
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://{addr}"), hits)
}

#[tokio::test]
async fn a_proxy_in_the_environment_is_not_used_for_plain_http_to_loopback() {
    let (api, api_hits) = counting_server().await;
    let (proxy, proxy_hits) = counting_server().await;
    // SAFETY: the only test of this binary, and no other thread reads the environment meanwhile.
    unsafe {
        std::env::set_var("HTTP_PROXY", &proxy);
        std::env::set_var("http_proxy", &proxy);
        std::env::set_var("ALL_PROXY", &proxy);
        std::env::remove_var("NO_PROXY");
        std::env::remove_var("no_proxy");
    }
    let client = Client::new(ClientOptions {
        base_url: api,
        token: Token::new("proxy-test-token").unwrap(),
        user_agent: None,
        timeout: Duration::from_secs(10),
    })
    .unwrap();
    let _ = client.whoami().await;
    assert_eq!(
        proxy_hits.load(Ordering::SeqCst),
        0,
        "the proxy saw the request"
    );
    assert_eq!(api_hits.load(Ordering::SeqCst), 1);
}
