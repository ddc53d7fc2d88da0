//! A panic can quote untrusted text (slicing a string names it): its message reaches stderr escaped.

use std::sync::Mutex;

static SHOWN: Mutex<String> = Mutex::new(String::new());
/// What the default hook would have printed: proof the case really carries raw controls.
static DEFAULT: Mutex<String> = Mutex::new(String::new());

#[test]
fn a_panic_quoting_hostile_text_is_described_with_escapes() {
    std::panic::set_hook(Box::new(|info| {
        *SHOWN.lock().unwrap() = auditui::terminal::describe_panic(info);
        *DEFAULT.lock().unwrap() = info.to_string();
    }));
    let hostile = String::from("user\u{1b}]52;c;eA==\u{7}é");
    let cut = hostile.len() - 1;
    let outcome = std::panic::catch_unwind(|| hostile[..cut].len());
    let _ = std::panic::take_hook();
    assert!(outcome.is_err(), "slicing inside a character panics");
    assert!(DEFAULT.lock().unwrap().contains('\u{1b}'));
    let shown = SHOWN.lock().unwrap().clone();
    assert!(shown.contains("panicked at"), "{shown}");
    assert!(shown.contains("user\\x1b]52;c;eA==\\x07"), "{shown}");
    assert!(!shown.contains(['\u{1b}', '\u{7}']), "{shown:?}");
}
