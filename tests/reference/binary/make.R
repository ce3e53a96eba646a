# Reference values for trialsim's exact binary-outcome primitives (issue
# #18): one-sided Clopper-Pearson upper bounds (binom.test), Fisher's exact
# test p-values (fisher.test) and the exact power of Fisher's test by
# enumeration over both arms' binomial outcomes.
# Run from the repository root:  Rscript tests/reference/binary/make.R
# Made with R 4.2.2 (Debian's r-base-core); base R only.
here <- "tests/reference/binary"
options(digits = 17)

# Upper bounds: binom.test(x, n, alternative = "less", conf.level = level).
cp <- expand.grid(x = c(0, 1, 2, 5), n = c(1, 5, 30, 250, 1000), level = c(0.95, 0.975))
cp <- cp[cp$x <= cp$n, ]
cp <- rbind(cp, data.frame(x = c(30, 250, 1000, 3), n = c(30, 250, 1000, 3), level = 0.95))
cp$upper <- mapply(function(x, n, level)
  binom.test(x, n, alternative = "less", conf.level = level)$conf.int[2],
  cp$x, cp$n, cp$level)
write.csv(cp, file.path(here, "clopper_pearson.csv"), row.names = FALSE)

# Fisher's exact test on the table rows (x1, n1 - x1) and (x2, n2 - x2);
# "greater": the first row's odds of an event are higher.
# The last rows are large (1 200 patients), where binomial coefficients
# overflow a double.
tables <- data.frame(
  x1 = c(3, 0, 0, 10, 7, 1, 12, 0, 30, 5, 2, 200, 190, 200, 3),
  n1 = c(10, 10, 15, 10, 20, 40, 30, 250, 30, 50, 3, 600, 600, 600, 1500),
  x2 = c(1, 0, 4, 0, 7, 6, 5, 3, 0, 5, 0, 120, 200, 195, 12),
  n2 = c(10, 12, 15, 10, 20, 40, 31, 250, 30, 50, 4, 600, 600, 600, 1400))
p <- function(r, alt) {
  m <- matrix(c(r$x1, r$x2, r$n1 - r$x1, r$n2 - r$x2), nrow = 2)
  fisher.test(m, alternative = alt)$p.value
}
tables$two_sided <- sapply(seq_len(nrow(tables)), function(i) p(tables[i, ], "two.sided"))
tables$greater <- sapply(seq_len(nrow(tables)), function(i) p(tables[i, ], "greater"))
tables$less <- sapply(seq_len(nrow(tables)), function(i) p(tables[i, ], "less"))
write.csv(tables, file.path(here, "fisher.csv"), row.names = FALSE)

# Exact power: the probability, over independent Binomial(n1, p1) and
# Binomial(n2, p2) outcomes, that fisher.test rejects at alpha.
power <- function(n1, n2, p1, p2, alpha, alt) {
  total <- 0
  for (x1 in 0:n1) for (x2 in 0:n2) {
    m <- matrix(c(x1, x2, n1 - x1, n2 - x2), nrow = 2)
    if (fisher.test(m, alternative = alt)$p.value <= alpha)
      total <- total + dbinom(x1, n1, p1) * dbinom(x2, n2, p2)
  }
  total
}
designs <- data.frame(
  n1 = c(20, 15, 30, 10),
  n2 = c(20, 15, 25, 12),
  p1 = c(0.6, 0.5, 0.4, 0.3),
  p2 = c(0.2, 0.5, 0.1, 0.05),
  alpha = c(0.05, 0.05, 0.025, 0.05),
  alternative = c("two.sided", "two.sided", "greater", "less"))
designs$power <- mapply(power, designs$n1, designs$n2, designs$p1, designs$p2,
                        designs$alpha, designs$alternative)
write.csv(designs, file.path(here, "fisher_power.csv"), row.names = FALSE)

# Newcombe's hybrid score interval for p1 - p2 (Newcombe 1998, method 10):
# each arm's Wilson score interval, prop.test(x, n, correct = FALSE)$conf.int,
# combined as d - sqrt((p1 - l1)^2 + (u2 - p2)^2), d + sqrt((u1 - p1)^2 + (p2 - l2)^2).
# The first eight rows are Newcombe's (1998, Table II) examples (a)-(h).
wilson <- function(x, n, level) suppressWarnings(prop.test(x, n, conf.level = level, correct = FALSE)$conf.int)
newcombe <- function(x1, n1, x2, n2, level) {
  p1 <- x1 / n1; p2 <- x2 / n2; a <- wilson(x1, n1, level); b <- wilson(x2, n2, level)
  d <- p1 - p2
  c(d - sqrt((p1 - a[1])^2 + (b[2] - p2)^2), d + sqrt((a[2] - p1)^2 + (p2 - b[1])^2))
}
nc <- data.frame(
  x1 = c(56, 9, 6, 5, 0, 0, 10, 10, 3, 15, 1),
  n1 = c(70, 10, 7, 56, 10, 10, 10, 10, 15, 30, 250),
  x2 = c(48, 3, 2, 0, 0, 0, 0, 0, 8, 15, 0),
  n2 = c(80, 10, 7, 29, 20, 10, 20, 10, 16, 30, 250),
  level = c(rep(0.95, 8), 0.90, 0.99, 0.95))
ci <- t(mapply(newcombe, nc$x1, nc$n1, nc$x2, nc$n2, nc$level))
nc$lower <- ci[, 1]
nc$upper <- ci[, 2]
write.csv(nc, file.path(here, "newcombe.csv"), row.names = FALSE)
