//! `trialsim retro`: Gelman–Carlin retrospective design.

use super::common::{print, to_json};
use trialsim::Result;

/// Runs the command.
pub fn retro(effect: f64, se: f64, alpha: f64, json: bool) -> Result<()> {
    let r = trialsim::meta::retro::retrodesign(effect, se, alpha)?;
    if json {
        print(&format!("{}\n", to_json(&r)?))
    } else {
        print(&format!(
            "effect {effect}, SE {se}, alpha {alpha} (two-sided; Gelman & Carlin 2014)\n  power         {:.4}\n  type S        {:.4}\n  exaggeration  {:.4}\n",
            r.power, r.type_s, r.exaggeration
        ))
    }
}
