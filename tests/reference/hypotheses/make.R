# Reference claim probabilities for non-inferiority and equivalence (TOST)
# trials of two independent normal samples of n each, SD sigma of the
# change, true difference theta, margin M, one-sided level alpha.
#
# Non-inferiority (higher is better): claim when (est + M) / se > t_{1-alpha}.
# Equivalence: claim when (est + M) / se > t_{1-alpha} and (M - est) / se > t_{1-alpha}.
#
# 1. "nct": the textbook analytic values for the pooled two-sample t-test
#    (df = 2n - 2): non-inferiority power from the noncentral t,
#    1 - pt(qt(1 - alpha, df), df, ncp = (theta + M) / sqrt(2 sigma^2 / n));
#    TOST power by 1-D quadrature over the pooled variance
#    (X = df s^2 / sigma^2 ~ chi-square(df); est ~ N(theta, 2 sigma^2 / n)
#    independent of X).
# 2. "welch": the exact values for Welch's test, which trialsim runs: 2-D
#    quadrature over the two arms' variances (X_i = (n-1) s_i^2 / sigma^2 ~
#    chi-square(n-1)), se = sigma sqrt((X1 + X2) / (n (n - 1))),
#    Welch-Satterthwaite df = (n-1) (X1 + X2)^2 / (X1^2 + X2^2).
# Run: Rscript tests/reference/hypotheses/make.R > tests/reference/hypotheses/claims.csv
claim <- function(kind, theta, M, se, crit, sd_est) {
  lo <- (-M + crit * se - theta) / sd_est  # est above -M + crit se
  if (kind == "noninferiority") return(pnorm(lo, lower.tail = FALSE))
  hi <- (M - crit * se - theta) / sd_est   # est below M - crit se
  pmax(0, pnorm(hi) - pnorm(lo))
}
pooled <- function(kind, n, sigma, theta, M, alpha) {
  df <- 2 * n - 2
  sd_est <- sigma * sqrt(2 / n)
  if (kind == "noninferiority") {
    return(pt(qt(1 - alpha, df), df, ncp = (theta + M) / sd_est, lower.tail = FALSE))
  }
  crit <- qt(1 - alpha, df)
  f <- function(x) claim(kind, theta, M, sd_est * sqrt(x / df), crit, sd_est) * dchisq(x, df)
  integrate(f, 0, Inf, rel.tol = 1e-12)$value
}
welch <- function(kind, n, sigma, theta, M, alpha) {
  df <- n - 1
  sd_est <- sigma * sqrt(2 / n)
  p <- function(x1, x2) {
    nu <- (n - 1) * (x1 + x2)^2 / (x1^2 + x2^2)
    se <- sigma * sqrt((x1 + x2) / (n * (n - 1)))
    claim(kind, theta, M, se, qt(1 - alpha, nu), sd_est)
  }
  inner <- function(x1) sapply(x1, function(a) {
    integrate(function(x2) p(a, x2) * dchisq(x2, df), 0, Inf, rel.tol = 1e-12)$value
  })
  integrate(function(x1) inner(x1) * dchisq(x1, df), 0, Inf, rel.tol = 1e-12)$value
}
cat("hypothesis,n,sigma,theta,margin,alpha,nct,welch\n")
sigma <- 10 * sqrt(2)
cases <- list(
  list("noninferiority", 0), list("noninferiority", -5),
  list("equivalence", 0), list("equivalence", 5), list("equivalence", -5)
)
for (M in c(5, 8)) {
  for (cs in cases) {
    kind <- cs[[1]]
    theta <- cs[[2]] * M / 5
    cat(sprintf("%s,%d,%.17g,%.17g,%.17g,%.17g,%.17g,%.17g\n", kind, 64, sigma, theta, M, 0.025,
                pooled(kind, 64, sigma, theta, M, 0.025), welch(kind, 64, sigma, theta, M, 0.025)))
  }
}
