//! Sweeps: `[sweep]` turns one scenario into a grid of design points.
//!
//! Each key of `[sweep]` is the dotted path of a scalar or enum-valued
//! scenario key (`"design.n_per_arm"`, `"analysis.missing"`, and array
//! elements as `"heterogeneity.factors[0].levels[1].shift"`) with a list of
//! values. Several keys form a full grid in file order, the last key varying
//! fastest. Every design point is the scenario's TOML table patched at those
//! paths and validated like a scenario, so an invalid value is reported with
//! its design point and path. All design points share the replicate streams
//! (common random numbers, MODEL.md §5).

use super::{Scenario, file, parse_table, suggest};
use crate::error::{Error, Result};

/// Keys that a sweep may not vary: they define the run, not a design point.
const NOT_SWEEPABLE: [&str; 3] = ["name", "seed", "replicates"];
/// Most design points a sweep may have.
pub const MAX_DESIGN_POINTS: usize = 10_000;

/// One design point: the swept keys' values and the validated scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct DesignPoint {
    /// `(dotted path, value)` of each swept key, in sweep order.
    pub params: Vec<(String, toml::Value)>,
    /// The scenario at this point.
    pub scenario: Scenario,
}

/// A scenario file with all its design points.
#[derive(Debug, Clone, PartialEq)]
pub struct Study {
    /// Scenario name (output folder).
    pub name: String,
    /// Seed of the run.
    pub seed: u64,
    /// Replicates per design point.
    pub replicates: u64,
    /// The swept keys and their values, in file order.
    pub sweep: Vec<(String, Vec<toml::Value>)>,
    /// The design points, the last swept key varying fastest.
    pub points: Vec<DesignPoint>,
    /// Warnings about what the file says but may not mean: keys without
    /// effect under the chosen options, an effect that harms.
    pub warnings: Vec<String>,
    /// The scenario table without `[sweep]`, for patching (`size`).
    base: toml::Table,
    /// That table validated: the file's own values of the swept keys, which
    /// `scenario.resolved.toml` shows beside the `[sweep]`.
    base_scenario: Scenario,
}

impl From<Scenario> for Study {
    fn from(scenario: Scenario) -> Self {
        // The resolved scenario is a serde struct of tables and values: it
        // always serialises to a table (tested by every `size` test).
        let base = toml::Table::try_from(&scenario.resolved)
            .expect("a resolved scenario serialises to a TOML table");
        // Without a file there is no key "given": only the harm is told.
        let warnings = super::warnings::warnings(std::iter::once(&scenario), |_| false);
        Study {
            name: scenario.name.clone(),
            seed: scenario.seed,
            replicates: scenario.replicates,
            warnings,
            sweep: Vec::new(),
            points: vec![DesignPoint {
                params: Vec::new(),
                scenario: scenario.clone(),
            }],
            base,
            base_scenario: scenario,
        }
    }
}

impl Study {
    /// Parses and validates a scenario file with its sweep.
    ///
    /// # Errors
    /// Everything [`Scenario::from_toml_str`] reports, plus invalid sweeps and
    /// design points (named by index and swept values).
    pub fn from_toml_str(text: &str, origin: &str) -> Result<Self> {
        Self::from_table(parse_table(text, origin)?)
    }

    /// A scenario file's text with some keys set (dotted paths, as in
    /// `[sweep]`) and, when `sweep` is given, its `[sweep]` replaced by that
    /// one (empty: none): what the classroom page runs when a slider moves.
    /// [`Study::resolved_toml`] of the result is a file that runs the same.
    ///
    /// # Errors
    /// As [`Study::from_toml_str`], plus an unknown key path, named.
    pub fn from_toml_with(
        text: &str,
        origin: &str,
        set: &[(String, toml::Value)],
        sweep: Option<&[(String, Vec<toml::Value>)]>,
    ) -> Result<Self> {
        let mut table = parse_table(text, origin)?;
        for (path, value) in set {
            check_path(path)?;
            set_path(&mut table, path, value.clone())
                .map_err(|m| Error::Usage(format!("{path}: {m}")))?;
        }
        if let Some(sweep) = sweep {
            table.remove("sweep");
            if !sweep.is_empty() {
                let grid = sweep
                    .iter()
                    .map(|(k, v)| (k.clone(), toml::Value::Array(v.clone())))
                    .collect();
                table.insert("sweep".to_string(), toml::Value::Table(grid));
            }
        }
        Self::from_table(table)
    }

    /// The embedded default scenario with its sweep.
    pub fn default_study() -> Self {
        Self::from_toml_str(super::DEFAULT_SCENARIO, "configs/msc_knee_oa.toml")
            .expect("the embedded default scenario is valid (tested)")
    }

    /// Validates a table with an optional `[sweep]`.
    pub fn from_table(mut table: toml::Table) -> Result<Self> {
        let sweep = match table.remove("sweep") {
            None => Vec::new(),
            Some(toml::Value::Table(t)) => parse_sweep(t)?,
            Some(other) => {
                return Err(Error::Shape {
                    field: "sweep".to_string(),
                    message: format!(
                        "must be one table of \"dotted.key\" = [values] ([sweep]), not {}",
                        match other {
                            toml::Value::Array(_) => "a list of tables ([[sweep]])",
                            _ => "a single value",
                        }
                    ),
                });
            }
        };
        // The file's own values are checked as if there were no sweep: a
        // sweep must not hide an invalid base value, and an error there is
        // the file's, not a design point's.
        // A required key the file sets only in its [sweep] takes the first
        // swept value there.
        let mut base_table = table.clone();
        for (path, values) in &sweep {
            if get_path(&base_table, path).is_none()
                && let Some(first) = values.first()
            {
                set_path(&mut base_table, path, first.clone())
                    .map_err(|m| Error::Usage(format!("sweep.\"{path}\": {m}")))?;
            }
        }
        let base_scenario = Scenario::from_table(base_table)?;
        let grid = grid(&sweep)?;
        let mut points = Vec::with_capacity(grid.len());
        for (j, params) in grid.into_iter().enumerate() {
            let mut patched = table.clone();
            for (path, value) in &params {
                set_path(&mut patched, path, value.clone())
                    .map_err(|m| Error::Usage(format!("sweep.\"{path}\": {m}")))?;
            }
            let scenario = if params.is_empty() {
                base_scenario.clone()
            } else {
                Scenario::from_table(patched).map_err(|e| {
                    Error::Usage(format!(
                        "sweep design point {j} ({}): {e}",
                        describe(&params)
                    ))
                })?
            };
            points.push(DesignPoint { params, scenario });
        }
        let warnings = super::warnings::warnings(points.iter().map(|p| &p.scenario), |key| {
            get_path(&table, key).is_some() || sweep.iter().any(|(k, _)| k == key)
        });
        let first = &points[0].scenario;
        Ok(Study {
            warnings,
            name: first.name.clone(),
            seed: first.seed,
            replicates: first.replicates,
            sweep,
            points,
            base: table,
            base_scenario,
        })
    }

    /// The base scenario with one key set to a value (used by `size`).
    ///
    /// # Errors
    /// An invalid path or value, named.
    pub fn patched(&self, path: &str, value: toml::Value) -> Result<Scenario> {
        check_path(path)?;
        let mut table = self.base.clone();
        set_path(&mut table, path, value).map_err(|m| Error::Usage(format!("{path}: {m}")))?;
        let mut sc = Scenario::from_table(table)?;
        sc.seed = self.seed;
        sc.replicates = self.replicates;
        Ok(sc)
    }

    /// The resolved file's value at a dotted key path, if it has one.
    pub fn base_value(&self, path: &str) -> Option<&toml::Value> {
        get_path(&self.base, path)
    }

    /// The scenario file without its `[sweep]`, validated.
    pub fn base_scenario(&self) -> &Scenario {
        &self.base_scenario
    }

    /// The design point whose swept values are the scenario file's own values
    /// of those keys (the design the file describes), or 0 if none is.
    pub fn focus_point(&self) -> usize {
        self.points
            .iter()
            .position(|p| {
                p.params
                    .iter()
                    .all(|(k, v)| get_path(&self.base, k).is_some_and(|b| b == v))
            })
            .unwrap_or(0)
    }

    /// Sets the seed of the run (every design point).
    pub fn set_seed(&mut self, seed: u64) {
        self.seed = seed;
        self.base_scenario.seed = seed;
        self.points.iter_mut().for_each(|p| p.scenario.seed = seed);
    }

    /// Sets the number of replicates per design point.
    pub fn set_replicates(&mut self, replicates: u64) {
        self.replicates = replicates;
        self.base_scenario.replicates = replicates;
        self.points
            .iter_mut()
            .for_each(|p| p.scenario.replicates = replicates);
    }

    /// `scenario.resolved.toml`: the file's own scenario resolved (its values
    /// of the swept keys too), plus the `[sweep]`; running it reproduces
    /// the run.
    ///
    /// # Errors
    /// [`Error::Internal`] when a design point's scenario was changed after
    /// validation (see [`Scenario::resolved_toml`]).
    pub fn resolved_toml(&self, seed: u64, replicates: u64) -> Result<String> {
        for point in &self.points {
            point.scenario.resolved_toml(seed, replicates)?;
        }
        let mut text = self.base_scenario.resolved_toml(seed, replicates)?;
        if !self.sweep.is_empty() {
            let mut table = toml::Table::new();
            for (k, values) in &self.sweep {
                table.insert(k.clone(), toml::Value::Array(values.clone()));
            }
            let mut wrapper = toml::Table::new();
            wrapper.insert("sweep".to_string(), toml::Value::Table(table));
            text.push('\n');
            text.push_str(&toml::to_string(&wrapper).expect("a sweep serialises to TOML"));
        }
        Ok(text)
    }
}

/// `k1 = v1, k2 = v2`.
pub fn describe(params: &[(String, toml::Value)]) -> String {
    params
        .iter()
        .map(|(k, v)| format!("{k} = {v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn parse_sweep(t: toml::Table) -> Result<Vec<(String, Vec<toml::Value>)>> {
    let mut out = Vec::with_capacity(t.len());
    for (key, value) in t {
        let field = format!("sweep.\"{key}\"");
        check_path(&key).map_err(|e| match e {
            Error::UnknownKey { hint, .. } => Error::UnknownKey {
                field: field.clone(),
                hint,
            },
            other => other,
        })?;
        let toml::Value::Array(values) = value else {
            return Err(Error::invalid(
                field,
                value,
                "must be a list of values, e.g. [10, 20, 40]",
            ));
        };
        if values.is_empty() {
            return Err(Error::invalid(field, "[]", "must list at least one value"));
        }
        if let Some(bad) = values
            .iter()
            .find(|v| matches!(v, toml::Value::Array(_) | toml::Value::Table(_)))
        {
            return Err(Error::invalid(
                field,
                bad,
                "sweep values must be numbers, strings or booleans",
            ));
        }
        out.push((key, values));
    }
    Ok(out)
}

/// The full grid, last key fastest.
fn grid(sweep: &[(String, Vec<toml::Value>)]) -> Result<Vec<Vec<(String, toml::Value)>>> {
    let size = sweep
        .iter()
        .try_fold(1usize, |acc, (_, v)| acc.checked_mul(v.len()))
        .unwrap_or(usize::MAX);
    if size > MAX_DESIGN_POINTS {
        return Err(Error::invalid(
            "sweep",
            format!("{size} design points"),
            format!("at most {MAX_DESIGN_POINTS} design points"),
        ));
    }
    let mut points: Vec<Vec<(String, toml::Value)>> = vec![Vec::new()];
    for (key, values) in sweep {
        points = points
            .into_iter()
            .flat_map(|p| {
                values.iter().map(move |v| {
                    let mut q = p.clone();
                    q.push((key.clone(), v.clone()));
                    q
                })
            })
            .collect();
    }
    Ok(points)
}

/// One step of a dotted path: a key, optionally indexed (`factors[0]`).
pub(super) fn segments(path: &str) -> Option<Vec<(&str, Option<usize>)>> {
    path.split('.')
        .map(|seg| match seg.split_once('[') {
            None if !seg.is_empty() => Some((seg, None)),
            Some((name, rest)) if !name.is_empty() => {
                let idx = rest.strip_suffix(']')?.parse().ok()?;
                Some((name, Some(idx)))
            }
            _ => None,
        })
        .collect()
}

/// Checks that a dotted path names a sweepable key of the scenario format.
///
/// # Errors
/// [`Error::UnknownKey`] (with a hint) or [`Error::Invalid`].
pub fn check_path(path: &str) -> Result<()> {
    let segs = segments(path).ok_or_else(|| {
        Error::invalid(
            format!("sweep.\"{path}\""),
            format!("{path:?}"),
            "must be a dotted key path such as \"design.n_per_arm\" or \"heterogeneity.factors[0].levels[1].shift\"",
        )
    })?;
    let leaf = segs.last().expect("split yields at least one segment").0;
    let parent: Vec<&str> = segs[..segs.len() - 1].iter().map(|(k, _)| *k).collect();
    let parent = parent.join(".");
    let known = file::known_keys(&parent);
    if NOT_SWEEPABLE.contains(&path) || ["sweep", "meta_analysis"].contains(&path) {
        return Err(Error::invalid(
            format!("sweep.\"{path}\""),
            path,
            "name, seed, replicates and sections cannot be swept",
        ));
    }
    if !known.contains(&leaf) {
        let hint = suggest(leaf, known)
            .map(|k| {
                let full = if parent.is_empty() {
                    k.to_string()
                } else {
                    format!("{parent}.{k}")
                };
                format!("; did you mean `{full}`?")
            })
            .unwrap_or_default();
        return Err(Error::UnknownKey {
            field: path.to_string(),
            hint,
        });
    }
    Ok(())
}

/// The value at `path` in `table`, if there is one.
fn get_path<'a>(table: &'a toml::Table, path: &str) -> Option<&'a toml::Value> {
    let segs = segments(path)?;
    let mut current: &toml::Value = table.get(segs[0].0)?;
    if let Some(i) = segs[0].1 {
        current = current.as_array()?.get(i)?;
    }
    for (key, index) in &segs[1..] {
        current = current.as_table()?.get(*key)?;
        if let Some(i) = index {
            current = current.as_array()?.get(*i)?;
        }
    }
    Some(current)
}

/// Sets `path` in `table` to `value`, creating missing tables on the way;
/// the error says which part of the path does not exist.
fn set_path(
    table: &mut toml::Table,
    path: &str,
    value: toml::Value,
) -> std::result::Result<(), String> {
    let segs = segments(path).ok_or_else(|| "not a key path".to_string())?;
    let missing = |at: &str| format!("{at} does not exist in the scenario");
    let mut current = table;
    for (i, (key, index)) in segs.iter().enumerate() {
        let last = i + 1 == segs.len();
        match index {
            None if last => {
                current.insert(key.to_string(), value);
                return Ok(());
            }
            None => {
                let entry = current
                    .entry(key.to_string())
                    .or_insert_with(|| toml::Value::Table(toml::Table::new()));
                current = entry
                    .as_table_mut()
                    .ok_or_else(|| missing(&format!("table {key}")))?;
            }
            Some(idx) => {
                let array = current
                    .get_mut(*key)
                    .and_then(|v| v.as_array_mut())
                    .ok_or_else(|| missing(key))?;
                let element = array
                    .get_mut(*idx)
                    .ok_or_else(|| missing(&format!("{key}[{idx}]")))?;
                if last {
                    *element = value;
                    return Ok(());
                }
                current = element
                    .as_table_mut()
                    .ok_or_else(|| missing(&format!("table {key}[{idx}]")))?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Keys set and the sweep replaced give the study of the edited file,
    /// and its resolved file gives the same study back.
    #[test]
    fn a_study_with_values_set_is_the_edited_file() {
        let set = [
            ("design.n_per_arm".to_string(), toml::Value::Integer(30)),
            ("heterogeneity.tau".to_string(), toml::Value::Float(2.5)),
        ];
        let sweep = [(
            "design.n_per_arm".to_string(),
            vec![toml::Value::Integer(10), toml::Value::Integer(30)],
        )];
        let text = super::super::DEFAULT_SCENARIO;
        let study = Study::from_toml_with(text, "default", &set, Some(&sweep)).unwrap();
        assert_eq!(study.points.len(), 2);
        assert_eq!(study.focus_point(), 1);
        assert_eq!(study.base_scenario().design.n_treatment, 30);
        assert_eq!(study.base_scenario().heterogeneity.tau, 2.5);
        let again = Study::from_toml_str(&study.resolved_toml(1, 250).unwrap(), "again").unwrap();
        assert_eq!(again.points.len(), 2);
        assert_eq!(again.points[1].scenario.heterogeneity.tau, 2.5);
        let single = Study::from_toml_with(text, "default", &set, Some(&[])).unwrap();
        assert_eq!(single.points.len(), 1);
        let unknown = [("design.n_per_armz".to_string(), toml::Value::Integer(3))];
        let err = Study::from_toml_with(text, "default", &unknown, None).unwrap_err();
        assert!(err.to_string().contains("design.n_per_armz"), "{err}");
    }

    #[test]
    fn grid_is_full_in_file_order_last_key_fastest() {
        let sweep = vec![
            (
                "a".to_string(),
                vec![toml::Value::Integer(1), toml::Value::Integer(2)],
            ),
            (
                "b".to_string(),
                vec![
                    toml::Value::from("x"),
                    toml::Value::from("y"),
                    toml::Value::from("z"),
                ],
            ),
        ];
        let g = grid(&sweep).unwrap();
        assert_eq!(g.len(), 6);
        assert_eq!(describe(&g[0]), "a = 1, b = \"x\"");
        assert_eq!(describe(&g[1]), "a = 1, b = \"y\"");
        assert_eq!(describe(&g[3]), "a = 2, b = \"x\"");
    }

    #[test]
    fn paths_with_indices_patch_array_elements() {
        let mut t: toml::Table = "[h]\nf = [{ s = 1.0 }, { s = 2.0 }]\n".parse().unwrap();
        set_path(&mut t, "h.f[1].s", toml::Value::Float(5.0)).unwrap();
        assert_eq!(t["h"]["f"][1]["s"].as_float(), Some(5.0));
        assert!(set_path(&mut t, "h.f[7].s", toml::Value::Float(5.0)).is_err());
        set_path(&mut t, "new.key", toml::Value::Integer(3)).unwrap();
        assert_eq!(t["new"]["key"].as_integer(), Some(3));
    }

    #[test]
    fn default_study_sweeps_n_per_arm() {
        let study = Study::default_study();
        assert!(study.points.len() > 1);
        assert_eq!(study.sweep[0].0, "design.n_per_arm");
        // The base scenario (n = 15) is what the default scenario means without a sweep.
        assert_eq!(Scenario::default_scenario().design.n_control, 15);
    }
}
