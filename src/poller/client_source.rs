//! The poller on the real API: [`Client`] as an [`AuditSource`], and how this session knows its own
//! fetches when it sees them in the stream.

use serde_json::{Map, Value};
use uuid::Uuid;

use super::schedule::BackoffPolicy;
use super::source::{AuditSource, SourceError};
use super::stream::SelfFilter;
use crate::client::backoff::{Backoff, random_unit};
use crate::client::{ApiError, Client, default_user_agent};
use crate::config::Token;
use crate::entry::Batch;

impl From<ApiError> for SourceError {
    fn from(err: ApiError) -> SourceError {
        let message = err.to_string();
        if !err.is_retryable() {
            let refusal = match err {
                ApiError::Unauthorized => super::source::Refusal::TokenRejected,
                ApiError::Forbidden => super::source::Refusal::PermissionMissing,
                _ => super::source::Refusal::Other,
            };
            return SourceError::refused(refusal, message);
        }
        SourceError {
            fault: super::Fault::Retry {
                retry_after: err.retry_after(),
                rate_limited: matches!(err, ApiError::RateLimited { .. }),
                offline: matches!(err, ApiError::Network(_) | ApiError::Timeout),
            },
            message,
        }
    }
}

impl AuditSource for Client {
    async fn page(
        &self,
        from: Uuid,
        take: u16,
        log_type: Option<&str>,
    ) -> Result<Batch, SourceError> {
        Ok(Client::page(self, from, take, log_type).await?)
    }

    async fn latest(&self, log_type: Option<&str>) -> Result<Batch, SourceError> {
        Ok(Client::latest(self, log_type).await?)
    }

    async fn earliest(&self, log_type: Option<&str>) -> Result<Batch, SourceError> {
        Ok(Client::earliest(self, log_type).await?)
    }

    async fn search(&self, epoch_secs: i64, log_type: Option<&str>) -> Result<Batch, SourceError> {
        Ok(Client::search(self, epoch_secs, log_type).await?)
    }
}

/// A User-Agent unique to this session: the API records it in each fetch entry, which is how the
/// poller tells its own fetches from another integration's (or another auditui's).
pub fn session_agent() -> String {
    format!(
        "{} (session {:016x})",
        default_user_agent(),
        rand::random::<u64>()
    )
}

/// The filter for this session's own fetches: its agent, and the service user behind the token when
/// `whoami` names one (for an API that does not record the agent).
pub async fn identify_self(client: &Client, agent: String) -> SelfFilter {
    identify_self_resuming(client, agent, Vec::new()).await
}

/// As [`identify_self`], also owning the fetches of the earlier run (its agent) that saved the position
/// this session resumes: its last requests are logged after the position it saved.
pub async fn identify_self_resuming(
    client: &Client,
    agent: String,
    earlier: Vec<String>,
) -> SelfFilter {
    let fields = whoami(client).await;
    self_filter(agent, earlier, fields.as_ref())
}

/// As [`identify_self`], also `whoami`'s fields with every field whose value holds `token` left out,
/// for a record that names the service user (an evidence manifest) and must never hold the token.
pub async fn identify(
    client: &Client,
    agent: String,
    token: &Token,
) -> (SelfFilter, Option<Map<String, Value>>) {
    let fields = whoami(client)
        .await
        .map(|fields| without_token(fields, token));
    (self_filter(agent, Vec::new(), fields.as_ref()), fields)
}

async fn whoami(client: &Client) -> Option<Map<String, Value>> {
    client
        .whoami()
        .await
        .inspect_err(|err| {
            tracing::warn!(
                "whoami failed, own fetches recognized by user agent only and no service user named: {err}"
            );
        })
        .ok()
}

fn self_filter(
    agent: String,
    earlier: Vec<String>,
    fields: Option<&Map<String, Value>>,
) -> SelfFilter {
    let user = fields.and_then(|fields| {
        ["email", "user", "username", "user_email"]
            .iter()
            .find_map(|key| fields.get(*key)?.as_str().map(str::to_owned))
    });
    SelfFilter {
        agents: std::iter::once(agent).chain(earlier).collect(),
        user,
    }
}

/// `whoami`'s fields with any value that holds the token left out.
fn without_token(fields: Map<String, Value>, token: &Token) -> Map<String, Value> {
    fields
        .into_iter()
        .filter(|(_, value)| !value.to_string().contains(token.expose()))
        .collect()
}

/// The client's retry-delay policy (exponential, jittered, capped near a minute, Retry-After honoured).
pub fn client_backoff() -> BackoffPolicy {
    let mut backoff = Backoff::default();
    Box::new(move |attempt, retry_after| {
        if attempt <= 1 {
            backoff.reset();
        }
        backoff.next_delay(retry_after, &mut random_unit)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whoami_fields_holding_the_token_are_left_out() {
        let token = Token::new("s3cret-token-value").unwrap();
        let fields =
            serde_json::json!({"email": "svc@x", "echo": {"t": "Bearer s3cret-token-value"}});
        let Value::Object(fields) = fields else {
            unreachable!()
        };
        let kept = without_token(fields, &token);
        assert_eq!(kept.keys().collect::<Vec<_>>(), ["email"]);
        let filter = self_filter("agent".into(), Vec::new(), Some(&kept));
        assert_eq!(filter.user.as_deref(), Some("svc@x"));
    }
    use crate::poller::{Fault, Refusal};

    #[test]
    fn refusals_are_typed_by_the_answer_not_by_its_text() {
        let cases = [
            (ApiError::Unauthorized, Refusal::TokenRejected),
            (ApiError::Forbidden, Refusal::PermissionMissing),
            (
                ApiError::BadRequest("token rejected (401) says the proxy".into()),
                Refusal::Other,
            ),
            (
                ApiError::Server {
                    status: 404,
                    message: "403".into(),
                },
                Refusal::Other,
            ),
        ];
        for (error, refusal) in cases {
            let text = error.to_string();
            let source = SourceError::from(error);
            assert_eq!(source.fault, Fault::Fatal(refusal), "{text}");
            assert_eq!(source.message, text);
        }
    }
}
