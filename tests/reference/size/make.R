# Reference values for `size` over continuous parameters, on the exact
# two-sample design of tests/it/calibration.rs (change SD 10*sqrt(2), Welch on
# change, equal arms; with equal arms Welch's t equals the pooled t, whose df
# 2n - 2 are used here).
# Run: Rscript tests/reference/size/make.R > tests/reference/size/size.csv
sd_change <- 10 * sqrt(2)
alpha <- 0.05
cat("question,n_per_arm,target,answer\n")
# 1. Minimum detectable effect: the peak whose two-sided power is the target
#    (both tails of the noncentral t).
power <- function(d, n) {
  df <- 2 * n - 2; se <- sd_change * sqrt(2 / n); crit <- qt(1 - alpha / 2, df)
  pt(crit, df, ncp = d / se, lower.tail = FALSE) + pt(-crit, df, ncp = d / se)
}
for (n in c(16, 32, 64)) {
  mde <- uniroot(function(d) power(d, n) - 0.8, c(0, 50), tol = 1e-12)$root
  cat(sprintf("mde,%d,0.8,%.12f\n", n, mde))
}
# 2. Tolerable heterogeneity: a trial's true effect is theta + u, u ~ N(0,
#    tau^2), independent of its patients, so estimate ~ N(theta, tau^2 +
#    se^2) independent of the estimated se, and t * se / s_e, s_e =
#    sqrt(tau^2 + se^2), is noncentral t with ncp theta / s_e. P(significant
#    and favourable) = P(T' > crit * se / s_e); the largest tau with this at
#    least the target solves equality (it decreases in tau).
theta <- 0.5 * sqrt(2) * 10
favourable <- function(tau, n) {
  df <- 2 * n - 2; se <- sd_change * sqrt(2 / n); crit <- qt(1 - alpha / 2, df)
  s_e <- sqrt(tau^2 + se^2)
  pt(crit * se / s_e, df, ncp = theta / s_e, lower.tail = FALSE)
}
tau_max <- uniroot(function(t) favourable(t, 64) - 0.7, c(0, 50), tol = 1e-12)$root
cat(sprintf("tau,64,0.7,%.12f\n", tau_max))
