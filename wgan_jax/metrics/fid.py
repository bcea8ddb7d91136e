"""FID, KID and Inception Score on the FID Inception-v3 network, run in JAX.

    extractor = InceptionFeatures()                      # loads converted weights
    fake = extractor(images_uint8)                       # [N, 2048] float64
    real = extractor.cached_features('cifar10-train', lambda: real_images)
    fid = frechet_distance(*gaussian_stats(fake), *gaussian_stats(real))

The Frechet distance is the reference tools' formula; its trace term Tr((S1 S2)^(1/2)) is
taken from symmetric eigenvalue problems instead of their `scipy.linalg.sqrtm` of the product
(the same value to about 1e-6 relative, 5-9x faster at 2048 dimensions and exact where too few
samples make the product singular); KID is the unbiased squared MMD with the
cubic polynomial kernel averaged over random subsets, as in Binkowski et al.
(2018) and clean-fid.
"""

from __future__ import annotations

import functools
import os
import pathlib
from typing import Callable, Iterable

import jax
import numpy as np
import scipy.special

from wgan_jax.extras import train_extra
from wgan_jax.metrics.inception import (FEATURE_DIM, FIDInceptionV3, default_weights_path,
                                        load_params, to_inception_input)

with train_extra(__name__):
  from tqdm import tqdm


@functools.lru_cache(maxsize=None)
def _inception_program(with_logits: bool):
  """One jitted network per head, shared by every extractor so each batch shape compiles once."""
  model = FIDInceptionV3(with_logits=with_logits)
  return jax.jit(lambda variables, images: model.apply(variables, to_inception_input(images)))


class InceptionFeatures:
  """Pool3 features (and logits, with 1008-way weights) of NHWC images in [0, 255]."""

  def __init__(self, weights_path: str | os.PathLike | None = None, batch_size: int = 100):
    self.weights_path = pathlib.Path(weights_path) if weights_path else default_weights_path()
    self.variables = load_params(self.weights_path)
    self.has_logits = "logits" in self.variables["params"]
    self.batch_size = batch_size
    self._apply = _inception_program(self.has_logits)

  def run(self, images: np.ndarray | Iterable[np.ndarray], progress: bool = False):
    """(features [N, 2048], logits [N, 1008] or None) for an array or an iterable of batches."""
    batches = images
    if isinstance(images, np.ndarray):
      batches = (images[i:i + self.batch_size] for i in range(0, len(images), self.batch_size))
    features, logits = [], []
    for batch in tqdm(batches, disable=not progress, desc="inception features", unit="batch"):
      batch = np.asarray(batch)
      n = len(batch)
      if n < self.batch_size:  # pad to one compiled shape
        batch = np.concatenate([batch, np.zeros((self.batch_size - n,) + batch.shape[1:],
                                                batch.dtype)])
      out = self._apply(self.variables, batch)
      f, l = out if self.has_logits else (out, None)
      features.append(np.asarray(f, np.float64)[:n])
      if l is not None:
        logits.append(np.asarray(l, np.float64)[:n])
    if not features:  # no images: empty arrays, so callers can count them
      return np.zeros((0, FEATURE_DIM)), (np.zeros((0, 1008)) if self.has_logits else None)
    return np.concatenate(features), (np.concatenate(logits) if logits else None)

  def __call__(self, images, progress: bool = False) -> np.ndarray:
    return self.run(images, progress)[0]

  def cached_features(self, name: str,
                      images: Callable[[], np.ndarray | Iterable[np.ndarray]],
                      cache_dir: str | os.PathLike | None = None) -> np.ndarray:
    """Features of a reference set, computed once and kept in `cache_dir` under `name`.

    Features rather than only (mu, sigma), so KID can use the same cache.
    """
    cache_dir = pathlib.Path(cache_dir) if cache_dir else self.weights_path.parent / "reference"
    path = cache_dir / f"{name}.npz"
    if path.exists():
      with np.load(path) as data:
        return data["features"].astype(np.float64)
    features = self(images(), progress=True)
    cache_dir.mkdir(parents=True, exist_ok=True)
    np.savez(path, features=features.astype(np.float32))
    return features.astype(np.float32).astype(np.float64)


def gaussian_stats(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
  features = np.asarray(features, np.float64)
  return features.mean(axis=0), np.cov(features, rowvar=False)


def frechet_distance(mu1, sigma1, mu2, sigma2) -> float:
  """||mu1 - mu2||^2 + Tr(S1 + S2 - 2 (S1 S2)^(1/2))."""
  mu1, mu2 = np.asarray(mu1, np.float64), np.asarray(mu2, np.float64)
  sigma1, sigma2 = np.asarray(sigma1, np.float64), np.asarray(sigma2, np.float64)
  return float(np.sum((mu1 - mu2) ** 2) + np.trace(sigma1) + np.trace(sigma2)
               - 2 * trace_sqrt_product(sigma1, sigma2))


def trace_sqrt_product(sigma1: np.ndarray, sigma2: np.ndarray) -> float:
  """Tr((S1 S2)^(1/2)) for symmetric positive semi-definite S1, S2.

  S1 S2 is similar to R S2 R with R = S1^(1/2), which is symmetric positive semi-definite, so the
  trace is the sum of the square roots of that matrix's eigenvalues: two `eigh` calls instead of a
  general matrix square root. Round-off eigenvalues below zero count as zero.
  """
  values, vectors = np.linalg.eigh(sigma1)
  root = (vectors * np.sqrt(np.clip(values, 0, None))) @ vectors.T
  product = root @ sigma2 @ root
  return float(np.sum(np.sqrt(np.clip(np.linalg.eigvalsh((product + product.T) / 2), 0, None))))


def kernel_inception_distance(features1: np.ndarray, features2: np.ndarray,
                              num_subsets: int = 100, subset_size: int = 1000,
                              seed: int = 0) -> tuple[float, float]:
  """(mean, std) over subsets of the unbiased MMD^2 with k(x, y) = (x.y / d + 1)^3."""
  rng = np.random.default_rng(seed)
  m = min(len(features1), len(features2), subset_size)
  values = []
  for _ in range(num_subsets):
    x = features1[rng.choice(len(features1), m, replace=False)]
    y = features2[rng.choice(len(features2), m, replace=False)]
    kxx = (x @ x.T / FEATURE_DIM + 1) ** 3
    kyy = (y @ y.T / FEATURE_DIM + 1) ** 3
    kxy = (x @ y.T / FEATURE_DIM + 1) ** 3
    values.append((kxx.sum() - np.trace(kxx) + kyy.sum() - np.trace(kyy)) / (m * (m - 1))
                  - 2 * kxy.mean())
  return float(np.mean(values)), float(np.std(values))


def inception_score(logits: np.ndarray, splits: int = 10) -> tuple[float, float]:
  """(mean, std) over splits of exp(E_x KL(p(y|x) || p(y))), from 1008-way logits."""
  logits = np.asarray(logits, np.float64)
  log_p = logits - scipy.special.logsumexp(logits, axis=1, keepdims=True)
  scores = []
  for part in np.array_split(log_p, splits):
    log_marginal = scipy.special.logsumexp(part, axis=0) - np.log(len(part))
    kl = np.sum(np.exp(part) * (part - log_marginal), axis=1)
    scores.append(np.exp(kl.mean()))
  return float(np.mean(scores)), float(np.std(scores))
