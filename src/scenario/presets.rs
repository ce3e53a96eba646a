//! The teaching presets (issue #23): one scenario per small-sample pitfall,
//! embedded in the library so that the binary works outside the repository
//! and the classroom page offers the same list. Each is a file of
//! `configs/pitfalls/` whose first line is `# Question: …`, the one-line
//! question it answers; the comment below it says the mechanism, what to
//! look at and the result to expect.

use super::Study;
use crate::error::{Error, Result, Setting};

/// One preset: its name (the file's stem and its `name` key), its text,
/// and where its lesson shows.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Preset {
    /// The name `trialsim run --preset` takes.
    pub name: &'static str,
    /// The pitfall in a few words, for the README's table.
    pub pitfall: &'static str,
    /// The scenario file's text, comments included.
    pub text: &'static str,
    /// The numbers that show the lesson.
    pub headline: &'static [Headline],
    /// The figure (file stem under `plots/`) that shows it; empty where
    /// none does.
    pub figure: &'static str,
}

/// Which results a headline number is read from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Group {
    /// The design point's trial metrics.
    Trial,
    /// Its simulated literature's metrics.
    Meta,
    /// Its per-visit metrics at this month.
    Visit(f64),
}

/// One number of a preset's headline: metric `metric` of group `group` at
/// design point `point`, shown as `label`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Headline {
    /// How the README's table names it, e.g. `"exaggeration (type M)"`.
    pub label: &'static str,
    /// The design point (0-based, as in `summary.json`).
    pub point: usize,
    /// Its group.
    pub group: Group,
    /// The metric's output name, e.g. `"type_m"`.
    pub metric: &'static str,
    /// Shown as a percentage (a share), else with two decimals.
    pub percent: bool,
}

/// The prefix of a preset's first line.
const QUESTION: &str = "# Question: ";

impl Preset {
    /// The one-line question the preset answers (its first line, without
    /// the `# Question: ` prefix).
    pub fn question(&self) -> &'static str {
        self.text
            .lines()
            .next()
            .and_then(|l| l.strip_prefix(QUESTION))
            .unwrap_or("")
            .trim()
    }

    /// The preset as a study.
    ///
    /// # Errors
    /// Never for a shipped preset (tested); a validation error otherwise.
    pub fn study(&self) -> Result<Study> {
        Study::from_toml_str(self.text, &format!("preset {}", self.name))
    }
}

/// A preset from its name (the file `configs/pitfalls/NAME.toml`).
macro_rules! preset {
    ($name:literal, $pitfall:literal, $figure:literal, [$($headline:expr),* $(,)?]) => {
        Preset {
            name: $name,
            pitfall: $pitfall,
            text: include_str!(concat!("../../configs/pitfalls/", $name, ".toml")),
            headline: &[$($headline),*],
            figure: $figure,
        }
    };
}

/// A headline share (a percentage) of design point `point`'s group.
const fn share(label: &'static str, point: usize, group: Group, metric: &'static str) -> Headline {
    Headline {
        label,
        point,
        group,
        metric,
        percent: true,
    }
}

/// A headline number (two decimals) of design point `point`'s group.
const fn number(label: &'static str, point: usize, group: Group, metric: &'static str) -> Headline {
    Headline {
        label,
        point,
        group,
        metric,
        percent: false,
    }
}

/// Every preset, in teaching order.
pub const PRESETS: &[Preset] = &[
    preset!(
        "winners_curse",
        "Winner's curse",
        "estimates",
        [
            number("exaggeration (type M) at 15/arm", 1, Group::Trial, "type_m"),
            share("wrong sign (type S)", 1, Group::Trial, "type_s"),
        ]
    ),
    preset!(
        "heterogeneity",
        "Significant, yet does not generalise",
        "forest",
        [
            share("meta-analysis significant", 0, Group::Meta, "significant"),
            share(
                "significant while the prediction interval includes 0",
                0,
                Group::Meta,
                "significant_pi_includes_zero"
            ),
        ]
    ),
    preset!(
        "effect_decay",
        "Early relief, fading benefit",
        "visits",
        [
            share("power at 3 months", 0, Group::Visit(3.0), "power"),
            share("at 12", 0, Group::Visit(12.0), "power"),
            share("at 24", 0, Group::Visit(24.0), "power"),
        ]
    ),
    preset!(
        "dropout_mnar",
        "Dropout of patients not improving (MNAR)",
        "",
        [
            number("bias, complete case", 0, Group::Trial, "bias"),
            number("LOCF", 1, Group::Trial, "bias"),
            number("BOCF", 2, Group::Trial, "bias"),
        ]
    ),
    preset!(
        "publication_bias",
        "Selective publication of a null therapy",
        "funnel",
        [
            share("meta-analysis significant", 0, Group::Meta, "significant"),
            number("pooled bias", 0, Group::Meta, "meta_bias_naive"),
            number(
                "selection model's bias",
                0,
                Group::Meta,
                "meta_bias_selection"
            ),
            share("Egger detects", 0, Group::Meta, "egger_detects"),
        ]
    ),
    preset!(
        "regression_to_mean",
        "Regression to the mean",
        "",
        [
            share(
                "control patients 20 points better, all enrolled",
                0,
                Group::Trial,
                "responder_rate_control"
            ),
            share(
                "with pain ≥ 60 to enter",
                2,
                Group::Trial,
                "responder_rate_control"
            ),
            share("power (no effect)", 2, Group::Trial, "power"),
        ]
    ),
    preset!(
        "rare_harms",
        "Rare serious harms",
        "",
        [
            share(
                "trials that see a serious event",
                0,
                Group::Trial,
                "sae_any_treatment"
            ),
            share("rule out 1%", 0, Group::Trial, "sae_ruled_out"),
            share("rule out 3%", 2, Group::Trial, "sae_ruled_out"),
        ]
    ),
    preset!(
        "msc_literature",
        "The MSC literature, end to end",
        "forest",
        [
            share("meta-analysis significant", 0, Group::Meta, "significant"),
            share(
                "prediction interval includes 0",
                0,
                Group::Meta,
                "significant_pi_includes_zero"
            ),
            number("pooled exaggeration", 0, Group::Meta, "type_m"),
            number("a trial's exaggeration", 0, Group::Trial, "type_m"),
        ]
    ),
    preset!(
        "forking_paths",
        "Forking paths",
        "forking_paths",
        [
            share(
                "some path significant",
                0,
                Group::Trial,
                "forking_any_significant"
            ),
            share("pre-specified", 0, Group::Trial, "power_favourable"),
            share("after Holm", 0, Group::Trial, "holm_any_significant"),
        ]
    ),
    preset!(
        "dichotomania",
        "Dichotomania",
        "responder_power",
        [
            share("power at 60/arm, pain score", 2, Group::Trial, "power"),
            share("responders", 2, Group::Trial, "responder_power"),
        ]
    ),
    preset!(
        "missing_data_done_right",
        "Missing data done right (MAR)",
        "",
        [
            number("bias, complete case", 0, Group::Trial, "bias"),
            number("LOCF", 1, Group::Trial, "bias"),
            number("MMRM", 2, Group::Trial, "bias"),
        ]
    ),
];

/// The preset called `name`.
///
/// # Errors
/// [`Error::Setting`] naming the value and the presets there are.
pub fn preset(name: &str) -> Result<&'static Preset> {
    PRESETS.iter().find(|p| p.name == name).ok_or_else(|| {
        let names: Vec<&str> = PRESETS.iter().map(|p| p.name).collect();
        Error::setting(
            Setting::Preset,
            name,
            format!(
                "no such preset; the presets are {} (`trialsim presets` says what each shows)",
                names.join(", ")
            ),
        )
    })
}

/// `trialsim presets`: one line per preset, its name, two spaces, its
/// question.
pub fn listing() -> String {
    PRESETS
        .iter()
        .map(|p| format!("{}  {}\n", p.name, p.question()))
        .collect()
}
