//! The counts panel: opening it over the view, moving through its groups and values, and narrowing to
//! (or excluding) a value. Its figures follow the view batch by batch (see [`crate::store::counts`]).

use crate::app::keymap::Command;
use crate::app::quick;
use crate::app::state::{COUNTS_TOP as TOP_VALUES, CountsPanel, Mode, State};
use crate::store::counts::{Counts, HOUR};

const MINUTE: i64 = 60_000_000_000;
/// About this many buckets span the view when the panel opens, so a value's bar reads as a timeline.
const BUCKETS: i64 = 48;

impl State {
    pub(super) fn open_counts(&mut self) {
        let counts = Counts::new(&self.store, &self.view, self.bucket_width());
        self.mode = Mode::Counts(CountsPanel {
            counts,
            group: 0,
            row: 0,
        });
    }

    /// A bucket width that spreads the view over about [`BUCKETS`] buckets (a minute at least).
    fn bucket_width(&self) -> i64 {
        let indices = self.view.indices();
        let (Some(&first), Some(&last)) = (indices.first(), indices.last()) else {
            return HOUR;
        };
        let span = self.store.get(last).ts() - self.store.get(first).ts();
        (span / BUCKETS).max(MINUTE)
    }

    /// Brings the panel's figures up to date with the view (after a batch or a refilter): a batch costs
    /// what it holds.
    pub(super) fn update_counts(&mut self) {
        let panel = match &mut self.mode {
            Mode::Counts(panel) => Some(panel),
            Mode::Help { under, .. } => match under.as_mut() {
                Mode::Counts(panel) => Some(panel),
                _ => None,
            },
            _ => None,
        };
        if let Some(panel) = panel {
            panel.counts.update(&self.store, &self.view);
            let len = panel
                .counts
                .top(&self.store, panel.dimension(), TOP_VALUES)
                .len();
            panel.row = panel.row.min(len.saturating_sub(1));
        }
    }

    pub(super) fn counts_command(&mut self, command: Command) {
        let Mode::Counts(panel) = &mut self.mode else {
            return;
        };
        let groups = crate::store::counts::Dimension::ALL.len();
        let len = panel
            .counts
            .top(&self.store, panel.dimension(), TOP_VALUES)
            .len();
        let last = len.saturating_sub(1);
        match command {
            Command::Close => self.mode = Mode::List,
            Command::Help => self.open_help(),
            Command::Down => panel.row = (panel.row + 1).min(last),
            Command::Up => panel.row = panel.row.saturating_sub(1),
            Command::Top => panel.row = 0,
            Command::Bottom => panel.row = last,
            Command::NextGroup => {
                panel.group = (panel.group + 1) % groups;
                panel.row = 0;
            }
            Command::PrevGroup => {
                panel.group = (panel.group + groups - 1) % groups;
                panel.row = 0;
            }
            Command::NarrowValue => self.filter_by_value(false),
            Command::ExcludeValue => self.filter_by_value(true),
            _ => {}
        }
    }

    /// The value under the panel's cursor, with its filter key.
    pub fn counts_choice(&self) -> Option<(&'static str, String)> {
        let Mode::Counts(panel) = &self.mode else {
            return None;
        };
        let dimension = panel.dimension();
        let top = panel.counts.top(&self.store, dimension, TOP_VALUES);
        top.get(panel.row)
            .map(|v| (dimension.key(), v.value.to_owned()))
    }

    /// Narrows the filter to the chosen value (or excludes it) and goes back to the list, the selection
    /// on the newest entry of the new view.
    fn filter_by_value(&mut self, exclude: bool) {
        let Some((key, value)) = self.counts_choice() else {
            self.notify("nothing to filter by: the view is empty".into(), true);
            return;
        };
        if value.is_empty() {
            self.notify(format!("these entries have no {key}"), true);
            return;
        }
        let current = self.filter.editor.text().to_owned();
        let text = if exclude {
            quick::exclude_term(&current, key, &value)
        } else {
            quick::narrow_term(&current, key, &value)
        };
        self.mode = Mode::List;
        self.cursor.following = true;
        self.set_filter_text(&text);
    }
}
