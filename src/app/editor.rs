//! A one-line text editor for the filter bar: insert, delete, move by character and word, history.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// The text being typed and where the cursor is (in characters).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LineEditor {
    text: String,
    cursor: usize,
}

/// One editing step, decoded from a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edit {
    Insert(char),
    Backspace,
    Delete,
    Left,
    Right,
    WordLeft,
    WordRight,
    Home,
    End,
    DeleteWordBack,
    DeleteToStart,
    DeleteToEnd,
}

impl Edit {
    /// The editing step a key stands for, in the readline tradition.
    pub fn from_key(key: &KeyEvent) -> Option<Edit> {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let alt = key.modifiers.contains(KeyModifiers::ALT);
        Some(match key.code {
            KeyCode::Char('a') if ctrl => Edit::Home,
            KeyCode::Char('e') if ctrl => Edit::End,
            KeyCode::Char('b') if ctrl => Edit::Left,
            KeyCode::Char('f') if ctrl => Edit::Right,
            KeyCode::Char('w') if ctrl => Edit::DeleteWordBack,
            KeyCode::Char('h') if ctrl => Edit::Backspace,
            KeyCode::Char('u') if ctrl => Edit::DeleteToStart,
            KeyCode::Char('k') if ctrl => Edit::DeleteToEnd,
            KeyCode::Char('b') if alt => Edit::WordLeft,
            KeyCode::Char('f') if alt => Edit::WordRight,
            KeyCode::Char(c) if !ctrl && !alt => Edit::Insert(c),
            KeyCode::Backspace if ctrl || alt => Edit::DeleteWordBack,
            KeyCode::Backspace => Edit::Backspace,
            KeyCode::Delete => Edit::Delete,
            KeyCode::Left if ctrl || alt => Edit::WordLeft,
            KeyCode::Right if ctrl || alt => Edit::WordRight,
            KeyCode::Left => Edit::Left,
            KeyCode::Right => Edit::Right,
            KeyCode::Home => Edit::Home,
            KeyCode::End => Edit::End,
            _ => return None,
        })
    }
}

impl LineEditor {
    pub fn new(text: &str) -> LineEditor {
        LineEditor {
            text: text.to_owned(),
            cursor: text.chars().count(),
        }
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    /// The cursor position in characters from the start.
    pub fn cursor(&self) -> usize {
        self.cursor
    }

    /// Replaces the text and puts the cursor at its end.
    pub fn set(&mut self, text: &str) {
        *self = LineEditor::new(text);
    }

    /// Applies one step; returns whether the text changed.
    pub fn apply(&mut self, edit: Edit) -> bool {
        let before = self.text.len();
        let len = self.text.chars().count();
        match edit {
            Edit::Insert(c) => {
                if c.is_control() {
                    return false;
                }
                let at = self.byte(self.cursor);
                self.text.insert(at, c);
                self.cursor += 1;
                return true;
            }
            Edit::Backspace if self.cursor > 0 => {
                self.cursor -= 1;
                let at = self.byte(self.cursor);
                self.text.remove(at);
            }
            Edit::Delete if self.cursor < len => {
                let at = self.byte(self.cursor);
                self.text.remove(at);
            }
            Edit::Left => self.cursor = self.cursor.saturating_sub(1),
            Edit::Right => self.cursor = (self.cursor + 1).min(len),
            Edit::Home => self.cursor = 0,
            Edit::End => self.cursor = len,
            Edit::WordLeft => self.cursor = self.word_start(),
            Edit::WordRight => self.cursor = self.word_end(),
            Edit::DeleteWordBack => {
                let start = self.word_start();
                let (from, to) = (self.byte(start), self.byte(self.cursor));
                self.text.replace_range(from..to, "");
                self.cursor = start;
            }
            Edit::DeleteToStart => {
                let to = self.byte(self.cursor);
                self.text.replace_range(..to, "");
                self.cursor = 0;
            }
            Edit::DeleteToEnd => {
                let from = self.byte(self.cursor);
                self.text.truncate(from);
            }
            Edit::Backspace | Edit::Delete => {}
        }
        self.text.len() != before
    }

    fn byte(&self, chars: usize) -> usize {
        self.text
            .char_indices()
            .nth(chars)
            .map_or(self.text.len(), |(i, _)| i)
    }

    fn chars(&self) -> Vec<char> {
        self.text.chars().collect()
    }

    fn word_start(&self) -> usize {
        let chars = self.chars();
        let mut i = self.cursor;
        while i > 0 && chars[i - 1].is_whitespace() {
            i -= 1;
        }
        while i > 0 && !chars[i - 1].is_whitespace() {
            i -= 1;
        }
        i
    }

    fn word_end(&self) -> usize {
        let chars = self.chars();
        let mut i = self.cursor;
        while i < chars.len() && chars[i].is_whitespace() {
            i += 1;
        }
        while i < chars.len() && !chars[i].is_whitespace() {
            i += 1;
        }
        i
    }
}

/// Filters already applied, newest last, browsed with up/down from the bar.
#[derive(Debug, Clone, Default)]
pub struct History {
    items: Vec<String>,
    /// While browsing: the index shown, and the text typed before browsing began.
    browsing: Option<(usize, String)>,
}

const HISTORY_LIMIT: usize = 100;

impl History {
    /// Remembers a filter (blank ones and repeats of the newest are skipped).
    pub fn push(&mut self, text: &str) {
        self.browsing = None;
        let text = text.trim();
        if text.is_empty() || self.items.last().is_some_and(|last| last == text) {
            return;
        }
        self.items.retain(|item| item != text);
        self.items.push(text.to_owned());
        if self.items.len() > HISTORY_LIMIT {
            self.items.remove(0);
        }
    }

    /// The older entry, given what the bar holds now.
    pub fn older(&mut self, current: &str) -> Option<&str> {
        let next = match &self.browsing {
            None if self.items.is_empty() => return None,
            None => (self.items.len() - 1, current.to_owned()),
            Some((0, _)) => return None,
            Some((i, typed)) => (i - 1, typed.clone()),
        };
        self.browsing = Some(next);
        self.browsing.as_ref().map(|(i, _)| self.items[*i].as_str())
    }

    /// The newer entry, ending with what was typed before browsing.
    pub fn newer(&mut self) -> Option<String> {
        let (i, typed) = self.browsing.take()?;
        if i + 1 < self.items.len() {
            self.browsing = Some((i + 1, typed));
            Some(self.items[i + 1].clone())
        } else {
            Some(typed)
        }
    }

    pub fn stop_browsing(&mut self) {
        self.browsing = None;
    }

    pub fn items(&self) -> &[String] {
        &self.items
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edited(start: &str, cursor: usize, edits: &[Edit]) -> (String, usize) {
        let mut editor = LineEditor::new(start);
        editor.cursor = cursor;
        for edit in edits {
            editor.apply(*edit);
        }
        (editor.text().to_owned(), editor.cursor())
    }

    #[test]
    fn editing_steps_change_text_and_cursor() {
        use Edit::*;
        let cases: &[(&str, usize, &[Edit], &str, usize)] = &[
            ("", 0, &[Insert('a'), Insert('b')], "ab", 2),
            ("ac", 1, &[Insert('b')], "abc", 2),
            ("abc", 3, &[Backspace], "ab", 2),
            ("abc", 0, &[Backspace], "abc", 0),
            ("abc", 0, &[Delete], "bc", 0),
            ("abc", 3, &[Delete], "abc", 3),
            ("abc", 1, &[Home], "abc", 0),
            ("abc", 1, &[End], "abc", 3),
            ("abc", 0, &[Left, Right, Right], "abc", 2),
            ("user:bob type:auth", 18, &[DeleteWordBack], "user:bob ", 9),
            ("user:bob  ", 10, &[DeleteWordBack], "", 0),
            ("user:bob type:x", 9, &[DeleteToStart], "type:x", 0),
            ("user:bob type:x", 8, &[DeleteToEnd], "user:bob", 8),
            (
                "one two three",
                13,
                &[WordLeft, WordLeft],
                "one two three",
                4,
            ),
            (
                "one two three",
                0,
                &[WordRight, WordRight],
                "one two three",
                7,
            ),
            ("日本", 1, &[Insert('x'), Backspace, Backspace], "本", 0),
            ("a", 1, &[Insert('\u{1b}')], "a", 1),
        ];
        for (start, cursor, edits, text, at) in cases {
            assert_eq!(
                edited(start, *cursor, edits),
                (text.to_string(), *at),
                "{start:?} {edits:?}"
            );
        }
    }

    #[test]
    fn keys_decode_to_readline_edits() {
        let key = |code, mods| KeyEvent::new(code, mods);
        assert_eq!(
            Edit::from_key(&key(KeyCode::Char('W'), KeyModifiers::SHIFT)),
            Some(Edit::Insert('W'))
        );
        assert_eq!(
            Edit::from_key(&key(KeyCode::Char('w'), KeyModifiers::CONTROL)),
            Some(Edit::DeleteWordBack)
        );
        assert_eq!(
            Edit::from_key(&key(KeyCode::Char('x'), KeyModifiers::CONTROL)),
            None
        );
    }

    #[test]
    fn history_browses_back_and_returns_to_what_was_typed() {
        let mut history = History::default();
        for text in ["a", "b", "b", " ", "c"] {
            history.push(text);
        }
        assert_eq!(history.items(), ["a", "b", "c"]);
        assert_eq!(history.older("typed"), Some("c"));
        assert_eq!(history.older("ignored"), Some("b"));
        assert_eq!(history.older("ignored"), Some("a"));
        assert_eq!(history.older("ignored"), None);
        assert_eq!(history.newer().as_deref(), Some("b"));
        assert_eq!(history.newer().as_deref(), Some("c"));
        assert_eq!(history.newer().as_deref(), Some("typed"));
        assert_eq!(history.newer(), None);
    }

    #[test]
    fn a_repeated_filter_moves_to_the_newest_place() {
        let mut history = History::default();
        for text in ["a", "b", "a"] {
            history.push(text);
        }
        assert_eq!(history.items(), ["b", "a"]);
    }
}
