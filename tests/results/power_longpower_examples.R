# The reference values of tests/test_power.py's Lu, Luo & Chen (2008) tests: calls of
# R's longpower (M. C. Donohue) whose printed results the tests expect.
#
# longpower is not installable on the development machine (no CRAN access), so the
# numbers below were transcribed from the output that longpower 1.0.26's own reference
# pages print for these calls (mcdonohue/longpower on GitHub: reference/power.mmrm.html
# and reference/power.mmrm.ar1.html; https://mcdonohue.github.io/longpower/). With R:
#
#   Rscript tests/results/power_longpower_examples.R
#
# prints them again (install.packages("longpower") first).

library(longpower)

# power.mmrm: compound symmetry 0.25 over 4 visits, retention 1, 0.9, 0.8, 0.7
Ra <- matrix(0.25, nrow = 4, ncol = 4)
diag(Ra) <- 1
ra <- c(1, 0.90, 0.80, 0.70)
power.mmrm(Ra = Ra, ra = ra, sigmaa = 1, delta = 0.5, power = 0.80)
#   n1 = n2 = 86.99175
power.mmrm(N = 174, Ra = Ra, ra = ra, sigmaa = 1, delta = 0.5)
#   power = 0.8000372
power.mmrm(N = 174, Ra = Ra, ra = ra, sigmaa = 1, power = 0.80)
#   delta = 0.4999763
power.mmrm(Ra = Ra, ra = ra, sigmaa = 1, delta = 0.5, power = 0.80, lambda = 2)
#   n1 = 130.4876, n2 = 65.24381
power.mmrm(N = 174, Ra = Ra, ra = ra, sigmaa = 1, delta = 0.5, lambda = 2)
#   power = 0.7522291
power.mmrm(N = 174, Ra = Ra, ra = ra, sigmaa = 1, power = 0.80, lambda = 2)
#   delta = 0.5303049

# Table 1 of Lu, Luo & Chen (2008), the formula by hand: total N for delta / sigma = 0.5,
# power 0.90, two-sided alpha 0.05, with z quantiles and with one t correction (t
# quantiles on the z answer's N - 2 df)
total <- function(phi1, phi2, lambda, q) {
  n1 <- (phi1 + lambda * phi2) * q^2 / 0.5^2
  n1 + n1 / lambda
}
cases <- data.frame(phi1 = c(1, 1, 1, 1, 1, 1, 2, 2), phi2 = c(1, 1, 2, 2, 2, 2, 2, 2),
  lambda = c(1, 2, sqrt(1 / 2), 1 / 2, 1, 2, 1, 2))
cases$z <- with(cases, total(phi1, phi2, lambda, qnorm(0.975) + qnorm(0.90)))
cases$t <- with(cases, total(phi1, phi2, lambda, qt(0.975, z - 2) + qt(0.90, z - 2)))
cases
#   z: 168.1188 189.1336 244.9670 252.1782 252.1782 315.2227 336.2375 378.2672
#   t: 170.1476 191.1576 246.9822 254.1925 254.1925 317.2313 338.2447 380.2721

# Table 2 of Lu, Luo & Chen (2008): phi of AR(1) visits 1..J, retention falling linearly
# from 1 to 1 - a, correlation p between the first and the last visit
grid <- expand.grid(p = c(0, 0.1, 0.3, 0.5, 0.7, 0.9), a = (1:4) / 10, J = c(2, 4))
grid$phi <- mapply(function(p, a, J) {
  power.mmrm.ar1(rho = p^(1 / (J - 1)), ra = seq(1, 1 - a, length = J), sigmaa = 1,
    times = 1:J, delta = 1, power = 0.80)$phi1
}, grid$p, grid$a, grid$J)
matrix(grid$phi, ncol = 6, byrow = TRUE)
#   [1,] 1.111111 1.110000 1.101111 1.083333 1.056667 1.021111
#   [2,] 1.250000 1.247500 1.227500 1.187500 1.127500 1.047500
#   [3,] 1.428571 1.424286 1.390000 1.321429 1.218571 1.081429
#   [4,] 1.666667 1.660000 1.606667 1.500000 1.340000 1.126667
#   [5,] 1.111111 1.100502 1.082804 1.062830 1.039967 1.014086
#   [6,] 1.250000 1.224745 1.183929 1.138862 1.087970 1.030895
#   [7,] 1.428571 1.382542 1.310653 1.233183 1.147022 1.051426
#   [8,] 1.666667 1.590105 1.474888 1.354053 1.221989 1.077280

# power.mmrm.ar1, rho 0.6, different retention in the two arms (Table 5's settings)
ra <- c(100, 76, 63, 52) / 100
rb <- c(100, 87, 81, 78) / 100
power.mmrm.ar1(rho = 0.6, ra = ra, sigmaa = 1, rb = rb, lambda = sqrt(1.25 / 1.75),
  power = 0.904, delta = 0.9)
#   n1 = 36.92307, n2 = 43.68796, phi1 = 1.752276, phi2 = 1.246951
power.mmrm.ar1(rho = 0.6, ra = ra, sigmaa = 1, rb = rb, lambda = 1.25 / 1.75,
  power = 0.910, delta = 0.9)
#   n1 = 35.54856, n2 = 49.76798
power.mmrm.ar1(rho = 0.6, ra = ra, sigmaa = 1, rb = rb, lambda = 1, power = 0.903,
  delta = 0.9)
#   n1 = n2 = 39.3224
power.mmrm.ar1(rho = 0.6, ra = ra, sigmaa = 1, rb = rb, lambda = 2, power = 0.904,
  delta = 0.9)
#   n1 = 55.87099, n2 = 27.93549
power.mmrm.ar1(N = 80, rho = 0.6, ra = ra, sigmaa = 1, rb = rb, lambda = 1, delta = 0.9)
#   power = 0.9077117
power.mmrm.ar1(N = 84, rho = 0.6, ra = ra, sigmaa = 1, rb = rb, lambda = 2, power = 0.904,
  delta = 0.9, sig.level = NULL)
#   sig.level = 0.04956129
