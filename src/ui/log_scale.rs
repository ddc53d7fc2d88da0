//! Bars on a log scale: one burst of thousands must not flatten the minutes of a handful around it.

/// Empty, then eight heights.
const LEVELS: [char; 9] = [' ', '▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// The bar for `n` of a scale whose top is `peak`: empty for nothing, at least the lowest bar for one,
/// the full bar for the peak, log-spaced between.
pub fn cell(n: u64, peak: u64) -> char {
    let scale = ((peak + 1) as f64).ln();
    if n == 0 || scale == 0.0 {
        return LEVELS[0];
    }
    let level = (((n + 1) as f64).ln() / scale * 8.0).ceil() as usize;
    LEVELS[level.clamp(1, 8)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_shows_beside_thousands_and_the_peak_is_full() {
        assert_eq!(cell(0, 5000), ' ');
        assert_eq!(cell(1, 5000), '▁');
        assert!(cell(50, 5000) > '▃', "{}", cell(50, 5000));
        assert_eq!(cell(5000, 5000), '█');
        assert_eq!(cell(1, 1), '█');
        assert_eq!(cell(3, 0), ' ');
    }
}
