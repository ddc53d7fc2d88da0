//! Where the program connects and with which token: command line, environment, config file.

use std::path::{Path, PathBuf};

use auditui::cli::{ApiArgs, Region};
use auditui::config::{ConfigError, Sources, Warning, resolve_from};

const SECRET: &str = "tok-live-very-secret";

fn write(dir: &Path, name: &str, text: &str, mode: u32) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
    }
    #[cfg(not(unix))]
    let _ = mode;
    path
}

struct Case<'a> {
    name: &'static str,
    args: ApiArgs,
    env: Option<&'static str>,
    config: Option<&'a str>,
    want: Result<(&'static str, &'static str), &'static str>,
}

#[test]
fn resolution_follows_command_line_then_environment_then_config_file() {
    let dir = tempfile::tempdir().unwrap();
    let file_token = write(dir.path(), "token", "tok-from-file\n", 0o600);
    let other_token = write(dir.path(), "token2", "tok-from-config-file", 0o600);
    let config_text = format!(
        "region = \"au\"\ntoken_file = {:?}\n",
        other_token.to_str().unwrap()
    );
    let config_leaked = "token = \"tok-live-very-secret\"\n";
    let args = |region, base_url: Option<&str>, token_file: Option<&PathBuf>| ApiArgs {
        region,
        base_url: base_url.map(str::to_owned),
        token_file: token_file.cloned(),
        config: None,
    };
    let cases = [
        Case {
            name: "defaults to the US host with the environment token",
            args: args(None, None, None),
            env: Some(SECRET),
            config: None,
            want: Ok(("https://api.harvey.ai", SECRET)),
        },
        Case {
            name: "region picks the host",
            args: args(Some(Region::Eu), None, None),
            env: Some(SECRET),
            config: None,
            want: Ok(("https://eu.api.harvey.ai", SECRET)),
        },
        Case {
            name: "base URL for a loopback simulator",
            args: args(None, Some("http://127.0.0.1:8787/"), None),
            env: Some(SECRET),
            config: None,
            want: Ok(("http://127.0.0.1:8787", SECRET)),
        },
        Case {
            name: "token file wins over the environment",
            args: args(None, None, Some(&file_token)),
            env: Some(SECRET),
            config: None,
            want: Ok(("https://api.harvey.ai", "tok-from-file")),
        },
        Case {
            name: "config file supplies region and token file",
            args: args(None, None, None),
            env: None,
            config: Some(&config_text),
            want: Ok(("https://au.api.harvey.ai", "tok-from-config-file")),
        },
        Case {
            name: "command line and environment win over the config file",
            args: args(Some(Region::Us), None, None),
            env: Some(SECRET),
            config: Some(&config_text),
            want: Ok(("https://api.harvey.ai", SECRET)),
        },
        Case {
            name: "plain http to a remote host is refused",
            args: args(None, Some("http://api.harvey.ai"), None),
            env: Some(SECRET),
            config: None,
            want: Err("unencrypted"),
        },
        Case {
            name: "no token says how to set one",
            args: args(None, None, None),
            env: None,
            config: None,
            want: Err("export HARVEY_API_TOKEN=... or pass --token-file"),
        },
        Case {
            name: "an empty environment variable counts as no token",
            args: args(None, None, None),
            env: Some("  "),
            config: None,
            want: Err("`auditui demo` needs no token"),
        },
        Case {
            name: "a token in the config file is refused without quoting it",
            args: args(None, None, None),
            env: Some(SECRET),
            config: Some(config_leaked),
            want: Err("may not hold the token"),
        },
    ];
    for (i, case) in cases.into_iter().enumerate() {
        let default_config = case
            .config
            .map(|text| write(dir.path(), &format!("config{i}.toml"), text, 0o600));
        let sources = Sources {
            token_env: case.env.map(str::to_owned),
            default_config,
        };
        let result = resolve_from(&case.args, &sources);
        match (&result, case.want) {
            (Ok((conn, warnings)), Ok((url, token))) => {
                assert_eq!(conn.base_url, url, "{}", case.name);
                assert_eq!(conn.token.expose(), token, "{}", case.name);
                assert!(warnings.is_empty(), "{}: {warnings:?}", case.name);
            }
            (Err(err), Err(text)) => {
                let shown = format!("{err} {err:?}");
                assert!(shown.contains(text), "{}: {shown}", case.name);
                assert!(!shown.contains(SECRET), "{}: leaks the token", case.name);
            }
            (got, _) => panic!("{}: unexpected {got:?}", case.name),
        }
    }
}

#[cfg(unix)]
#[test]
fn a_token_file_others_can_read_is_used_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    for (mode, warned) in [
        (0o600, false),
        (0o400, false),
        (0o640, true),
        (0o644, true),
        (0o604, true),
    ] {
        let path = write(dir.path(), &format!("t{mode:o}"), SECRET, mode);
        let args = ApiArgs {
            token_file: Some(path.clone()),
            ..ApiArgs::default()
        };
        let (conn, warnings) = resolve_from(&args, &Sources::default()).unwrap();
        assert_eq!(conn.token.expose(), SECRET);
        assert_eq!(!warnings.is_empty(), warned, "mode {mode:o}");
        for warning in &warnings {
            assert!(matches!(warning, Warning::TokenFileReadable { .. }));
            let text = warning.to_string();
            assert!(text.contains("chmod 600"), "{text}");
            assert!(!text.contains(SECRET));
        }
    }
}

#[test]
fn token_file_problems_name_the_file_not_the_token() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing");
    let empty = write(dir.path(), "empty", "\n", 0o600);
    let huge = write(dir.path(), "huge", &"x".repeat(100_000), 0o600);
    for (path, text) in [
        (missing, "cannot read the token file"),
        (empty, "the file is empty"),
        (huge, "is it really a token file?"),
    ] {
        let args = ApiArgs {
            token_file: Some(path.clone()),
            ..ApiArgs::default()
        };
        let err = resolve_from(&args, &Sources::default()).unwrap_err();
        assert!(matches!(err, ConfigError::TokenFile { .. }), "{err:?}");
        assert!(err.to_string().contains(text), "{err}");
        assert!(err.to_string().contains(path.to_str().unwrap()), "{err}");
    }
}

#[test]
fn an_explicit_config_file_must_exist_but_the_default_may_not() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.toml");
    let explicit = ApiArgs {
        config: Some(missing.clone()),
        ..ApiArgs::default()
    };
    let sources = Sources {
        token_env: Some(SECRET.into()),
        default_config: None,
    };
    assert!(matches!(
        resolve_from(&explicit, &sources),
        Err(ConfigError::ConfigFile { .. })
    ));
    let sources = Sources {
        token_env: Some(SECRET.into()),
        default_config: Some(missing),
    };
    assert!(resolve_from(&ApiArgs::default(), &sources).is_ok());
}
