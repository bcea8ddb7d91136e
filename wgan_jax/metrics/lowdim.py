"""Metrics for low-dimensional data: exact W1, modes covered, share of high-quality samples."""

from __future__ import annotations

import numpy as np

from wgan_jax.extras import train_extra

with train_extra(__name__):
  import ot


def wasserstein1(x: np.ndarray, y: np.ndarray) -> float:
  """Exact earth mover's distance between two empirical sets (uniform weights, Euclidean cost)."""
  x = np.asarray(x, np.float64).reshape(len(x), -1)
  y = np.asarray(y, np.float64).reshape(len(y), -1)
  cost = ot.dist(x, y, metric="euclidean")
  return float(ot.emd2(ot.unif(len(x)), ot.unif(len(y)), cost, numItermax=1_000_000))


def mode_statistics(samples: np.ndarray, centers: np.ndarray, std: float,
                    num_stds: float = 3.0) -> dict[str, float]:
  """Modes covered and the share of high-quality samples for a Gaussian mixture.

  A sample is high quality when it lies within `num_stds` standard deviations
  of its nearest mode; a mode is covered when at least one high-quality sample
  is assigned to it.
  """
  samples = np.asarray(samples, np.float64)
  distances = np.linalg.norm(samples[:, None, :] - centers[None, :, :], axis=-1)
  nearest = np.argmin(distances, axis=1)
  good = distances[np.arange(len(samples)), nearest] <= num_stds * std
  return {
      "modes_covered": int(len(np.unique(nearest[good]))),
      "num_modes": int(len(centers)),
      "high_quality_share": float(np.mean(good)),
  }
