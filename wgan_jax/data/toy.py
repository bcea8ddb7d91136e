"""Low-dimensional data sets of both papers, generated as the official codes do.

8 Gaussians, 25 Gaussians and the Swiss roll follow the WGAN-GP `gan_toy.py`
(same centres, noise and scaling); the parallel lines and the two 1-D
Gaussians are the WGAN paper's examples for Figures 1 and 2.
"""

from __future__ import annotations

import math

import numpy as np

# 8 Gaussians: unit-circle centres scaled by 2, noise std 0.02, then divided by 1.414.
_EIGHT_SCALE = 1.414
EIGHT_GAUSSIAN_CENTERS = 2.0 * np.array(
    [(1, 0), (-1, 0), (0, 1), (0, -1)]
    + [(sx / math.sqrt(2), sy / math.sqrt(2)) for sx, sy in ((1, 1), (1, -1), (-1, 1), (-1, -1))],
    dtype=np.float64) / _EIGHT_SCALE
EIGHT_GAUSSIAN_STD = 0.02 / _EIGHT_SCALE

# 25 Gaussians: a 5x5 grid with spacing 2, noise std 0.05, then divided by 2.828.
_TWENTY_FIVE_SCALE = 2.828
TWENTY_FIVE_GAUSSIAN_CENTERS = np.array(
    [(2.0 * i, 2.0 * j) for i in range(-2, 3) for j in range(-2, 3)],
    dtype=np.float64) / _TWENTY_FIVE_SCALE
TWENTY_FIVE_GAUSSIAN_STD = 0.05 / _TWENTY_FIVE_SCALE

# The official 25-Gaussians set is a fixed, shuffled pool of 100,000 points (4,000 per mode).
TWENTY_FIVE_POOL_SIZE = 100_000


def eight_gaussians(n: int, rng: np.random.Generator) -> np.ndarray:
  """`n` i.i.d. points of the 8-Gaussians mixture, `[n, 2]` float32."""
  centers = EIGHT_GAUSSIAN_CENTERS[rng.integers(0, 8, size=n)]
  return (centers + EIGHT_GAUSSIAN_STD * rng.standard_normal((n, 2))).astype(np.float32)


def twenty_five_gaussians_pool(rng: np.random.Generator,
                               size: int = TWENTY_FIVE_POOL_SIZE) -> np.ndarray:
  """The fixed pool the official code samples batches from: equal counts per mode, shuffled."""
  per_mode = size // 25
  centers = np.repeat(TWENTY_FIVE_GAUSSIAN_CENTERS, per_mode, axis=0)
  points = centers + TWENTY_FIVE_GAUSSIAN_STD * rng.standard_normal(centers.shape)
  return rng.permutation(points).astype(np.float32)


def twenty_five_gaussians(n: int, rng: np.random.Generator) -> np.ndarray:
  """`n` i.i.d. points of the 25-Gaussians mixture, `[n, 2]` float32."""
  centers = TWENTY_FIVE_GAUSSIAN_CENTERS[rng.integers(0, 25, size=n)]
  return (centers + TWENTY_FIVE_GAUSSIAN_STD * rng.standard_normal((n, 2))).astype(np.float32)


def swiss_roll(n: int, rng: np.random.Generator, noise: float = 0.25) -> np.ndarray:
  """The Swiss roll of `sklearn.datasets.make_swiss_roll(noise=0.25)`, axes (x, z), divided by 7.5."""
  t = 1.5 * np.pi * (1.0 + 2.0 * rng.random(n))
  x = t * np.cos(t)
  y = 21.0 * rng.random(n)
  z = t * np.sin(t)
  points = np.stack([x, y, z], axis=1) + noise * rng.standard_normal((n, 3))
  return (points[:, [0, 2]] / 7.5).astype(np.float32)


def parallel_lines(n: int, rng: np.random.Generator, theta: float = 0.0) -> np.ndarray:
  """WGAN Example 1: (theta, Z) with Z ~ U[0, 1]; theta = 0 is the real distribution P_0."""
  z = rng.random(n)
  return np.stack([np.full(n, theta), z], axis=1).astype(np.float32)


def gaussian_1d(n: int, rng: np.random.Generator, mean: float = 0.0, std: float = 1.0) -> np.ndarray:
  """`[n, 1]` samples of N(mean, std^2) (WGAN Figure 2 separates two of these)."""
  return (mean + std * rng.standard_normal((n, 1))).astype(np.float32)


TOY_SAMPLERS = {
    "8gaussians": eight_gaussians,
    "25gaussians": twenty_five_gaussians,
    "swissroll": swiss_roll,
    "parallel_lines": parallel_lines,
    "gaussian_1d": gaussian_1d,
}

TOY_MODES = {
    "8gaussians": (EIGHT_GAUSSIAN_CENTERS, EIGHT_GAUSSIAN_STD),
    "25gaussians": (TWENTY_FIVE_GAUSSIAN_CENTERS, TWENTY_FIVE_GAUSSIAN_STD),
}


def toy_dataset(name: str, n: int, seed: int = 0) -> np.ndarray:
  """`n` points of the toy set `name` (see `TOY_SAMPLERS`), reproducible from `seed`."""
  if name not in TOY_SAMPLERS:
    raise ValueError(f"Unknown toy data set {name!r}; choose one of {sorted(TOY_SAMPLERS)}.")
  rng = np.random.default_rng(seed)
  if name == "25gaussians":
    pool = twenty_five_gaussians_pool(rng, max(TWENTY_FIVE_POOL_SIZE, n))
    return pool[:n]
  return TOY_SAMPLERS[name](n, rng)
