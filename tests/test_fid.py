"""The Frechet distance, KID and Inception Score on hand-made features (no network)."""

import numpy as np
import pytest
import scipy.linalg

from wgan_jax.metrics.fid import (frechet_distance, gaussian_stats, inception_score,
                                  kernel_inception_distance, trace_sqrt_product)


def _reference_fid(mu1, sigma1, mu2, sigma2):
  """The reference tools' formula: the real part of scipy's general matrix square root."""
  root = scipy.linalg.sqrtm(sigma1 @ sigma2)
  return float(np.real(np.sum((mu1 - mu2) ** 2) + np.trace(sigma1 + sigma2 - 2 * root)))


@pytest.mark.parametrize("samples", [500, 12], ids=["full_rank", "fewer_samples_than_dims"])
def test_frechet_distance_equals_the_reference_tools_sqrtm(samples):
  rng = np.random.default_rng(0)
  mixing = rng.normal(size=(64, 64))
  a = rng.normal(size=(samples, 64)) @ mixing
  b = 0.5 * rng.normal(size=(samples, 64)) @ mixing + 0.3 * a + 1.0
  stats_a, stats_b = gaussian_stats(a), gaussian_stats(b)
  assert frechet_distance(*stats_a, *stats_b) == pytest.approx(
      _reference_fid(*stats_a, *stats_b), rel=1e-6)
  assert frechet_distance(*stats_a, *stats_a) == pytest.approx(0.0, abs=1e-6 * np.trace(
      stats_a[1]))


def test_trace_sqrt_product_of_commuting_matrices():
  # Diagonal matrices commute: Tr((S1 S2)^(1/2)) = sum(sqrt(d1 * d2)), zeros included.
  d1, d2 = np.array([4.0, 9.0, 0.0, 1.0]), np.array([1.0, 4.0, 5.0, 0.25])
  assert trace_sqrt_product(np.diag(d1), np.diag(d2)) == pytest.approx(2 + 6 + 0 + 0.5)
  rotation = np.linalg.qr(np.random.default_rng(1).normal(size=(4, 4)))[0]
  rotated = [rotation @ np.diag(d) @ rotation.T for d in (d1, d2)]
  assert trace_sqrt_product(*rotated) == pytest.approx(8.5, rel=1e-6)


def test_kid_is_near_zero_for_one_distribution_and_grows_with_a_shift():
  rng = np.random.default_rng(2)
  a, b = rng.normal(size=(200, 16)), rng.normal(size=(200, 16))
  same, _ = kernel_inception_distance(a, b, num_subsets=10, subset_size=100)
  shifted, _ = kernel_inception_distance(a, b + 3.0, num_subsets=10, subset_size=100)
  assert abs(same) < 0.1 * shifted


def test_inception_score_bounds():
  rng = np.random.default_rng(0)
  confident = np.full((100, 1008), -30.0)
  confident[np.arange(100), np.arange(100) % 10] = 30.0  # ten classes, equally often
  assert inception_score(confident, splits=1)[0] == pytest.approx(10.0, rel=1e-6)
  assert inception_score(rng.normal(0, 1e-6, (100, 1008)), splits=1)[0] == pytest.approx(1.0)
