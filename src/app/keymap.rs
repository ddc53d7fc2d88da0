//! Key bindings as data: the defaults embedded from `assets/keymap.toml`, merged with the user's file.
//!
//! The same table answers "what does this key do here" for the loop and "which keys do what" for the
//! help overlay, so the two cannot disagree.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

const DEFAULT_KEYMAP: &str = include_str!("../../assets/keymap.toml");

/// Where the keys are read: each context has its own table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Context {
    List,
    Filter,
    Detail,
    Help,
    /// The counts panel.
    Counts,
    /// A one-line prompt (search, go to a time, a note, where to write evidence).
    Prompt,
    /// The problems pane: the last error in full, the malformed entries skipped.
    Problems,
    /// The list of marks and their notes.
    Marks,
}

impl Context {
    pub const ALL: [Context; 8] = [
        Context::List,
        Context::Filter,
        Context::Detail,
        Context::Help,
        Context::Counts,
        Context::Prompt,
        Context::Problems,
        Context::Marks,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Context::List => "list",
            Context::Filter => "filter",
            Context::Detail => "detail",
            Context::Help => "help",
            Context::Counts => "counts",
            Context::Prompt => "prompt",
            Context::Problems => "problems",
            Context::Marks => "marks",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Context::List => "Log",
            Context::Filter => "Filter bar",
            Context::Detail => "Detail",
            Context::Help => "Help",
            Context::Counts => "Counts panel",
            Context::Prompt => "Search, go-to, note and evidence prompt",
            Context::Problems => "Problems pane",
            Context::Marks => "Marks list",
        }
    }
}

macro_rules! commands {
    ($($variant:ident = $name:literal, $about:literal;)*) => {
        /// What a user may bind a key to.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Command {
            $($variant,)*
        }

        impl Command {
            pub const ALL: &[Command] = &[$(Command::$variant,)*];

            /// The name used in keymap files.
            pub fn name(self) -> &'static str {
                match self {
                    $(Command::$variant => $name,)*
                }
            }

            /// What it does, for the help overlay.
            pub fn about(self) -> &'static str {
                match self {
                    $(Command::$variant => $about,)*
                }
            }

            pub fn from_name(name: &str) -> Option<Command> {
                match name {
                    $($name => Some(Command::$variant),)*
                    _ => None,
                }
            }
        }
    };
}

commands! {
    Quit = "quit", "quit";
    Help = "help", "show or hide this help";
    Down = "down", "next row / scroll down";
    Up = "up", "previous row / scroll up";
    PageDown = "page_down", "one page down";
    PageUp = "page_up", "one page up";
    Top = "top", "first entry";
    Bottom = "bottom", "last entry";
    Follow = "follow", "follow new entries (jump to the newest)";
    OpenFilter = "open_filter", "edit the filter";
    ClearFilter = "clear_filter", "clear the message, context, search, then filter";
    OpenDetail = "open_detail", "open the selected entry";
    Close = "close", "back";
    CopyEntry = "copy_entry", "copy the entry (pretty JSON, escaped)";
    CopyView = "copy_view", "copy the view (JSON lines, escaped)";
    CopyField = "copy_field", "copy the selected field (escaped)";
    CopyEntryRaw = "copy_entry_raw", "copy the entry raw, as received";
    CopyViewRaw = "copy_view_raw", "copy the view raw, as received";
    CopyFieldRaw = "copy_field_raw", "copy the field raw, as received";
    ExportJsonl = "export_jsonl", "export the view to a JSON lines file";
    ExportCsv = "export_csv", "export the view to a CSV file";
    FilterUser = "filter_user", "filter to this user";
    FilterType = "filter_type", "filter to this type";
    FilterIp = "filter_ip", "filter to this IP";
    CycleWindow = "cycle_window", "time window: 5m, 15m, 1h, 24h, all";
    ToggleLocalTime = "toggle_local_time", "show times in UTC or local time";
    TogglePolling = "toggle_polling", "pause or resume polling (nothing is lost)";
    NextField = "next_field", "select the next field";
    PrevField = "prev_field", "select the previous field";
    ApplyFilter = "apply_filter", "keep the filter and leave the bar";
    CancelFilter = "cancel_filter", "leave the bar, restoring the filter";
    HistoryPrev = "history_prev", "older filter from history";
    HistoryNext = "history_next", "newer filter from history";
    Counts = "counts", "count the view by user, type, IP and agent";
    NarrowValue = "narrow_value", "filter to this value";
    ExcludeValue = "exclude_value", "filter this value out (-key:value)";
    NextGroup = "next_group", "next group: user, type, IP, agent";
    PrevGroup = "prev_group", "previous group";
    Search = "search", "search within the view (the filter stays)";
    NextMatch = "next_match", "next search match";
    PrevMatch = "prev_match", "previous search match";
    GotoTime = "goto_time", "go to a time: 14:05, -2h, a timestamp";
    Submit = "submit", "search or go";
    NextEntry = "next_entry", "next entry of the view";
    PrevEntry = "prev_entry", "previous entry of the view";
    FilterNew = "filter_new", "only what is new for its user: agent, address, anything, off";
    ShowContext = "context", "around this entry: unfiltered, same user, back";
    Problems = "problems", "the last error in full, the malformed entries skipped";
    Mark = "mark", "mark or unmark the entry";
    Note = "note", "write the entry's note (marks it)";
    Marks = "marks", "list the marks and their notes";
    Evidence = "evidence", "evidence bundle of the marks, else of the view";
    Jump = "jump", "go to the entry in the log";
    FetchMissing = "fetch_missing", "fetch what the archive lacks of the window";
}

/// One key with its modifiers, as written in a keymap file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Key {
    code: KeyOrd,
    ctrl: bool,
    alt: bool,
}

/// `KeyCode` restricted to what a keymap can name, with an order for stable tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum KeyOrd {
    Char(char),
    F(u8),
    Named(NamedKey),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum NamedKey {
    Enter,
    Esc,
    Tab,
    BackTab,
    Backspace,
    Delete,
    Up,
    Down,
    Left,
    Right,
    Home,
    End,
    PageUp,
    PageDown,
}

const NAMED: &[(&str, NamedKey)] = &[
    ("enter", NamedKey::Enter),
    ("esc", NamedKey::Esc),
    ("tab", NamedKey::Tab),
    ("backtab", NamedKey::BackTab),
    ("backspace", NamedKey::Backspace),
    ("delete", NamedKey::Delete),
    ("up", NamedKey::Up),
    ("down", NamedKey::Down),
    ("left", NamedKey::Left),
    ("right", NamedKey::Right),
    ("home", NamedKey::Home),
    ("end", NamedKey::End),
    ("pageup", NamedKey::PageUp),
    ("pagedown", NamedKey::PageDown),
];

impl Key {
    /// The key a terminal event stands for. Shift is folded into the character (`G`, `?`).
    pub fn from_event(event: &KeyEvent) -> Option<Key> {
        let code = match event.code {
            KeyCode::Char(c) => KeyOrd::Char(c),
            KeyCode::F(n) => KeyOrd::F(n),
            KeyCode::Enter => KeyOrd::Named(NamedKey::Enter),
            KeyCode::Esc => KeyOrd::Named(NamedKey::Esc),
            KeyCode::Tab => KeyOrd::Named(NamedKey::Tab),
            KeyCode::BackTab => KeyOrd::Named(NamedKey::BackTab),
            KeyCode::Backspace => KeyOrd::Named(NamedKey::Backspace),
            KeyCode::Delete => KeyOrd::Named(NamedKey::Delete),
            KeyCode::Up => KeyOrd::Named(NamedKey::Up),
            KeyCode::Down => KeyOrd::Named(NamedKey::Down),
            KeyCode::Left => KeyOrd::Named(NamedKey::Left),
            KeyCode::Right => KeyOrd::Named(NamedKey::Right),
            KeyCode::Home => KeyOrd::Named(NamedKey::Home),
            KeyCode::End => KeyOrd::Named(NamedKey::End),
            KeyCode::PageUp => KeyOrd::Named(NamedKey::PageUp),
            KeyCode::PageDown => KeyOrd::Named(NamedKey::PageDown),
            _ => return None,
        };
        Some(Key {
            code,
            ctrl: event.modifiers.contains(KeyModifiers::CONTROL),
            alt: event.modifiers.contains(KeyModifiers::ALT),
        })
    }

    pub fn parse(text: &str) -> Result<Key, String> {
        let mut rest = text;
        let (mut ctrl, mut alt) = (false, false);
        loop {
            if let Some(r) = rest.strip_prefix("ctrl-") {
                ctrl = true;
                rest = r;
            } else if let Some(r) = rest.strip_prefix("alt-") {
                alt = true;
                rest = r;
            } else {
                break;
            }
        }
        let mut chars = rest.chars();
        let code = match (chars.next(), chars.next()) {
            (Some(c), None) => KeyOrd::Char(c),
            _ if rest == "space" => KeyOrd::Char(' '),
            _ => {
                if let Some(n) = rest.strip_prefix('f').and_then(|n| n.parse::<u8>().ok()) {
                    KeyOrd::F(n)
                } else if let Some((_, named)) = NAMED.iter().find(|(name, _)| *name == rest) {
                    KeyOrd::Named(*named)
                } else {
                    return Err(format!("unknown key {text:?}"));
                }
            }
        };
        Ok(Key { code, ctrl, alt })
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.ctrl {
            f.write_str("ctrl-")?;
        }
        if self.alt {
            f.write_str("alt-")?;
        }
        match self.code {
            KeyOrd::Char(' ') => f.write_str("space"),
            KeyOrd::Char(c) => write!(f, "{c}"),
            KeyOrd::F(n) => write!(f, "f{n}"),
            KeyOrd::Named(named) => {
                let name = NAMED.iter().find(|(_, n)| *n == named).map(|(s, _)| *s);
                f.write_str(name.unwrap_or("?"))
            }
        }
    }
}

/// A keymap file that cannot be used, with where and why.
#[derive(Debug, thiserror::Error)]
pub enum KeymapError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{origin}: not valid TOML: {message}")]
    Toml { origin: String, message: String },
    #[error("{origin}: {message}")]
    Invalid { origin: String, message: String },
}

type Table = BTreeMap<String, BTreeMap<String, Vec<String>>>;

/// Every binding, by context.
#[derive(Debug, Clone)]
pub struct Keymap {
    bindings: BTreeMap<Context, BTreeMap<Command, Vec<Key>>>,
}

impl Keymap {
    /// The defaults shipped with the program.
    pub fn defaults() -> Keymap {
        let mut keymap = Keymap {
            bindings: BTreeMap::new(),
        };
        keymap
            .merge_text(DEFAULT_KEYMAP, "built-in keymap")
            .expect("the built-in keymap is valid");
        keymap
    }

    /// The defaults merged with the user's file, when there is one.
    pub fn load(user_file: Option<&Path>) -> Result<Keymap, KeymapError> {
        let mut keymap = Keymap::defaults();
        if let Some(path) = user_file.filter(|p| p.exists()) {
            let text = std::fs::read_to_string(path).map_err(|source| KeymapError::Read {
                path: path.to_owned(),
                source,
            })?;
            keymap.merge_text(&text, &path.display().to_string())?;
        }
        Ok(keymap)
    }

    /// `auditui/keymap.toml` in the user's configuration directory.
    pub fn user_path() -> Option<PathBuf> {
        dirs::config_dir().map(|d| d.join("auditui").join("keymap.toml"))
    }

    /// Applies a keymap file: each command it names takes exactly the keys listed there, and those keys
    /// leave whatever command had them before in that context.
    pub fn merge_text(&mut self, text: &str, origin: &str) -> Result<(), KeymapError> {
        let table: Table = toml::from_str(text).map_err(|e| KeymapError::Toml {
            origin: origin.to_owned(),
            message: e.message().to_owned(),
        })?;
        let invalid = |message: String| KeymapError::Invalid {
            origin: origin.to_owned(),
            message,
        };
        for (context_name, commands) in table {
            let context = Context::ALL
                .into_iter()
                .find(|c| c.name() == context_name)
                .ok_or_else(|| {
                    invalid(format!(
                        "unknown section [{context_name}] (expected list, filter, detail, help, counts, prompt, problems or marks)"
                    ))
                })?;
            let bound = self.bindings.entry(context).or_default();
            for (command_name, keys) in commands {
                let command = Command::from_name(&command_name).ok_or_else(|| {
                    invalid(format!(
                        "unknown command {command_name:?} in [{context_name}]"
                    ))
                })?;
                let keys = keys
                    .iter()
                    .map(|k| Key::parse(k).map_err(|m| invalid(format!("[{context_name}] {m}"))))
                    .collect::<Result<Vec<_>, _>>()?;
                for other in bound.values_mut() {
                    other.retain(|k| !keys.contains(k));
                }
                bound.insert(command, keys);
            }
        }
        Ok(())
    }

    /// What a key does in a context.
    pub fn command(&self, context: Context, key: Key) -> Option<Command> {
        self.bindings
            .get(&context)?
            .iter()
            .find(|(_, keys)| keys.contains(&key))
            .map(|(command, _)| *command)
    }

    /// The keys bound to a command in a context, in the file's order.
    pub fn keys(&self, context: Context, command: Command) -> &[Key] {
        self.bindings
            .get(&context)
            .and_then(|b| b.get(&command))
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// The bindings of a context in command order, for the help overlay.
    pub fn table(&self, context: Context) -> impl Iterator<Item = (Command, &[Key])> {
        self.bindings
            .get(&context)
            .into_iter()
            .flat_map(|b| b.iter())
            .filter(|(_, keys)| !keys.is_empty())
            .map(|(c, k)| (*c, k.as_slice()))
    }

    /// "y" or "y/ctrl-y": the keys of a command, for hints.
    pub fn hint(&self, context: Context, command: Command) -> String {
        let keys = self.keys(context, command);
        keys.iter()
            .map(Key::to_string)
            .collect::<Vec<_>>()
            .join("/")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(text: &str) -> Key {
        Key::parse(text).unwrap()
    }

    fn event(code: KeyCode, modifiers: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, modifiers)
    }

    #[test]
    fn the_default_keys_do_what_the_issue_says() {
        let keymap = Keymap::defaults();
        let cases = [
            (Context::List, "/", Command::OpenFilter),
            (Context::List, "enter", Command::OpenDetail),
            (Context::List, "y", Command::CopyEntry),
            (Context::List, "Y", Command::CopyView),
            (Context::List, "?", Command::Help),
            (Context::List, "q", Command::Quit),
            (Context::List, "f", Command::Follow),
            (Context::List, "g", Command::Top),
            (Context::List, "G", Command::Bottom),
            (Context::List, "j", Command::Down),
            (Context::List, "down", Command::Down),
            (Context::List, "e", Command::ExportJsonl),
            (Context::List, "E", Command::ExportCsv),
            (Context::Detail, "esc", Command::Close),
            (Context::Detail, "c", Command::CopyField),
            (Context::Filter, "up", Command::HistoryPrev),
            (Context::Help, "?", Command::Close),
            (Context::List, "c", Command::Counts),
            (Context::List, "+", Command::FilterNew),
            (Context::List, "s", Command::Search),
            (Context::List, "n", Command::NextMatch),
            (Context::List, "N", Command::PrevMatch),
            (Context::List, ":", Command::GotoTime),
            (Context::List, "z", Command::ShowContext),
            (Context::Detail, "J", Command::NextEntry),
            (Context::Detail, "n", Command::NextMatch),
            (Context::Detail, "N", Command::PrevMatch),
            (Context::Detail, "s", Command::Search),
            (Context::Detail, ":", Command::GotoTime),
            (Context::Detail, "K", Command::PrevEntry),
            (Context::Detail, "u", Command::FilterUser),
            (Context::Counts, "enter", Command::NarrowValue),
            (Context::Counts, "x", Command::ExcludeValue),
            (Context::Counts, "tab", Command::NextGroup),
            (Context::Prompt, "enter", Command::Submit),
            (Context::Prompt, "esc", Command::Close),
            (Context::List, "!", Command::Problems),
            (Context::Problems, "esc", Command::Close),
            (Context::Problems, "!", Command::Close),
            (Context::List, "m", Command::Mark),
            (Context::List, "a", Command::Note),
            (Context::List, "M", Command::Marks),
            (Context::List, "B", Command::Evidence),
            (Context::Detail, "m", Command::Mark),
            (Context::Detail, "a", Command::Note),
            (Context::Marks, "enter", Command::Jump),
            (Context::Marks, "esc", Command::Close),
            (Context::Marks, "m", Command::Mark),
            (Context::Marks, "a", Command::Note),
        ];
        for (context, text, expected) in cases {
            assert_eq!(
                keymap.command(context, key(text)),
                Some(expected),
                "{text} in {context:?}"
            );
        }
    }

    #[test]
    fn terminal_events_map_to_keys_with_shift_folded_into_the_character() {
        let cases = [
            (event(KeyCode::Char('G'), KeyModifiers::SHIFT), "G"),
            (event(KeyCode::Char('c'), KeyModifiers::CONTROL), "ctrl-c"),
            (event(KeyCode::Enter, KeyModifiers::NONE), "enter"),
            (event(KeyCode::BackTab, KeyModifiers::SHIFT), "backtab"),
            (event(KeyCode::Char(' '), KeyModifiers::NONE), "space"),
            (event(KeyCode::F(5), KeyModifiers::NONE), "f5"),
        ];
        for (ev, text) in cases {
            let k = Key::from_event(&ev).unwrap();
            assert_eq!(k, key(text));
            assert_eq!(k.to_string(), text);
        }
    }

    #[test]
    fn a_user_file_rebinds_a_command_and_takes_its_keys_from_others() {
        let mut keymap = Keymap::defaults();
        keymap
            .merge_text("[list]\ncopy_entry = [\"c\", \"j\"]\n", "test")
            .unwrap();
        assert_eq!(
            keymap.command(Context::List, key("c")),
            Some(Command::CopyEntry)
        );
        assert_eq!(
            keymap.command(Context::List, key("j")),
            Some(Command::CopyEntry)
        );
        assert_eq!(keymap.command(Context::List, key("y")), None);
        assert_eq!(keymap.keys(Context::List, Command::Down), &[key("down")]);
        assert_eq!(
            keymap.command(Context::Detail, key("y")),
            Some(Command::CopyEntry)
        );
    }

    #[test]
    fn bad_user_files_are_refused_with_where_and_why() {
        let cases = [
            ("[list\n", "not valid TOML"),
            ("[nowhere]\nquit = [\"q\"]\n", "unknown section [nowhere]"),
            ("[list]\nfly = [\"x\"]\n", "unknown command \"fly\""),
            ("[list]\nquit = [\"hyper-q\"]\n", "unknown key \"hyper-q\""),
        ];
        for (text, expected) in cases {
            let err = Keymap::defaults().merge_text(text, "my.toml").unwrap_err();
            let message = err.to_string();
            assert!(message.starts_with("my.toml"), "{message}");
            assert!(message.contains(expected), "{message}");
        }
    }

    #[test]
    fn load_reads_the_user_file_when_present() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keymap.toml");
        std::fs::write(&path, "[list]\nquit = [\"x\"]\n").unwrap();
        let keymap = Keymap::load(Some(&path)).unwrap();
        assert_eq!(keymap.command(Context::List, key("x")), Some(Command::Quit));
        let missing = Keymap::load(Some(&dir.path().join("absent.toml"))).unwrap();
        assert_eq!(
            missing.command(Context::List, key("q")),
            Some(Command::Quit)
        );
    }

    #[test]
    fn every_context_can_quit_and_hints_list_all_keys() {
        let keymap = Keymap::defaults();
        for context in Context::ALL {
            assert!(
                !keymap.keys(context, Command::Quit).is_empty(),
                "{context:?}"
            );
        }
        assert_eq!(keymap.hint(Context::List, Command::Quit), "q/ctrl-c");
    }
}
