# Reference values for ci_halfwidth: the mean half-width of Welch's interval
# for a difference of two independent normal samples of n each, SD sigma,
# alpha two-sided. With X_i = (n-1) s_i^2 / sigma^2 ~ chi-square(n-1):
#   half-width = qt(1 - alpha/2, nu) * sigma * sqrt((X1 + X2) / (n (n - 1))),
#   nu = (n - 1) (X1 + X2)^2 / (X1^2 + X2^2)   (Welch-Satterthwaite).
# E[half-width] and E[half-width^2] by 2-D quadrature over (X1, X2).
# Run: Rscript tests/reference/ci_halfwidth/make.R > tests/reference/ci_halfwidth/welch.csv
hw <- function(x1, x2, n, sigma, alpha) {
  nu <- (n - 1) * (x1 + x2)^2 / (x1^2 + x2^2)
  qt(1 - alpha / 2, nu) * sigma * sqrt((x1 + x2) / (n * (n - 1)))
}
moment <- function(n, sigma, alpha, power) {
  df <- n - 1
  inner <- function(x1) sapply(x1, function(a) {
    integrate(function(x2) hw(a, x2, n, sigma, alpha)^power * dchisq(x2, df),
              0, Inf, rel.tol = 1e-12)$value
  })
  integrate(function(x1) inner(x1) * dchisq(x1, df), 0, Inf, rel.tol = 1e-12)$value
}
cat("n,sigma,alpha,mean,mean_square\n")
sigma <- 10 * sqrt(2)
for (n in c(10, 58:66)) {
  for (alpha in c(0.05)) {
    cat(sprintf("%d,%.17g,%.17g,%.17g,%.17g\n", n, sigma, alpha,
                moment(n, sigma, alpha, 1), moment(n, sigma, alpha, 2)))
  }
}
