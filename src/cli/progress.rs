//! The progress bar on stderr (indicatif), shown only where a person watches:
//! stderr is a terminal, `CI` is unset, `--quiet` was not given, and the run
//! has lasted more than a second. `NO_COLOR` turns colour off.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Runs shorter than this never show a bar.
const DELAY: Duration = Duration::from_secs(1);

/// Whether a progress bar may be drawn (pure, so it is tested).
pub fn enabled(stderr_is_terminal: bool, ci: bool, quiet: bool) -> bool {
    stderr_is_terminal && !ci && !quiet
}

/// A rate as the progress line and `run` print it: whole trials per
/// second, thousands grouped (`18 132 trials/s`).
pub fn rate(per_second: f64) -> String {
    let whole = if per_second.is_finite() && per_second > 0.0 {
        per_second.round() as u64
    } else {
        0
    };
    format!(
        "{} trials/s",
        trialsim::output::format::group_thousands(whole)
    )
}

/// A progress bar that appears after [`DELAY`] if [`enabled`].
pub struct Bar {
    bar: Option<ProgressBar>,
    started: Instant,
    shown: Mutex<bool>,
}

impl Bar {
    /// A bar for this process's stderr and environment.
    pub fn new(quiet: bool) -> Self {
        let on = enabled(
            std::io::stderr().is_terminal(),
            std::env::var_os("CI").is_some(),
            quiet,
        );
        let bar = on.then(|| {
            let colour = std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
            let template = if colour {
                "{elapsed_precise} [{bar:30.cyan/blue}] {human_pos}/{human_len} trials ({rate}, ETA {eta})"
            } else {
                "{elapsed_precise} [{bar:30}] {human_pos}/{human_len} trials ({rate}, ETA {eta})"
            };
            let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::hidden());
            if let Ok(style) = ProgressStyle::with_template(template) {
                // indicatif's own {per_sec} prints "18132.4567/s".
                let style = style.with_key(
                    "rate",
                    |state: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                        let _ = w.write_str(&rate(state.per_sec()));
                    },
                );
                bar.set_style(style.progress_chars("=> "));
            }
            bar
        });
        Bar {
            bar,
            started: Instant::now(),
            shown: Mutex::new(false),
        }
    }

    /// Records progress: `done` of `total` trials.
    pub fn update(&self, done: u64, total: u64) {
        let Some(bar) = &self.bar else { return };
        bar.set_length(total);
        bar.set_position(done);
        if self.started.elapsed() >= DELAY
            && let Ok(mut shown) = self.shown.lock()
            && !*shown
        {
            bar.set_draw_target(ProgressDrawTarget::stderr());
            *shown = true;
        }
    }

    /// Removes the bar.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{enabled, rate};

    #[test]
    fn rates_are_whole_trials_per_second() {
        assert_eq!(rate(18_132.456_7), "18 132 trials/s");
        assert_eq!(rate(999.5), "1 000 trials/s");
        assert_eq!(rate(f64::NAN), "0 trials/s");
    }

    #[test]
    fn bar_only_on_an_interactive_terminal() {
        assert!(enabled(true, false, false));
        assert!(!enabled(false, false, false), "piped stderr");
        assert!(!enabled(true, true, false), "CI");
        assert!(!enabled(true, false, true), "--quiet");
    }
}
