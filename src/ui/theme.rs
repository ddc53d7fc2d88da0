//! Named styles: every colour on screen comes from here, so meaning (failure, privilege, family) is
//! decided in one place.

use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier, Style};

/// The broad kind of an entry, from the part of its type before the colon.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    Auth,
    Admin,
    Api,
    User,
    Other,
}

impl Family {
    pub fn of(kind: &str) -> Family {
        match kind.split_once(':').map_or(kind, |(family, _)| family) {
            "auth" => Family::Auth,
            "admin" => Family::Admin,
            "api" => Family::Api,
            "user" => Family::User,
            _ => Family::Other,
        }
    }
}

/// A failed or refused action: `auth:failed`, anything ending in `:failed`, anything denied.
pub fn is_failure(kind: &str) -> bool {
    let lower = kind.to_ascii_lowercase();
    lower.contains("fail") || lower.contains("denied")
}

/// Privileged activity: every `admin:*` type.
pub fn is_privileged(kind: &str) -> bool {
    Family::of(kind) == Family::Admin
}

pub const FAILURE: Color = Color::LightRed;
pub const PRIVILEGED: Color = Color::LightMagenta;

/// The style of a whole log row: failures and privileged activity stand out from the rest.
pub fn row(kind: &str) -> Style {
    if is_failure(kind) {
        Style::new().fg(FAILURE).add_modifier(Modifier::BOLD)
    } else if is_privileged(kind) {
        Style::new().fg(PRIVILEGED)
    } else {
        Style::new()
    }
}

/// The style of the type cell, coloured by family.
pub fn kind(kind: &str) -> Style {
    if is_failure(kind) {
        return Style::new().fg(FAILURE).add_modifier(Modifier::BOLD);
    }
    match Family::of(kind) {
        Family::Auth => Style::new().fg(Color::Cyan),
        Family::Admin => Style::new().fg(PRIVILEGED).add_modifier(Modifier::BOLD),
        Family::Api => Style::new().fg(Color::Blue),
        Family::User => Style::new().fg(Color::Green),
        Family::Other => Style::new().fg(Color::Yellow),
    }
}

/// A mark in the first column, readable without colour.
pub fn marker(kind: &str) -> &'static str {
    if is_failure(kind) {
        "!"
    } else if is_privileged(kind) {
        "#"
    } else {
        " "
    }
}

/// The second mark: what the entry shows that is new for its user (see `store::first_seen`), readable
/// without colour.
pub fn new_marker(flags: u8) -> &'static str {
    use crate::store::first_seen::{FIRST_OF_USER, NEW_IP, NEW_TYPE, NEW_UA};
    if flags & NEW_IP != 0 {
        "+"
    } else if flags & (NEW_UA | NEW_TYPE) != 0 {
        "*"
    } else if flags & FIRST_OF_USER != 0 {
        "^"
    } else {
        " "
    }
}

/// The legend of both marks, for the help.
pub const MARK_LEGEND: &str =
    "Marks: ● marked  ! failed  # admin  + new IP  * new agent/type  ^ first";

/// Drawn in the first column of a row the user marked (in place of `!` or `#`, which the row's
/// colour and type still tell).
pub const MARKED: &str = "●";

pub fn marked() -> Style {
    Style::new()
        .fg(Color::LightMagenta)
        .add_modifier(Modifier::BOLD)
}

pub fn new_mark() -> Style {
    Style::new()
        .fg(Color::LightYellow)
        .add_modifier(Modifier::BOLD)
}

/// A row that matches the search in effect.
pub fn search_hit() -> Style {
    Style::new()
        .fg(Color::Black)
        .bg(Color::Yellow)
        .add_modifier(Modifier::UNDERLINED)
}

pub fn selected() -> Style {
    Style::new()
        .bg(Color::DarkGray)
        .add_modifier(Modifier::BOLD)
}

pub fn heading() -> Style {
    Style::new()
        .fg(Color::Gray)
        .add_modifier(Modifier::BOLD | Modifier::UNDERLINED)
}

pub fn dim() -> Style {
    Style::new().fg(Color::DarkGray)
}

pub fn title() -> Style {
    Style::new()
        .fg(Color::LightCyan)
        .add_modifier(Modifier::BOLD)
}

pub fn key() -> Style {
    Style::new()
        .fg(Color::LightYellow)
        .add_modifier(Modifier::BOLD)
}

pub fn bar() -> Style {
    Style::new().bg(Color::Rgb(30, 30, 40))
}

pub fn filter_focused() -> Style {
    Style::new().fg(Color::White).bg(Color::Rgb(20, 40, 60))
}

pub fn error() -> Style {
    Style::new().fg(FAILURE).add_modifier(Modifier::BOLD)
}

/// The character a query error points at.
pub fn error_mark() -> Style {
    Style::new()
        .fg(Color::White)
        .bg(FAILURE)
        .add_modifier(Modifier::BOLD | Modifier::UNDERLINED)
}

pub fn warning() -> Style {
    Style::new().fg(Color::Yellow)
}

pub fn ok() -> Style {
    Style::new().fg(Color::LightGreen)
}

pub fn activity() -> Style {
    Style::new().fg(Color::Cyan)
}

pub fn field_name() -> Style {
    Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_fall_into_families_by_their_prefix() {
        let cases = [
            ("auth:login", Family::Auth),
            ("admin:add_users", Family::Admin),
            ("api:audit_log_fetch", Family::Api),
            ("user:outlook_add_in_ask", Family::User),
            ("billing:new_thing", Family::Other),
            ("nocolon", Family::Other),
        ];
        for (kind, family) in cases {
            assert_eq!(Family::of(kind), family, "{kind}");
        }
    }

    #[test]
    fn failures_and_privilege_are_recognised() {
        for kind in ["auth:failed", "api:upload_failed", "vault:access_denied"] {
            assert!(is_failure(kind), "{kind}");
        }
        for kind in ["auth:login", "admin:add_users", "api:create_query"] {
            assert!(!is_failure(kind), "{kind}");
        }
        assert!(is_privileged("admin:fetch_workspace_users"));
        assert!(!is_privileged("api:admin_thing"));
    }
}

/// The screen without colour (`--color never`, `NO_COLOR`): every colour is dropped, and a cell that stood
/// out by its background (the selected row, the bars) is shown reversed instead. Failures and privileged
/// activity keep their bold text and their `!` / `#` markers, so no meaning is lost with the colour.
pub fn without_colour(buf: &mut Buffer) {
    for cell in buf.content.iter_mut() {
        let stood_out = cell.bg != Color::Reset;
        cell.set_fg(Color::Reset);
        cell.set_bg(Color::Reset);
        if stood_out {
            cell.modifier.insert(Modifier::REVERSED);
        }
    }
}

#[cfg(test)]
mod colour_tests {
    use super::*;
    use ratatui::layout::Rect;

    #[test]
    fn without_colour_keeps_what_stood_out_reversed_and_the_bold() {
        let mut buf = Buffer::empty(Rect::new(0, 0, 3, 1));
        buf[(0, 0)].set_style(row("auth:failed")).set_symbol("!");
        buf[(1, 0)].set_style(selected());
        buf[(2, 0)].set_style(kind("api:x"));
        without_colour(&mut buf);
        for cell in buf.content.iter() {
            assert_eq!((cell.fg, cell.bg), (Color::Reset, Color::Reset));
        }
        assert!(buf[(0, 0)].modifier.contains(Modifier::BOLD));
        assert_eq!(buf[(0, 0)].symbol(), "!");
        assert!(
            buf[(1, 0)].modifier.contains(Modifier::REVERSED),
            "the selection still shows"
        );
        assert!(!buf[(2, 0)].modifier.contains(Modifier::REVERSED));
    }
}
