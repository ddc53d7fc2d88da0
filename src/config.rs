//! Where to connect and with which token: the command line, the environment and an optional config file.
//!
//! The command line wins over the environment, which wins over the config file. The token is read from
//! `HARVEY_API_TOKEN` or a file, never from a command-line value (it would show in `ps` and shell
//! history), and it lives in a [`Token`] that cannot be printed by accident.

use std::fmt;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use reqwest::Url;
use serde::Deserialize;

use crate::cli::{ApiArgs, Region};

/// The environment variable that holds the API token.
pub const TOKEN_ENV: &str = "HARVEY_API_TOKEN";

/// An API token. Its `Debug` is redacted and it has no `Display`, so it cannot slip into a log line or an
/// error message; [`Token::expose`] is the one way to read it, for the `Authorization` header.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    /// Takes a token, trimmed of surrounding whitespace (files usually end in a newline) and of a
    /// `Bearer ` prefix pasted along with it.
    pub fn new(text: impl Into<String>) -> Result<Token, ConfigError> {
        let text = text.into();
        let mut trimmed = text.trim();
        if trimmed.len() > 7 && trimmed[..7].eq_ignore_ascii_case("bearer ") {
            trimmed = trimmed[7..].trim_start();
        }
        if trimmed.is_empty() {
            return Err(ConfigError::EmptyToken);
        }
        // A header value cannot hold control characters or non-ASCII bytes; say so without echoing it.
        if !trimmed.bytes().all(|b| b.is_ascii_graphic() || b == b' ') {
            return Err(ConfigError::MalformedToken);
        }
        Ok(Token(trimmed.to_owned()))
    }

    /// The secret itself. Only the HTTP layer should need this.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

/// Everything needed to call the API.
#[derive(Debug, Clone)]
pub struct Connection {
    /// Scheme, host and optional path prefix, without a trailing slash.
    pub base_url: String,
    pub token: Token,
}

/// Why no connection could be set up. No variant ever holds the token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error(
        "no API token: export {TOKEN_ENV}=... or pass --token-file PATH \
         (a token is made under workspace settings, API Tokens); `auditui demo` needs no token"
    )]
    NoToken,
    #[error("the API token is empty: put the token in {TOKEN_ENV} or in the --token-file file")]
    EmptyToken,
    #[error(
        "the API token holds characters a token cannot have (control characters or non-ASCII): \
         check {TOKEN_ENV} or the --token-file file"
    )]
    MalformedToken,
    #[error("cannot read the token file {path}: {reason}")]
    TokenFile { path: PathBuf, reason: String },
    #[error("bad base URL {url:?}: {reason}")]
    BadBaseUrl { url: String, reason: String },
    #[error(
        "refusing plain http:// to {host}: the token would cross the network unencrypted; \
         use https://, or http:// only to a loopback host (127.0.0.1, ::1, localhost)"
    )]
    InsecureHttp { host: String },
    #[error("config file {path}: {reason}")]
    ConfigFile { path: PathBuf, reason: String },
    #[error("cannot set up the HTTP client: {0}")]
    HttpClient(String),
}

/// The optional config file: defaults that the command line and the environment override.
#[derive(Debug, Default, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub region: Option<Region>,
    pub base_url: Option<String>,
    pub token_file: Option<PathBuf>,
    /// Where the TUI's exports go.
    pub export_dir: Option<PathBuf>,
}

/// Where the TUI's exports go when neither `--export-dir` nor the config file says.
pub fn default_export_dir() -> PathBuf {
    dirs::data_dir()
        .unwrap_or_else(std::env::temp_dir)
        .join("auditui")
        .join("exports")
}

/// The export folder: `--export-dir`, else the config file's `export_dir` (`config`: `--config`, else
/// the default file), else [`default_export_dir`].
pub fn export_dir(given: Option<&Path>, config: Option<&Path>) -> Result<PathBuf, ConfigError> {
    if let Some(dir) = given {
        return Ok(dir.to_owned());
    }
    let file = match config {
        Some(path) => read_config(path, true)?,
        None => match default_config_path() {
            Some(path) => read_config(&path, false)?,
            None => FileConfig::default(),
        },
    };
    Ok(file.export_dir.unwrap_or_else(default_export_dir))
}

/// Where the config file is looked for when `--config` is not given.
pub fn default_config_path() -> Option<PathBuf> {
    dirs::config_dir().map(|dir| dir.join("auditui").join("config.toml"))
}

/// Something worth telling the user that does not stop the program.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Warning {
    /// The token file can be read by the group or by others.
    TokenFileReadable { path: PathBuf, mode: u32 },
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Warning::TokenFileReadable { path, mode } => {
                // Printed on stderr: a path may hold control characters.
                let path = path.display().to_string();
                let path = crate::sanitize::clean(&path);
                write!(
                    f,
                    "token file {path} can be read by other users (mode {:o}): run chmod 600 {path}",
                    mode & 0o777,
                )
            }
        }
    }
}

/// What resolution reads from outside the arguments, so that tests can supply it.
#[derive(Debug, Default, Clone)]
pub struct Sources {
    /// The value of `HARVEY_API_TOKEN`, if set.
    pub token_env: Option<String>,
    /// The config file to read when `--config` is not given (absent file: no defaults).
    pub default_config: Option<PathBuf>,
}

impl Sources {
    /// The real environment.
    pub fn from_env() -> Sources {
        Sources {
            token_env: std::env::var(TOKEN_ENV).ok(),
            default_config: default_config_path(),
        }
    }
}

/// Resolves the connection from the arguments, the environment and the config file. Warnings go to
/// stderr and to the log.
pub fn resolve(api: &ApiArgs) -> Result<Connection, ConfigError> {
    let (connection, warnings) = resolve_from(api, &Sources::from_env())?;
    // From here on no surface shows the token, even when the server echoes it.
    crate::sanitize::register_secret(connection.token.expose());
    for warning in warnings {
        tracing::warn!("{warning}");
        eprintln!("auditui: warning: {warning}");
    }
    Ok(connection)
}

/// [`resolve`] without touching the process environment or printing anything.
pub fn resolve_from(
    api: &ApiArgs,
    sources: &Sources,
) -> Result<(Connection, Vec<Warning>), ConfigError> {
    let file = match (&api.config, &sources.default_config) {
        (Some(path), _) => read_config(path, true)?,
        (None, Some(path)) => read_config(path, false)?,
        (None, None) => FileConfig::default(),
    };
    let base_url = match (&api.base_url, api.region, &file.base_url, file.region) {
        (Some(url), _, _, _) => url.clone(),
        (None, Some(region), _, _) => region.base_url().to_owned(),
        (None, None, Some(url), _) => url.clone(),
        (None, None, None, region) => region.unwrap_or(Region::Us).base_url().to_owned(),
    };
    let base_url = validate_base_url(&base_url)?;
    let mut warnings = Vec::new();
    let token = match (&api.token_file, &sources.token_env, &file.token_file) {
        (Some(path), _, _) => read_token_file(path, &mut warnings)?,
        (None, Some(value), _) if !value.trim().is_empty() => Token::new(value.as_str())?,
        (None, _, Some(path)) => read_token_file(path, &mut warnings)?,
        _ => return Err(ConfigError::NoToken),
    };
    Ok((Connection { base_url, token }, warnings))
}

/// Reads the config file. A missing default file is no error; a missing file named by `--config` is.
pub fn read_config(path: &Path, must_exist: bool) -> Result<FileConfig, ConfigError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound && !must_exist => {
            return Ok(FileConfig::default());
        }
        Err(err) => {
            return Err(ConfigError::ConfigFile {
                path: path.to_owned(),
                reason: err.to_string(),
            });
        }
    };
    parse_config(&text).map_err(|reason| ConfigError::ConfigFile {
        path: path.to_owned(),
        reason,
    })
}

/// Parses the config file's text. The error names the line but never quotes it: a user may have pasted
/// a token into the file.
pub fn parse_config(text: &str) -> Result<FileConfig, String> {
    let table: toml::Table = toml::from_str(text).map_err(|err| describe_toml_error(text, &err))?;
    if table.contains_key("token") {
        return Err(
            "a config file may not hold the token itself: remove `token` and set \
             `token_file` to a file only you can read (chmod 600), or use HARVEY_API_TOKEN"
                .into(),
        );
    }
    toml::Table::try_into(table).map_err(|err: toml::de::Error| {
        format!(
            "{} (allowed keys: region = \"us\"|\"eu\"|\"au\", base_url, token_file)",
            err.message()
        )
    })
}

fn describe_toml_error(text: &str, err: &toml::de::Error) -> String {
    match err.span() {
        Some(span) => {
            let line = text[..span.start.min(text.len())].matches('\n').count() + 1;
            format!("line {line}: {}", err.message())
        }
        None => err.message().to_owned(),
    }
}

fn read_token_file(path: &Path, warnings: &mut Vec<Warning>) -> Result<Token, ConfigError> {
    let file_error = |reason: String| ConfigError::TokenFile {
        path: path.to_owned(),
        reason,
    };
    let text = read_small(path).map_err(file_error)?;
    if let Some(mode) = group_or_other_readable(path) {
        warnings.push(Warning::TokenFileReadable {
            path: path.to_owned(),
            mode,
        });
    }
    Token::new(text).map_err(|err| match err {
        ConfigError::EmptyToken => file_error("the file is empty".into()),
        other => other,
    })
}

/// The most a token file may hold: tokens are short, and a path such as /dev/zero must not hang us.
const TOKEN_FILE_MAX_BYTES: u64 = 16 * 1024;

fn read_small(path: &Path) -> Result<String, String> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|err| err.to_string())?;
    let mut bytes = Vec::new();
    file.take(TOKEN_FILE_MAX_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|err| err.to_string())?;
    if bytes.len() as u64 > TOKEN_FILE_MAX_BYTES {
        return Err(format!(
            "it holds more than {} KiB: is it really a token file?",
            TOKEN_FILE_MAX_BYTES / 1024
        ));
    }
    String::from_utf8(bytes).map_err(|_| "it is not text".to_string())
}

#[cfg(unix)]
fn group_or_other_readable(path: &Path) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path).ok()?.permissions().mode();
    (mode & 0o077 != 0).then_some(mode)
}

#[cfg(not(unix))]
fn group_or_other_readable(_path: &Path) -> Option<u32> {
    None
}

/// Checks a base URL and returns it without a trailing slash. `https` anywhere; `http` only to a
/// loopback host, since the bearer token would otherwise travel in clear.
pub fn validate_base_url(text: &str) -> Result<String, ConfigError> {
    let bad = |reason: &str| ConfigError::BadBaseUrl {
        url: crate::sanitize::clean_truncated(text, 200).into_owned(),
        reason: reason.to_owned(),
    };
    let url = Url::parse(text.trim()).map_err(|err| bad(&err.to_string()))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad(
            "it holds credentials; remove them (the token comes from HARVEY_API_TOKEN or --token-file)",
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(bad("it should have no ?query or #fragment"));
    }
    let host = url
        .host_str()
        .ok_or_else(|| bad("it has no host"))?
        .to_owned();
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(&host) => {}
        "http" => return Err(ConfigError::InsecureHttp { host }),
        _ => return Err(bad("the scheme must be https:// (or http:// to loopback)")),
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

/// Whether a base URL points at this machine (the simulator), not at a real API host.
pub fn is_loopback_url(base_url: &str) -> bool {
    Url::parse(base_url)
        .ok()
        .and_then(|url| url.host_str().map(is_loopback))
        .unwrap_or(false)
}

fn is_loopback(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    match bare.parse::<IpAddr>() {
        Ok(ip) => ip.is_loopback(),
        Err(_) => bare.eq_ignore_ascii_case("localhost"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_debug_is_redacted() {
        let token = Token::new("s3cret-value\n").unwrap();
        assert_eq!(token.expose(), "s3cret-value");
        let shown = format!(
            "{token:?} {:?}",
            Connection {
                base_url: "https://api.harvey.ai".into(),
                token: token.clone(),
            }
        );
        assert!(!shown.contains("s3cret"), "{shown}");
    }

    #[test]
    fn the_readable_token_file_warning_shows_control_characters_in_the_path_as_escapes() {
        let warning = Warning::TokenFileReadable {
            path: PathBuf::from("/tmp/tok\u{1b}]0;x\u{7}"),
            mode: 0o100644,
        };
        let shown = warning.to_string();
        assert!(
            shown.contains("/tmp/tok\\x1b]0;x\\x07 can be read"),
            "{shown}"
        );
        assert!(shown.contains("mode 644"), "{shown}");
        assert!(!shown.contains(['\u{1b}', '\u{7}']), "{shown:?}");
    }

    #[test]
    fn a_pasted_bearer_prefix_is_dropped() {
        for text in ["Bearer abc123", "bearer  abc123\n", "abc123"] {
            assert_eq!(Token::new(text).unwrap().expose(), "abc123", "{text:?}");
        }
        assert_eq!(Token::new("Bearer").unwrap().expose(), "Bearer");
    }

    #[test]
    fn tokens_that_cannot_be_a_header_are_refused_without_echo() {
        for text in ["", "  \n", "abc\u{1b}def", "ab\ncd", "tökén"] {
            let err = Token::new(text).unwrap_err();
            assert!(matches!(
                err,
                ConfigError::EmptyToken | ConfigError::MalformedToken
            ));
            assert!(!err.to_string().contains("abc"), "{err}");
        }
    }

    #[test]
    fn base_urls_are_checked() {
        let cases: &[(&str, Result<&str, &str>)] = &[
            ("https://api.harvey.ai", Ok("https://api.harvey.ai")),
            ("https://api.harvey.ai/", Ok("https://api.harvey.ai")),
            (
                "https://proxy.example/harvey/",
                Ok("https://proxy.example/harvey"),
            ),
            ("http://127.0.0.1:8787", Ok("http://127.0.0.1:8787")),
            ("http://127.9.9.9:1", Ok("http://127.9.9.9:1")),
            ("http://localhost:8787/", Ok("http://localhost:8787")),
            ("http://LOCALHOST", Ok("http://localhost")),
            ("http://[::1]:8787", Ok("http://[::1]:8787")),
            (
                "http://api.harvey.ai",
                Err("refusing plain http:// to api.harvey.ai"),
            ),
            (
                "http://10.0.0.5:8787",
                Err("refusing plain http:// to 10.0.0.5"),
            ),
            (
                "http://localhost.evil.example",
                Err("refusing plain http://"),
            ),
            ("http://[::2]", Err("refusing plain http://")),
            ("ftp://api.harvey.ai", Err("the scheme must be https://")),
            ("api.harvey.ai", Err("bad base URL")),
            ("https://user:pw@api.harvey.ai", Err("holds credentials")),
            ("https://api.harvey.ai/?x=1", Err("no ?query")),
        ];
        for (input, expected) in cases {
            match (validate_base_url(input), expected) {
                (Ok(got), Ok(want)) => assert_eq!(&got, want, "{input}"),
                (Err(err), Err(want)) => {
                    let text = err.to_string();
                    assert!(text.contains(want), "{input}: {text}");
                    if text.contains("refusing") {
                        assert!(text.contains("unencrypted"), "says why: {text}");
                    }
                }
                (got, want) => panic!("{input}: got {got:?}, want {want:?}"),
            }
        }
    }

    #[test]
    fn config_file_keys_are_checked_and_never_quoted() {
        let ok = parse_config("region = \"eu\"\ntoken_file = \"/tmp/t\"\n").unwrap();
        assert_eq!(ok.region, Some(Region::Eu));
        assert_eq!(ok.token_file, Some(PathBuf::from("/tmp/t")));
        let err = parse_config("token = \"hunter2-secret\"\n").unwrap_err();
        assert!(err.contains("may not hold the token"), "{err}");
        assert!(!err.contains("hunter2"), "{err}");
        let err = parse_config("region = \"mars\"\n").unwrap_err();
        assert!(err.contains("allowed keys"), "{err}");
        let err = parse_config("base_url = \"hunter2-secret\nregion=").unwrap_err();
        assert!(err.starts_with("line "), "{err}");
        assert!(!err.contains("hunter2"), "{err}");
    }
}
