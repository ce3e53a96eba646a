//! Every metric's name, typed: a misspelt name is a compile error, never a
//! finding silently missing from the report or a column from the CSV. The
//! text of each name is the key users script against (INTERFACE.md).

/// Declares [`Metric`] with each variant's output name.
macro_rules! metric_names {
    ($($(#[$doc:meta])* $variant:ident = $name:literal,)*) => {
        /// A metric of MODEL.md §3 (trials, per visit) or §4 (meta-analysis).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Metric {
            $($(#[$doc])* $variant,)*
        }

        impl Metric {
            /// Every metric, in declaration order.
            pub const ALL: &[Metric] = &[$(Metric::$variant,)*];

            /// Its key in `summary.json`, `summary.csv` and the report.
            pub const fn name(self) -> &'static str {
                match self {
                    $(Metric::$variant => $name,)*
                }
            }
        }
    };
}

metric_names! {
    /// P(significant).
    Power = "power",
    /// P(significant with the estimate in the favourable direction).
    PowerFavourable = "power_favourable",
    /// P(wrong sign | significant), against the population truth.
    TypeS = "type_s",
    /// Exaggeration ratio given significance, against the population truth.
    TypeM = "type_m",
    /// Type S against each trial's own setting's truth.
    TypeSTrial = "type_s_trial",
    /// Exaggeration ratio against each trial's own setting's truth.
    TypeMTrial = "type_m_trial",
    /// Mean estimate minus the truth.
    Bias = "bias",
    /// Root mean squared error.
    Rmse = "rmse",
    /// P(CI contains the population truth).
    Coverage = "coverage",
    /// P(CI contains the trial's own setting's truth).
    CoverageTrial = "coverage_trial",
    /// P(significant favourable estimate beyond the MCID).
    McidClaim = "mcid_claim",
    /// P(the trial's setting truly reaches the MCID).
    TrueMcid = "true_mcid",
    /// P(the setting truly reaches the MCID | an MCID claim).
    ClaimTrue = "claim_true",
    /// P(still beyond the MCID at the last visit | significant favourable).
    Durable = "durable",
    /// P(a same-setting replication is significant favourable | significant favourable).
    ReplicationSame = "replication_same",
    /// P(a new-setting replication is significant favourable).
    ReplicationNew = "replication_new",
    /// Mean completers at the primary visit, control arm.
    CompletersControl = "completers_control",
    /// Mean completers at the primary visit, treatment arm.
    CompletersTreatment = "completers_treatment",
    /// Mean share dropped out by the primary visit, control arm.
    DropoutControl = "dropout_control",
    /// Mean share dropped out by the primary visit, treatment arm.
    DropoutTreatment = "dropout_treatment",
    /// P(the analysis is not estimable).
    NotEstimable = "not_estimable",
    /// Mean half-width of the interval the analysis reports (estimable trials).
    CiHalfwidth = "ci_halfwidth",
    /// P(the MMRM fell back from the unstructured covariance to a simpler one).
    MmrmFallback = "mmrm_fallback",
    /// P(no covariance structure of the MMRM converged).
    MmrmFailed = "mmrm_failed",
    /// How many distinct analysis paths `[forking_paths]` lists.
    ForkingPaths = "forking_paths",
    /// P(at least one path significant with a favourable estimate).
    ForkingAnySignificant = "forking_any_significant",
    /// Mean |estimate| / |truth at its visit| of the most significant path,
    /// given some path is significant and favourable.
    ForkingTypeM = "forking_type_m",
    /// P(Holm's step-down over every path rejects in the favourable direction).
    HolmAnySignificant = "holm_any_significant",
    /// P(at least one serious adverse event in the treatment arm).
    SaeAnyTreatment = "sae_any_treatment",
    /// Mean observed serious-event rate in the treatment arm.
    SaeRateTreatment = "sae_rate_treatment",
    /// Mean one-sided 95% Clopper–Pearson upper bound of that rate.
    SaeUpper95Treatment = "sae_upper95_treatment",
    /// P(that bound is below `safety.rule_out`).
    SaeRuledOut = "sae_ruled_out",
    /// Power of Fisher's exact test (two-sided) for the mild-event difference.
    MildAePower = "mild_ae_power",
    /// Mean treated patients in a literature's published trials.
    TreatedPatients = "treated_patients",
    /// P(Fisher's exact test of the responder rates is significant).
    ResponderPower = "responder_power",
    /// P(the risk difference has the wrong sign | significant).
    ResponderTypeS = "responder_type_s",
    /// Exaggeration ratio of the risk difference given significance.
    ResponderTypeM = "responder_type_m",
    /// P(Newcombe's interval contains the true risk difference).
    ResponderCoverage = "responder_coverage",
    /// Mean observed responder rate, control arm.
    ResponderRateControl = "responder_rate_control",
    /// Mean observed responder rate, treatment arm.
    ResponderRateTreatment = "responder_rate_treatment",
    /// Mean estimate at a visit.
    MeanEstimate = "mean_estimate",
    /// P(pooled result significant).
    Significant = "significant",
    /// P(HKSJ CI contains the truth).
    CoverageHksj = "coverage_hksj",
    /// Mean I² (Q-based).
    I2 = "i2",
    /// Mean tau²-based I².
    I2Tau = "i2_tau",
    /// Mean estimated tau².
    Tau2 = "tau2",
    /// Bias of the estimated tau².
    Tau2Bias = "tau2_bias",
    /// P(prediction interval excludes 0).
    PiExcludesZero = "pi_excludes_zero",
    /// P(pooled significant, yet the prediction interval includes 0).
    SignificantPiIncludesZero = "significant_pi_includes_zero",
    /// P(pooled estimate reaches the MCID).
    BeyondMcid = "beyond_mcid",
    /// P(Egger's test p < 0.10).
    EggerDetects = "egger_detects",
    /// Mean trials run per K published.
    TrialsRun = "trials_run",
    /// Share of meta-replicates whose tau² estimator did not converge.
    Nonconverged = "nonconverged",
    /// Bias of the pooled estimate against the true mean effect (with
    /// `publish_nonsignificant < 1`, beside the corrections).
    MetaBiasNaive = "meta_bias_naive",
    /// Its RMSE.
    MetaRmseNaive = "meta_rmse_naive",
    /// Coverage of the interval the meta-analysis uses.
    MetaCoverageNaive = "meta_coverage_naive",
    /// Bias of trim-and-fill's estimate.
    MetaBiasTrimfill = "meta_bias_trimfill",
    /// Its RMSE.
    MetaRmseTrimfill = "meta_rmse_trimfill",
    /// Coverage of its Wald interval.
    MetaCoverageTrimfill = "meta_coverage_trimfill",
    /// Share of pooled literatures where trim-and-fill failed.
    MetaFailedTrimfill = "meta_failed_trimfill",
    /// Bias of PET-PEESE's estimate.
    MetaBiasPetPeese = "meta_bias_pet_peese",
    /// Its RMSE.
    MetaRmsePetPeese = "meta_rmse_pet_peese",
    /// Coverage of its interval (t on K − 2 df).
    MetaCoveragePetPeese = "meta_coverage_pet_peese",
    /// Share of pooled literatures where PET-PEESE failed.
    MetaFailedPetPeese = "meta_failed_pet_peese",
    /// Bias of the selection model's estimate.
    MetaBiasSelection = "meta_bias_selection",
    /// Its RMSE.
    MetaRmseSelection = "meta_rmse_selection",
    /// Coverage of its Wald interval.
    MetaCoverageSelection = "meta_coverage_selection",
    /// Share of pooled literatures where the selection model failed or its
    /// delta was not identified.
    MetaFailedSelection = "meta_failed_selection",
    /// Share of literatures whose subgroup analysis finds a difference
    /// between a factor's levels (the false-subgroup rate when all shifts
    /// are 0).
    SubgroupSignificant = "subgroup_significant",
    /// Share of analysed literatures that name the truly best level best.
    SubgroupBestCorrect = "subgroup_best_correct",
    /// Share of literatures that find a difference and name a best level.
    SubgroupBestClaimed = "subgroup_best_claimed",
    /// Share of the literatures claiming a best level that claim the wrong
    /// one (null when no level is truly best).
    SubgroupClaimedWrong = "subgroup_claimed_wrong",
    /// Exaggeration of the best-versus-rest difference among literatures
    /// that claim one.
    SubgroupDiffTypeM = "subgroup_diff_type_m",
    /// Share of literatures where some level has fewer than two trials.
    SubgroupLevelsMissing = "subgroup_levels_missing",
    /// Per level: share of pooled literatures that name it best.
    SubgroupNamedBest = "subgroup_named_best",
    /// Per level: share of pooled literatures that find a difference and
    /// name it best.
    SubgroupClaimedBest = "subgroup_claimed_best",
}

impl Metric {
    /// The metric whose output name is `name`.
    pub fn from_name(name: &str) -> Option<Metric> {
        Metric::ALL.iter().copied().find(|m| m.name() == name)
    }
}

impl std::fmt::Display for Metric {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_distinct_snake_case_and_round_trip() {
        let mut seen = std::collections::HashSet::new();
        for &m in Metric::ALL {
            assert!(seen.insert(m.name()), "{} twice", m.name());
            assert!(
                m.name()
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
                "{}",
                m.name()
            );
            assert_eq!(Metric::from_name(m.name()), Some(m));
        }
        assert_eq!(Metric::from_name("powr"), None);
    }
}
