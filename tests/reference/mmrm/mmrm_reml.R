# Reference REML fits of the MMRM (issue #27) for the data sets a.csv, b.csv
# and c.csv beside this script (made by make.sh with `trialsim dataset`).
#
# Model: value at post-baseline visit j = mu_j + beta_j * arm + gamma_j *
# (baseline - mean baseline) + e, e ~ N(0, Sigma) within patient,
# Sigma unstructured (one for both arms); REML. Nothing imputed.
#
# Two independent fits, written to reference.csv:
#   1. "dense": the REML log-likelihood written out with the whole data's
#      N x N matrices, maximised by optim (BFGS on a log-Cholesky factor),
#      then Newton-polished on Sigma's elements with the dense analytic
#      gradient and observed information until the gradient is below 1e-9
#      (exactly converged); Satterthwaite df for each visit's arm effect from
#      the observed information (the Hessian of -loglik). Its Hessian is
#      checked against optimHess's finite differences.
#   2. "nlme": nlme::gls(..., correlation = corSymm(), weights = varIdent(),
#      method = "REML"), converged only to nlme's own tolerances (~1e-5);
#      it gives no df.
#
# Run from the repository root:  Rscript tests/reference/mmrm/mmrm_reml.R
# Made with R 4.2.2 and nlme 3.1-162 (Debian's r-base-core, r-cran-nlme).

suppressMessages(library(nlme))
here <- "tests/reference/mmrm"

prepare <- function(file) {
  d <- read.csv(file.path(here, file))
  base <- d[d$month == 0, c("patient", "value")]
  names(base)[2] <- "baseline"
  post <- d[d$month > 0 & !is.na(d$value), ]
  post <- merge(post, base, by = "patient")
  post$arm <- as.numeric(post$arm == "treatment")
  post$bc <- post$baseline - mean(base$baseline)
  months <- sort(unique(d$month[d$month > 0]))
  post$j <- match(post$month, months)
  post <- post[order(post$patient, post$j), ]
  list(d = post, months = months)
}

# Design: columns (visit j, covariate c) in the order j-major, c = 1, arm, bc.
design <- function(d, nv) {
  X <- matrix(0, nrow(d), 3 * nv)
  for (r in seq_len(nrow(d))) {
    j <- d$j[r]
    X[r, 3 * (j - 1) + 1:3] <- c(1, d$arm[r], d$bc[r])
  }
  X
}

# Symmetric Sigma from its upper-triangle elements (row-major: (1,1), (1,2), ...).
elements <- function(nv) {
  e <- NULL
  for (a in 1:nv) for (b in a:nv) e <- rbind(e, c(a, b))
  e
}
sigma_of <- function(theta, nv) {
  S <- matrix(0, nv, nv)
  e <- elements(nv)
  for (k in seq_len(nrow(e))) { S[e[k, 1], e[k, 2]] <- theta[k]; S[e[k, 2], e[k, 1]] <- theta[k] }
  S
}

big_v <- function(S, d) {
  V <- matrix(0, nrow(d), nrow(d))
  for (p in unique(d$patient)) {
    idx <- which(d$patient == p)
    V[idx, idx] <- S[d$j[idx], d$j[idx]]
  }
  V
}

reml <- function(S, d, X, y) {
  V <- big_v(S, d)
  cv <- tryCatch(chol(V), error = function(e) NULL)
  if (is.null(cv)) return(-Inf)
  Vi <- chol2inv(cv)
  M <- t(X) %*% Vi %*% X
  cm <- tryCatch(chol(M), error = function(e) NULL)
  if (is.null(cm)) return(-Inf)
  beta <- chol2inv(cm) %*% t(X) %*% Vi %*% y
  r <- y - X %*% beta
  -0.5 * (2 * sum(log(diag(cv))) + 2 * sum(log(diag(cm))) + drop(t(r) %*% Vi %*% r))
}

# Gradient and observed information on Sigma's elements, dense.
derivatives <- function(S, d, X, y, nv) {
  V <- big_v(S, d)
  Vi <- solve(V)
  M <- t(X) %*% Vi %*% X
  Mi <- solve(M)
  P <- Vi - Vi %*% X %*% Mi %*% t(X) %*% Vi
  e <- elements(nv)
  K <- nrow(e)
  Vk <- lapply(seq_len(K), function(k) {
    D <- matrix(0, nv, nv); D[e[k, 1], e[k, 2]] <- 1; D[e[k, 2], e[k, 1]] <- 1
    big_v(D, d)
  })
  Py <- P %*% y
  g <- sapply(seq_len(K), function(k) -0.5 * (sum(diag(P %*% Vk[[k]])) - drop(t(Py) %*% Vk[[k]] %*% Py)))
  I <- matrix(0, K, K)
  for (k in 1:K) for (l in 1:K) {
    PkPl <- P %*% Vk[[k]] %*% P %*% Vk[[l]]
    I[k, l] <- -0.5 * sum(diag(PkPl)) + drop(t(Py) %*% Vk[[k]] %*% P %*% Vk[[l]] %*% Py)
  }
  list(g = g, I = I, Mi = Mi, beta = Mi %*% t(X) %*% Vi %*% y, Vk = Vk, Vi = Vi)
}

dense_fit <- function(prep) {
  d <- prep$d; nv <- length(prep$months)
  X <- design(d, nv); y <- d$value
  # Start: each visit's residual variance, no correlation.
  v0 <- sapply(1:nv, function(j) { s <- d[d$j == j, ]; summary(lm(value ~ arm + bc, s))$sigma^2 })
  L0 <- diag(sqrt(v0))
  pack <- function(L) c(log(diag(L)), L[lower.tri(L)])
  unpack <- function(p) { L <- diag(exp(p[1:nv])); L[lower.tri(L)] <- p[-(1:nv)]; L }
  f <- function(p) { L <- unpack(p); -reml(L %*% t(L), d, X, y) }
  o <- optim(pack(L0), f, method = "BFGS", control = list(reltol = 1e-16, maxit = 10000))
  L <- unpack(o$par); S <- L %*% t(L)
  e <- elements(nv)
  theta <- S[e]
  for (it in 1:50) {
    dv <- derivatives(sigma_of(theta, nv), d, X, y, nv)
    step <- solve(dv$I, dv$g)
    theta <- theta + step
    if (max(abs(dv$g)) < 1e-9) break
  }
  dv <- derivatives(sigma_of(theta, nv), d, X, y, nv)
  stopifnot(max(abs(dv$g)) < 1e-8)
  # The analytic Hessian against finite differences of the log-likelihood.
  num <- optimHess(theta, function(t) reml(sigma_of(t, nv), d, X, y))
  stopifnot(max(abs(-num - dv$I)) < 1e-3 * max(abs(dv$I)))
  out <- NULL
  for (j in 1:nv) {
    cc <- 3 * (j - 1) + 2
    phi <- dv$Mi[cc, cc]
    A <- lapply(dv$Vk, function(Vk) t(X) %*% dv$Vi %*% Vk %*% dv$Vi %*% X)
    gphi <- sapply(A, function(Ak) (dv$Mi %*% Ak %*% dv$Mi)[cc, cc])
    df <- 2 * phi^2 / drop(t(gphi) %*% solve(dv$I, gphi))
    out <- rbind(out, data.frame(month = prep$months[j], estimate = dv$beta[cc],
                                 se = sqrt(phi), df = df,
                                 loglik = reml(sigma_of(theta, nv), d, X, y),
                                 max_gradient = max(abs(dv$g))))
  }
  out
}

nlme_fit <- function(prep) {
  d <- prep$d
  d$vis <- factor(d$j)
  g <- gls(value ~ 0 + vis + vis:arm + vis:bc, data = d,
           correlation = corSymm(form = ~ j | patient),
           weights = varIdent(form = ~ 1 | vis), method = "REML",
           control = glsControl(maxIter = 500, msMaxIter = 500))
  tt <- summary(g)$tTable
  rows <- paste0("vis", seq_along(prep$months), ":arm")
  data.frame(month = prep$months, nlme_estimate = tt[rows, "Value"], nlme_se = tt[rows, "Std.Error"])
}

all <- NULL
for (name in c("a", "b", "c")) {
  prep <- prepare(paste0(name, ".csv"))
  r <- merge(dense_fit(prep), nlme_fit(prep), by = "month")
  all <- rbind(all, cbind(data = name, r))
}
write.csv(all, file.path(here, "reference.csv"), row.names = FALSE)
options(digits = 17)
print(all)
