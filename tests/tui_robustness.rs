//! Any sequence of keys, clicks, resizes, ticks and arrivals leaves a state that draws and whose cursor is
//! inside the view.

mod tui_support;

use auditui::app::action::Action;
use auditui::app::keymap::Keymap;
use auditui::app::state::{Mode, State};
use auditui::poller::PollEvent;
use auditui::ui::screen::render;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use proptest::prelude::*;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use tui_support::{NOW, entry, incident};

#[derive(Debug, Clone)]
enum Step {
    Key(KeyCode, KeyModifiers),
    Resize(u16, u16),
    Click(u16),
    Scroll(i32),
    Tick(i64),
    Arrive(u32, i64),
}

fn key_code() -> impl Strategy<Value = KeyCode> {
    prop_oneof![
        proptest::sample::select("/?qjkgGfyYeEutiwLpnc \"*:-".chars().collect::<Vec<_>>())
            .prop_map(KeyCode::Char),
        Just(KeyCode::Enter),
        Just(KeyCode::Esc),
        Just(KeyCode::Tab),
        Just(KeyCode::BackTab),
        Just(KeyCode::Backspace),
        Just(KeyCode::Up),
        Just(KeyCode::Down),
        Just(KeyCode::PageUp),
        Just(KeyCode::PageDown),
        Just(KeyCode::Home),
        Just(KeyCode::End),
        Just(KeyCode::Left),
    ]
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        8 => (key_code(), prop_oneof![Just(KeyModifiers::NONE), Just(KeyModifiers::CONTROL)])
            .prop_map(|(code, mods)| Step::Key(code, mods)),
        1 => (1u16..200, 1u16..60).prop_map(|(w, h)| Step::Resize(w, h)),
        1 => (0u16..60).prop_map(Step::Click),
        1 => (-20i32..20).prop_map(Step::Scroll),
        1 => (0i64..7200).prop_map(Step::Tick),
        2 => (0u32..400, 0i64..90).prop_map(|(seq, ago)| Step::Arrive(seq, ago)),
    ]
}

fn apply(state: &mut State, step: &Step) {
    match step.clone() {
        Step::Key(code, mods) => {
            // Quitting is an effect for the loop; the state itself goes on.
            state.handle_key(KeyEvent::new(code, mods));
        }
        Step::Resize(width, height) => {
            state.update(Action::Resize { width, height });
        }
        Step::Click(row) => {
            state.update(Action::Click { column: 5, row });
        }
        Step::Scroll(rows) => {
            state.update(Action::Scroll(rows));
        }
        Step::Tick(secs) => {
            state.update(Action::Tick(NOW + secs * 1_000_000_000));
        }
        Step::Arrive(seq, ago) => {
            let kind = ["auth:failed", "admin:add_users", "api:create_query"][seq as usize % 3];
            let batch = vec![entry(
                1000 + seq,
                ago,
                kind,
                "p@example.com",
                "10.2.3.4",
                "{\"k\":1}",
            )];
            state.update(Action::Poll(PollEvent::Entries(batch)));
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn any_sequence_of_inputs_leaves_a_drawable_consistent_state(steps in proptest::collection::vec(step(), 1..60)) {
        let mut state = State::new(Keymap::defaults(), "prop", NOW);
        state.local_offset = chrono::FixedOffset::east_opt(0);
        state.update(Action::Poll(PollEvent::Entries(incident())));
        for step in &steps {
            apply(&mut state, step);
            let area = state.screen.header.union(state.screen.status);
            let mut terminal = Terminal::new(TestBackend::new(area.width, area.height)).unwrap();
            terminal.draw(|frame| render(&state, frame)).unwrap();
            if let Some(position) = state.selected_position() {
                prop_assert!(position < state.view.len());
                prop_assert!(state.top() <= position);
            }
            prop_assert!(state.top() <= state.view.len());
            prop_assert!(state.view.len() <= state.store.len());
            if let Mode::Detail(detail) = &state.mode {
                prop_assert!(detail.field < detail.doc.fields.len());
            }
        }
    }
}
