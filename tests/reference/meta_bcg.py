#!/usr/bin/env python3
"""Reference values for random-effects meta-analysis unit tests.

Computes, at full double precision, for the BCG vaccine data (metafor
dat.bcg, log risk ratios) and for a small hand-made k = 5 data set:

  * fixed (common) effect: mu, SE, z, p, CI, Q, p(Q), I^2, H^2
  * DerSimonian-Laird, Paule-Mandel and REML tau^2, with mu, SE, z, p, CI
  * Hartung-Knapp-Sidik-Jonkman (untruncated) SE, t, p, CI on t_{k-1}
  * 95% prediction interval mu +- t_{k-2} sqrt(tau^2 + SE^2) (Higgins/Riley)
    plus the two variants metafor's predict() prints
  * Egger's regression test (OLS of yi/sei on 1/sei, t on k-2 df)

Everything is computed from first principles with numpy/scipy.  Independent
cross-checks: statsmodels combine_effects (DL, PM), a bounded maximisation
of the REML log-likelihood, and comparisons against metafor output that is
printed in metafor's documentation/tests (sources listed in PUBLISHED).

Run:  python3 ref.py > REFERENCE.md
"""

import math
import sys

import numpy as np
import scipy
import statsmodels
from scipy import optimize, stats
from statsmodels.stats.meta_analysis import combine_effects

LEVEL = 0.95
TOL = 1e-12   # convergence tolerance on tau^2 for iterative estimators

# ---------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------

# dat.bcg (= dat.colditz1994), Colditz et al. (1994), JAMA 271:698-702.
# Copied from wviechtb/metadat data-raw/dat.colditz1994.txt and identical to
# the dat.bcg listing printed in wviechtb/metafor README.md.
BCG = [
    # trial, author,                 year, tpos,  tneg, cpos,  cneg, ablat, alloc
    (1,  "Aronson",              1948,   4,   119,  11,   128, 44, "random"),
    (2,  "Ferguson & Simes",     1949,   6,   300,  29,   274, 55, "random"),
    (3,  "Rosenthal et al",      1960,   3,   228,  11,   209, 42, "random"),
    (4,  "Hart & Sutherland",    1977,  62, 13536, 248, 12619, 52, "random"),
    (5,  "Frimodt-Moller et al", 1973,  33,  5036,  47,  5761, 13, "alternate"),
    (6,  "Stein & Aronson",      1953, 180,  1361, 372,  1079, 44, "alternate"),
    (7,  "Vandiviere et al",     1973,   8,  2537,  10,   619, 19, "random"),
    (8,  "TPT Madras",           1980, 505, 87886, 499, 87892, 13, "random"),
    (9,  "Coetzee & Berjak",     1968,  29,  7470,  45,  7232, 27, "random"),
    (10, "Rosenthal et al",      1961,  17,  1699,  65,  1600, 42, "systematic"),
    (11, "Comstock et al",       1974, 186, 50448, 141, 27197, 18, "systematic"),
    (12, "Comstock & Webster",   1969,   5,  2493,   3,  2338, 33, "systematic"),
    (13, "Comstock et al",       1976,  27, 16886,  29, 17825, 33, "systematic"),
]

# second, tiny data set (hand-made, k = 5, with heterogeneity)
TOY_Y = np.array([0.10, 0.30, 0.35, 0.65, 0.45])
TOY_V = np.array([0.03, 0.03, 0.05, 0.01, 0.05])

# Kacker (2004) example; full-precision metafor results are hard-coded in
# statsmodels/stats/tests/results/results_meta.py (exk1_metafor, exk1_dl,
# exk1_dl_hksj, exk1_fe) -> used here only to validate this implementation.
KACKER_Y = np.array([61.0, 61.4, 62.21, 62.3, 62.34, 62.6, 62.7, 62.84, 65.9])
KACKER_V = np.array([0.2025, 1.2100, 0.0900, 0.2025, 0.3844, 0.5625, 0.0676,
                     0.0225, 1.8225])
KACKER_METAFOR = {  # rma(y, v, method=..., control=list(tol=1e-9))
    "PM": dict(mu=62.4076199113286, se=0.338030602684471,
               tau2=0.705395309224248, se_tau2=0.51419109758052,
               Q=24.801897741835, I2=83.7218626490482, H2=6.14320900751909),
    "DL": dict(mu=62.3901386044504, se=0.245749668040304,
               tau2=0.288049246973751, se_tau2=0.269366223207558,
               I2=67.744403741711, H2=3.10023721772938),
    "DL_knha": dict(se=0.29477605699879, t=211.652666908108,
                    p=2.77938607433693e-16, ci_lb=61.710383798052,
                    ci_ub=63.0698934108488),
    "FE": dict(mu=62.5833970939982, se=0.107845705498231),
}

# CLASP example of DerSimonian & Kacker (2007); metafor test
# tests/testthat/test_analysis_example_dersimonian2007.r checks (4 dp):
CLASP = dict(n1i=[156, 303, 565, 1570, 103, 4659], n2i=[74, 303, 477, 1565, 105, 4650],
             ai=[5, 5, 12, 69, 9, 313], ci=[8, 17, 9, 94, 11, 352])
CLASP_METAFOR = {"PM": (0.3681, -0.3811, 0.2060),   # (tau, mu, se)
                 "DL": (0.2323, -0.3240, 0.1540),
                 "REML": (0.1843, -0.2980, 0.1343)}

# ---------------------------------------------------------------------------
# metafor output as printed in metafor's own documentation / tests
# ---------------------------------------------------------------------------
SRC_RMA = ("wviechtb/metafor docs/reference/rma.uni.html (pkgdown, metafor 4.7-4, "
           "commit 0014f62b7481cf6c29a19898babb1f5993a9dbc7) = "
           "https://wviechtb.github.io/metafor/reference/rma.uni.html, Examples")
SRC_PRED = ("wviechtb/metafor docs/reference/predict.rma.html (same commit) = "
            "https://wviechtb.github.io/metafor/reference/predict.rma.html, Examples")
SRC_README = ("wviechtb/metafor README.md (commit 0014f62b7481cf6c29a19898babb1f5993a9dbc7), "
              "section 'Example'")
SRC_METAN = ("wviechtb/metafor tests/testthat/test_misc_metan_vs_rma.uni_with_dat.bcg.r "
             "(values checked against Stata metan)")
SRC_CONFINT = "wviechtb/metafor tests/testthat/test_misc_confint.r"
SRC_DLIT = "wviechtb/metafor tests/testthat/test_misc_rma_uni.r (method='DLIT'/'SJIT')"
SRC_EGGER = ("https://cttir.github.io/courses/course3_design_causal/labs/"
             "lab_week4_session2_slides.html (third-party course page printing "
             "metafor regtest(res, model='lm') for dat.bcg RR)")

PUBLISHED = [
    # (label, key in computed dict, printed value, decimals printed, source)
    ("REML tau2", ("REML", "tau2"), 0.3132, 4, SRC_RMA),
    ("REML SE(tau2)", ("REML", "se_tau2_metafor"), 0.1664, 4, SRC_RMA),
    ("REML tau", ("REML", "tau"), 0.5597, 4, SRC_RMA),
    ("REML I2 (%) metafor def.", ("REML", "I2_metafor_pct"), 92.22, 2, SRC_RMA),
    ("REML H2 metafor def.", ("REML", "H2_metafor"), 12.86, 2, SRC_RMA),
    ("Q", ("FE", "Q"), 152.2330, 4, SRC_RMA),
    ("REML mu", ("REML", "mu"), -0.7145, 4, SRC_RMA),
    ("REML se", ("REML", "se"), 0.1798, 4, SRC_RMA),
    ("REML z", ("REML", "z"), -3.9744, 4, SRC_RMA),
    ("REML ci.lb", ("REML", "ci_lb"), -1.0669, 4, SRC_RMA),
    ("REML ci.ub", ("REML", "ci_ub"), -0.3622, 4, SRC_RMA),
    ("REML exp(mu)", ("REML", "exp_mu"), 0.4894, 4, SRC_PRED),
    ("REML exp(ci.lb)", ("REML", "exp_ci_lb"), 0.3441, 4, SRC_PRED),
    ("REML exp(ci.ub)", ("REML", "exp_ci_ub"), 0.6962, 4, SRC_PRED),
    ("REML exp(pi.lb) [z-based PI]", ("REML", "exp_pi_lb_metafor_z"), 0.1546, 4, SRC_PRED),
    ("REML exp(pi.ub) [z-based PI]", ("REML", "exp_pi_ub_metafor_z"), 1.5490, 4, SRC_PRED),
    ("REML knha se", ("REML", "se_hksj"), 0.1808, 4, SRC_README),
    ("REML knha t", ("REML", "t_hksj"), -3.9522, 4, SRC_README),
    ("REML knha p", ("REML", "p_hksj"), 0.0019, 4, SRC_README),
    ("REML knha ci.lb", ("REML", "ci_lb_hksj"), -1.1084, 4, SRC_README),
    ("REML knha ci.ub", ("REML", "ci_ub_hksj"), -0.3206, 4, SRC_README),
    ("REML knha exp(pi.lb) [t_{k-1}, knha SE]", ("REML", "exp_pi_lb_metafor_knha"), 0.14, 2, SRC_README),
    ("REML knha exp(pi.ub) [t_{k-1}, knha SE]", ("REML", "exp_pi_ub_metafor_knha"), 1.76, 2, SRC_README),
    ("FE mu", ("FE", "mu"), -0.4303, 4, SRC_METAN),
    ("FE ci.lb", ("FE", "ci_lb"), -0.5097, 4, SRC_METAN),
    ("FE ci.ub", ("FE", "ci_ub"), -0.3509, 4, SRC_METAN),
    ("FE z", ("FE", "z"), -10.6247, 4, SRC_METAN),
    ("DL mu", ("DL", "mu"), -0.7141, 4, SRC_METAN),
    ("DL ci.lb", ("DL", "ci_lb"), -1.0644, 4, SRC_METAN),
    ("DL ci.ub", ("DL", "ci_ub"), -0.3638, 4, SRC_METAN),
    ("DL z", ("DL", "z"), -3.9952, 4, SRC_METAN),
    ("DL tau2", ("DL", "tau2"), 0.3088, 4, SRC_METAN),
    ("DL I2 (%)", ("DL", "I2_metafor_pct"), 92.1173, 4, SRC_METAN),
    ("DL exp(mu)", ("DL", "exp_mu"), 0.4896, 4, SRC_METAN),
    ("DL exp(ci.lb)", ("DL", "exp_ci_lb"), 0.3449, 4, SRC_METAN),
    ("DL exp(ci.ub)", ("DL", "exp_ci_ub"), 0.6950, 4, SRC_METAN),
    ("DL H2", ("DL", "H2_metafor"), 12.6861, 4, SRC_CONFINT),
    ("PM tau2 (= DLIT/SJIT fixed point)", ("PM", "tau2"), 0.3181, 4, SRC_DLIT),
    ("Egger t (regtest model='lm')", ("EGGER", "t"), -1.4013, 4, SRC_EGGER),
    ("Egger p", ("EGGER", "p"), 0.1887, 4, SRC_EGGER),
    ("Egger limit estimate b (= Egger slope)", ("EGGER", "slope"), -0.1909, 4, SRC_EGGER),
    ("Egger limit CI lb", ("EGGER", "slope_ci_lb"), -0.6753, 4, SRC_EGGER),
    ("Egger limit CI ub", ("EGGER", "slope_ci_ub"), 0.2935, 4, SRC_EGGER),
]


# ---------------------------------------------------------------------------
# Core computations
# ---------------------------------------------------------------------------

def log_rr(tpos, tneg, cpos, cneg):
    """metafor escalc(measure='RR'): yi = log(p_T/p_C), vi = 1/a - 1/n1 + 1/c - 1/n2."""
    a, b, c, d = (np.asarray(x, dtype=float) for x in (tpos, tneg, cpos, cneg))
    n1, n2 = a + b, c + d
    yi = np.log((a / n1) / (c / n2))
    vi = 1 / a - 1 / n1 + 1 / c - 1 / n2
    return yi, vi


def log_or(ai, n1i, ci, n2i):
    ai, n1i, ci, n2i = (np.asarray(x, dtype=float) for x in (ai, n1i, ci, n2i))
    bi, di = n1i - ai, n2i - ci
    return np.log(ai * di / (bi * ci)), 1 / ai + 1 / bi + 1 / ci + 1 / di


def wmean(y, w):
    return float(np.sum(w * y) / np.sum(w))


def q_gen(y, v, tau2):
    """Generalised Q: sum w_i (y_i - mu(tau2))^2 with w_i = 1/(v_i + tau2)."""
    w = 1 / (v + tau2)
    mu = wmean(y, w)
    return float(np.sum(w * (y - mu) ** 2))


def tau2_dl(y, v):
    w = 1 / v
    k = len(y)
    Q = q_gen(y, v, 0.0)
    c = w.sum() - (w ** 2).sum() / w.sum()
    return max(0.0, (Q - (k - 1)) / c)


def tau2_pm(y, v):
    """Paule-Mandel: root of Q_gen(tau2) = k - 1 (tau2 >= 0), by Brent + polish."""
    k = len(y)
    f = lambda t: q_gen(y, v, t) - (k - 1)
    if f(0.0) <= 0:
        return 0.0, 0
    hi = 1.0
    while f(hi) > 0:
        hi *= 2
    t = optimize.brentq(f, 0.0, hi, xtol=1e-300, rtol=4 * np.finfo(float).eps, maxiter=500)
    # Newton polish using the DerSimonian-Kacker (2007) update (same fixed point)
    it = 0
    for it in range(1, 200):
        w = 1 / (v + t)
        mu = wmean(y, w)
        r2 = (y - mu) ** 2
        delta = (np.sum(w * r2) - (k - 1)) / np.sum(w ** 2 * r2)
        t = max(0.0, t + delta)
        if abs(delta) < TOL:
            break
    return t, it


def reml_loglik(y, v, tau2):
    w = 1 / (v + tau2)
    mu = wmean(y, w)
    k = len(y)
    return float(-0.5 * (k - 1) * math.log(2 * math.pi) - 0.5 * np.sum(np.log(v + tau2))
                 - 0.5 * math.log(np.sum(w)) - 0.5 * np.sum(w * (y - mu) ** 2))


def tau2_reml(y, v, start=None):
    """REML by Fisher scoring (Viechtbauer 2005), tau2 >= 0, |step| < 1e-12.

    Score   U(t) = 0.5 * (y'PPy - tr P),  Fisher information I(t) = 0.5 * tr(PP),
    with P = W - W 1 1'W / sum(W), W = diag(1/(v+t)).  Update t += U/I.
    """
    t = tau2_dl(y, v) if start is None else start
    k = len(y)
    one = np.ones(k)
    it = 0
    for it in range(1, 1000):
        w = 1 / (v + t)
        W = np.diag(w)
        P = W - np.outer(w, w) / w.sum()
        Py = P @ y
        score = Py @ Py - np.trace(P)
        info = np.sum(P * P)
        step = score / info
        t_new = max(0.0, t + step)
        if abs(t_new - t) < TOL:
            t = t_new
            break
        t = t_new
    return t, it


def tau2_reml_fixed_point(y, v, start=0.0):
    """Alternative REML iteration: t = sum w^2((y-mu)^2 - v)/sum w^2 + 1/sum w."""
    t = start
    it = 0
    for it in range(1, 100000):
        w = 1 / (v + t)
        mu = wmean(y, w)
        t_new = max(0.0, np.sum(w ** 2 * ((y - mu) ** 2 - v)) / np.sum(w ** 2) + 1 / np.sum(w))
        if abs(t_new - t) < TOL:
            t = t_new
            break
        t = t_new
    return t, it


def tau2_reml_optimizer(y, v, hi=10.0):
    res = optimize.minimize_scalar(lambda t: -reml_loglik(y, v, t), bounds=(0.0, hi),
                                   method="bounded", options={"xatol": 1e-14, "maxiter": 10000})
    return float(res.x)


def fixed_effect(y, v):
    k = len(y)
    w = 1 / v
    mu = wmean(y, w)
    se = math.sqrt(1 / w.sum())
    z = mu / se
    zc = stats.norm.ppf(1 - (1 - LEVEL) / 2)
    Q = float(np.sum(w * (y - mu) ** 2))
    out = dict(k=k, mu=mu, se=se, z=z, p=2 * stats.norm.sf(abs(z)),
               ci_lb=mu - zc * se, ci_ub=mu + zc * se,
               Q=Q, df_Q=k - 1, p_Q=float(stats.chi2.sf(Q, k - 1)),
               I2_Q=max(0.0, (Q - (k - 1)) / Q), H2_Q=Q / (k - 1))
    out["I2_Q_pct"] = 100 * out["I2_Q"]
    return out


def random_effects(y, v, tau2, method):
    """All quantities that follow from a given tau^2 (intercept-only model)."""
    k = len(y)
    zc = stats.norm.ppf(1 - (1 - LEVEL) / 2)
    t1 = stats.t.ppf(1 - (1 - LEVEL) / 2, k - 1)
    t2 = stats.t.ppf(1 - (1 - LEVEL) / 2, k - 2)

    w = 1 / (v + tau2)
    sw = w.sum()
    mu = wmean(y, w)
    se = math.sqrt(1 / sw)
    z = mu / se

    # HKSJ (Hartung-Knapp / Sidik-Jonkman), untruncated = metafor test="knha"
    q_hk = float(np.sum(w * (y - mu) ** 2) / (k - 1))
    se_hk = math.sqrt(q_hk / sw)
    t_hk = mu / se_hk

    # prediction intervals
    pi_sd_t = math.sqrt(tau2 + se ** 2)
    pi_sd_hk = math.sqrt(tau2 + se_hk ** 2)

    # metafor I^2 / H^2 definitions (typical within-study variance)
    w0 = 1 / v
    vt = (k - 1) / (w0.sum() - (w0 ** 2).sum() / w0.sum())

    # metafor's SE(tau^2) (see R/rma.uni.r)
    P = np.diag(w) - np.outer(w, w) / sw
    P0 = np.diag(w0) - np.outer(w0, w0) / w0.sum()
    if method == "REML":
        se_tau2 = math.sqrt(2 / np.sum(P * P))
    elif method == "DL":
        trP0 = np.trace(P0)
        se_tau2 = math.sqrt(1 / trP0 ** 2 * (2 * (k - 1) + 4 * max(tau2, 0) * trP0
                                             + 2 * max(tau2, 0) ** 2 * np.sum(P0 * P0)))
    elif method == "PM":
        se_tau2 = math.sqrt(2 * k ** 2 / (k - 1) / sw ** 2)
    else:
        se_tau2 = float("nan")

    out = dict(
        tau2=tau2, tau=math.sqrt(tau2), se_tau2_metafor=se_tau2,
        mu=mu, se=se, z=z, p=2 * stats.norm.sf(abs(z)),
        ci_lb=mu - zc * se, ci_ub=mu + zc * se,
        # HKSJ
        q_hksj=q_hk, se_hksj=se_hk, t_hksj=t_hk, df_hksj=k - 1,
        p_hksj=2 * stats.t.sf(abs(t_hk), k - 1),
        ci_lb_hksj=mu - t1 * se_hk, ci_ub_hksj=mu + t1 * se_hk,
        # PI as requested: t_{k-2}, model-based SE (Higgins 2009 / Riley 2011)
        pi_lb_t_km2=mu - t2 * pi_sd_t, pi_ub_t_km2=mu + t2 * pi_sd_t,
        # PI as printed by metafor predict() for test="z" (normal quantile)
        pi_lb_metafor_z=mu - zc * pi_sd_t, pi_ub_metafor_z=mu + zc * pi_sd_t,
        # PI as printed by metafor predict() for test="knha" (t_{k-1}, HKSJ SE)
        pi_lb_metafor_knha=mu - t1 * pi_sd_hk, pi_ub_metafor_knha=mu + t1 * pi_sd_hk,
        vt_typical=vt,
        I2_metafor_pct=100 * tau2 / (vt + tau2), H2_metafor=tau2 / vt + 1,
        Q_gen_at_tau2=q_gen(y, v, tau2),
    )
    for key in ("mu", "ci_lb", "ci_ub", "pi_lb_metafor_z", "pi_ub_metafor_z",
                "pi_lb_metafor_knha", "pi_ub_metafor_knha", "pi_lb_t_km2", "pi_ub_t_km2"):
        out["exp_" + key] = math.exp(out[key])
    return out


def egger(y, v):
    """Egger (1997): OLS of z_i = y_i/se_i on precision 1/se_i; test intercept = 0."""
    k = len(y)
    se = np.sqrt(v)
    X = np.column_stack([np.ones(k), 1 / se])
    z = y / se
    beta, *_ = np.linalg.lstsq(X, z, rcond=None)
    resid = z - X @ beta
    df = k - 2
    s2 = float(resid @ resid / df)
    cov = s2 * np.linalg.inv(X.T @ X)
    b0, b1 = float(beta[0]), float(beta[1])
    se0, se1 = math.sqrt(cov[0, 0]), math.sqrt(cov[1, 1])
    tcrit = stats.t.ppf(1 - (1 - LEVEL) / 2, df)
    t0 = b0 / se0
    out = dict(intercept=b0, se_intercept=se0, t=t0, df=df,
               p=2 * stats.t.sf(abs(t0), df),
               intercept_ci_lb=b0 - tcrit * se0, intercept_ci_ub=b0 + tcrit * se0,
               slope=b1, se_slope=se1,
               slope_ci_lb=b1 - tcrit * se1, slope_ci_ub=b1 + tcrit * se1,
               residual_variance=s2)
    # cross-check: metafor regtest(model="lm"): WLS of y on sei, weights 1/v
    Xw = np.column_stack([np.ones(k), se]) / se[:, None]
    bw, *_ = np.linalg.lstsq(Xw, y / se, rcond=None)
    out["check_wls_coef_on_sei_minus_intercept"] = float(bw[1] - b0)
    out["check_wls_intercept_minus_slope"] = float(bw[0] - b1)
    return out


def analyse(y, v, label):
    res = {"FE": fixed_effect(y, v)}
    t_dl = tau2_dl(y, v)
    t_pm, it_pm = tau2_pm(y, v)
    t_reml, it_reml = tau2_reml(y, v)
    res["DL"] = random_effects(y, v, t_dl, "DL")
    res["PM"] = random_effects(y, v, t_pm, "PM")
    res["REML"] = random_effects(y, v, t_reml, "REML")
    res["PM"]["iterations_newton_polish"] = it_pm
    res["REML"]["iterations_fisher_scoring"] = it_reml
    res["REML"]["reml_loglik"] = reml_loglik(y, v, t_reml)
    res["EGGER"] = egger(y, v)

    # ---- independent cross-checks -------------------------------------------
    chk = {}
    t_fp, it_fp = tau2_reml_fixed_point(y, v)
    chk["REML tau2 (fixed-point iteration) - Fisher scoring"] = t_fp - t_reml
    chk["REML tau2 (bounded loglik maximisation, flat optimum => ~1e-8) - Fisher scoring"] = tau2_reml_optimizer(y, v) - t_reml
    h = 1e-6
    chk["REML score at estimate (num. derivative of loglik)"] = (
        (reml_loglik(y, v, t_reml + h) - reml_loglik(y, v, t_reml - h)) / (2 * h))
    chk["PM: Q_gen(tau2_PM) - (k-1)"] = res["PM"]["Q_gen_at_tau2"] - (len(y) - 1)
    sm_dl = combine_effects(y, v, method_re="dl")
    sm_pm = combine_effects(y, v, method_re="iterated", atol=1e-13, maxiter=1000)
    chk["statsmodels DL tau2 - ours"] = float(sm_dl.tau2) - t_dl
    chk["statsmodels DL mu - ours"] = float(sm_dl.mean_effect_re) - res["DL"]["mu"]
    chk["statsmodels DL se - ours"] = float(sm_dl.sd_eff_w_re) - res["DL"]["se"]
    chk["statsmodels PM tau2 - ours"] = float(sm_pm.tau2) - t_pm
    chk["statsmodels PM mu - ours"] = float(sm_pm.mean_effect_re) - res["PM"]["mu"]
    chk["statsmodels PM HKSJ scale - ours"] = float(sm_pm.scale_hksj_re) - res["PM"]["q_hksj"]
    chk["statsmodels FE mu - ours"] = float(sm_dl.mean_effect_fe) - res["FE"]["mu"]
    chk["statsmodels Q - ours"] = float(sm_dl.q) - res["FE"]["Q"]
    res["CHECKS"] = chk
    return res


# ---------------------------------------------------------------------------
# Output
# ---------------------------------------------------------------------------

ORDER = {
    "FE": ["k", "mu", "se", "z", "p", "ci_lb", "ci_ub", "Q", "df_Q", "p_Q", "I2_Q",
           "I2_Q_pct", "H2_Q"],
    "RE": ["tau2", "tau", "se_tau2_metafor", "mu", "se", "z", "p", "ci_lb", "ci_ub",
           "q_hksj", "se_hksj", "t_hksj", "df_hksj", "p_hksj", "ci_lb_hksj", "ci_ub_hksj",
           "pi_lb_t_km2", "pi_ub_t_km2", "pi_lb_metafor_z", "pi_ub_metafor_z",
           "pi_lb_metafor_knha", "pi_ub_metafor_knha", "vt_typical", "I2_metafor_pct",
           "H2_metafor", "Q_gen_at_tau2", "iterations_newton_polish",
           "iterations_fisher_scoring", "reml_loglik",
           "exp_mu", "exp_ci_lb", "exp_ci_ub", "exp_pi_lb_t_km2", "exp_pi_ub_t_km2",
           "exp_pi_lb_metafor_z", "exp_pi_ub_metafor_z", "exp_pi_lb_metafor_knha",
           "exp_pi_ub_metafor_knha"],
}


def fmt(x):
    if isinstance(x, (bool, np.bool_)):
        return repr(bool(x))
    if isinstance(x, (int, np.integer)):
        return repr(int(x))
    return repr(float(x))


def print_block(name, d, keys, skip_exp=False):
    print(f"[{name}]")
    for key in keys:
        if key in d and not (skip_exp and key.startswith("exp_")):
            print(f"{key} = {fmt(d[key])}")
    print()


def print_results(res, title, y, v, exp_scale=False):
    print(f"## {title}\n")
    print("```text")
    print(f"k = {len(y)}")
    print("yi = [" + ", ".join(repr(float(a)) for a in y) + "]")
    print("vi = [" + ", ".join(repr(float(a)) for a in v) + "]")
    print()
    print_block("fixed effect (inverse variance)", res["FE"], ORDER["FE"])
    for m, name in (("DL", "DerSimonian-Laird"), ("PM", "Paule-Mandel"),
                    ("REML", "REML (Fisher scoring, tol 1e-12)")):
        print_block(f"{m}: {name}", res[m], ORDER["RE"], skip_exp=not exp_scale)
    print_block("Egger regression test (OLS of yi/sei on 1/sei; intercept test, t on k-2 df)",
                res["EGGER"], list(res["EGGER"].keys()))
    print("[cross-checks: differences, should be ~0]")
    for key, val in res["CHECKS"].items():
        print(f"{key}: {float(val)!r}")
    print("```\n")


def main():
    print("# Reference values: random-effects meta-analysis (BCG + toy data)\n")
    print(f"Generated by `ref.py` with Python {sys.version.split()[0]}, numpy {np.__version__}, "
          f"scipy {scipy.__version__}, statsmodels {statsmodels.__version__}.\n")
    print("Conventions: 95% level; z-based CI for FE/RE; HKSJ = Hartung-Knapp-Sidik-Jonkman "
          "*untruncated* (q = sum w_i (y_i-mu)^2/(k-1), SE_HK = sqrt(q/sum w_i), t_{k-1}); "
          "`pi_*_t_km2` = mu +- t_{k-2} sqrt(tau2 + SE^2) (Higgins et al. 2009 / Riley et al. 2011); "
          "`pi_*_metafor_z` = mu +- z sqrt(tau2 + SE^2) (metafor predict() default); "
          "`pi_*_metafor_knha` = mu +- t_{k-1} sqrt(tau2 + SE_HK^2) (metafor predict() after "
          "test='knha'); `I2_Q` = max(0,(Q-(k-1))/Q) (fraction), `I2_metafor_pct` = "
          "100 tau2/(tau2+vt) with vt = (k-1)/(sum w - sum w^2/sum w), w=1/v (metafor); "
          "`se_tau2_metafor` uses the estimator-specific formulas of metafor R/rma.uni.r. "
          "Iterative estimators stop when |delta tau2| < 1e-12; tau2 truncated at 0.\n")

    # ----- BCG -----
    tpos = [r[3] for r in BCG]
    tneg = [r[4] for r in BCG]
    cpos = [r[5] for r in BCG]
    cneg = [r[6] for r in BCG]
    y, v = log_rr(tpos, tneg, cpos, cneg)
    print("## BCG data (metafor dat.bcg)\n")
    print("Source of counts: wviechtb/metadat `data-raw/dat.colditz1994.txt` "
          "(dat.bcg is the same data, kept for backwards compatibility, see "
          "`data-raw/dat.bcg.r`); identical to the `dat.bcg` listing in wviechtb/metafor "
          "README.md. Original: Colditz et al. (1994) JAMA 271:698-702.\n")
    print("| trial | author | year | tpos | tneg | cpos | cneg | ablat | alloc | yi = log RR | vi |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r, yi, vi in zip(BCG, y, v):
        print(f"| {r[0]} | {r[1]} | {r[2]} | {r[3]} | {r[4]} | {r[5]} | {r[6]} | {r[7]} | "
              f"{r[8]} | {float(yi)!r} | {float(vi)!r} |")
    print()
    bcg = analyse(y, v, "BCG")
    print_results(bcg, "BCG log risk ratios: computed values", y, v, exp_scale=True)

    print("## BCG: comparison with metafor's printed output\n")
    print("| quantity | metafor printed | ours (full precision) | ours rounded | match | source |")
    print("|---|---|---|---|---|---|")
    n_mismatch = 0
    for label, (grp, key), pub, dp, src in PUBLISHED:
        ours = bcg[grp][key]
        rounded = round(ours, dp)
        ok = abs(rounded - pub) < 0.5 * 10 ** (-dp) + 1e-12
        n_mismatch += (not ok)
        print(f"| {label} | {pub:.{dp}f} | {float(ours)!r} | {rounded:.{dp}f} | "
              f"{'yes' if ok else 'NO'} | {src} |")
    print(f"\nmismatches: {n_mismatch}\n")
    print("Notes: metafor prints I^2/H^2 with its own 'typical variance' definition, so the "
          "REML I^2 = 92.22% differs from the Q-based I^2 = max(0,(Q-(k-1))/Q) = "
          f"{100 * bcg['FE']['I2_Q']:.4f}% (the two coincide only for DL). metafor's predict() "
          "uses a normal quantile for the PI (t_{k-1} with test='knha'), not t_{k-2}. "
          "regtest(model='lm') fits WLS of yi on sei with weights 1/vi; its test statistic "
          "equals the Egger intercept t and its 'limit estimate' equals the Egger slope.\n")

    # ----- toy -----
    toy = analyse(TOY_Y, TOY_V, "toy")
    print_results(toy, "Toy data set (k = 5, hand-made)", TOY_Y, TOY_V, exp_scale=False)

    # ----- validation against full-precision metafor numbers -----
    print("## Validation of this implementation against full-precision metafor output\n")
    print("Kacker (2004) data, metafor results as hard-coded in "
          "statsmodels `statsmodels/stats/tests/results/results_meta.py` "
          "(exk1_metafor [PM], exk1_dl, exk1_dl_hksj, exk1_fe; metafor tol=1e-9):\n")
    kk = analyse(KACKER_Y, KACKER_V, "kacker")
    pairs = [
        ("PM mu", kk["PM"]["mu"], KACKER_METAFOR["PM"]["mu"]),
        ("PM se", kk["PM"]["se"], KACKER_METAFOR["PM"]["se"]),
        ("PM tau2", kk["PM"]["tau2"], KACKER_METAFOR["PM"]["tau2"]),
        ("PM se_tau2", kk["PM"]["se_tau2_metafor"], KACKER_METAFOR["PM"]["se_tau2"]),
        ("PM I2 (%)", kk["PM"]["I2_metafor_pct"], KACKER_METAFOR["PM"]["I2"]),
        ("PM H2", kk["PM"]["H2_metafor"], KACKER_METAFOR["PM"]["H2"]),
        ("Q", kk["FE"]["Q"], KACKER_METAFOR["PM"]["Q"]),
        ("DL mu", kk["DL"]["mu"], KACKER_METAFOR["DL"]["mu"]),
        ("DL se", kk["DL"]["se"], KACKER_METAFOR["DL"]["se"]),
        ("DL tau2", kk["DL"]["tau2"], KACKER_METAFOR["DL"]["tau2"]),
        ("DL se_tau2", kk["DL"]["se_tau2_metafor"], KACKER_METAFOR["DL"]["se_tau2"]),
        ("DL I2 (%)", kk["DL"]["I2_metafor_pct"], KACKER_METAFOR["DL"]["I2"]),
        ("DL H2", kk["DL"]["H2_metafor"], KACKER_METAFOR["DL"]["H2"]),
        ("DL knha se", kk["DL"]["se_hksj"], KACKER_METAFOR["DL_knha"]["se"]),
        ("DL knha t", kk["DL"]["t_hksj"], KACKER_METAFOR["DL_knha"]["t"]),
        ("DL knha p", kk["DL"]["p_hksj"], KACKER_METAFOR["DL_knha"]["p"]),
        ("DL knha ci.lb", kk["DL"]["ci_lb_hksj"], KACKER_METAFOR["DL_knha"]["ci_lb"]),
        ("DL knha ci.ub", kk["DL"]["ci_ub_hksj"], KACKER_METAFOR["DL_knha"]["ci_ub"]),
        ("FE mu", kk["FE"]["mu"], KACKER_METAFOR["FE"]["mu"]),
        ("FE se", kk["FE"]["se"], KACKER_METAFOR["FE"]["se"]),
    ]
    print("| quantity | ours | metafor | relative difference |")
    print("|---|---|---|---|")
    for name, ours, ref in pairs:
        print(f"| {name} | {float(ours)!r} | {ref!r} | {abs(ours - ref) / abs(ref):.3e} |")
    print()
    print("CLASP data (DerSimonian & Kacker 2007, log OR), metafor test "
          "`tests/testthat/test_analysis_example_dersimonian2007.r` (rounded to 4 dp):\n")
    cy, cv = log_or(CLASP["ai"], CLASP["n1i"], CLASP["ci"], CLASP["n2i"])
    cres = analyse(cy, cv, "clasp")
    print("| estimator | tau (ours) | tau (metafor) | mu (ours) | mu (metafor) | se (ours) | se (metafor) | match |")
    print("|---|---|---|---|---|---|---|---|")
    for m, (tau_ref, mu_ref, se_ref) in CLASP_METAFOR.items():
        r = cres[m]
        ok = all(abs(round(a, 4) - b) < 1e-9 for a, b in
                 ((r["tau"], tau_ref), (r["mu"], mu_ref), (r["se"], se_ref)))
        print(f"| {m} | {float(r['tau'])!r} | {tau_ref} | {float(r['mu'])!r} | {mu_ref} | {float(r['se'])!r} | "
              f"{se_ref} | {'yes' if ok else 'NO'} |")
    print()


if __name__ == "__main__":
    main()
