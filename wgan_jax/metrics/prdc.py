"""Precision and recall (Kynkäänniemi et al. 2019) and density and coverage (Naeem et al. 2020).

Each feature vector gets a ball whose radius is the distance to its k-th nearest neighbour
among the features of its own set (itself excluded):
  precision  the share of generated features inside at least one real ball (k = 3)
  recall     the share of real features inside at least one generated ball (k = 3)
  density    the number of real balls each generated feature lies in, over k, averaged (k = 5)
  coverage   the share of real balls holding at least one generated feature (k = 5)
"Inside" is strictly closer than the radius, as in the authors' `prdc` package. The distances
are computed a block of rows at a time, so an N x M distance matrix never exists whole: memory
is `block` x max(N, M) floats (50,000 Inception features: 1,024 x 50,000 float32, about 205 MB per block).
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np

PRECISION_RECALL_K = 3
DENSITY_COVERAGE_K = 5


@jax.jit
def squared_distances(a: jax.Array, b: jax.Array) -> jax.Array:
  """`[len(a), len(b)]` squared Euclidean distances (clamped at 0 against rounding)."""
  cross = jnp.dot(a, b.T, precision=jax.lax.Precision.HIGHEST)
  squares = jnp.sum(a * a, axis=1)[:, None] + jnp.sum(b * b, axis=1)[None, :]
  return jnp.maximum(squares - 2.0 * cross, 0.0)


@functools.partial(jax.jit, static_argnames="k")
def _kth_neighbour_block(rows: jax.Array, points: jax.Array, k: int) -> jax.Array:
  """Each row's squared distance to its k-th nearest point, itself (distance 0) counted first."""
  return -jax.lax.top_k(-squared_distances(rows, points), k + 1)[0][:, k]


@jax.jit
def _balls_block(queries: jax.Array, points: jax.Array,
                 radii: jax.Array) -> tuple[jax.Array, jax.Array]:
  """For each query: how many points' balls hold it, and its squared distance to the nearest
  point."""
  distances = squared_distances(queries, points)
  return jnp.sum(distances < radii[None, :], axis=1), jnp.min(distances, axis=1)


def _by_blocks(fn, queries: np.ndarray, block: int, *args):
  """`fn(query block, *args)` over fixed-size blocks of `queries` (the last one padded, so one
  program serves them all); the outputs concatenated and cut to `len(queries)`."""
  outputs = []
  for start in range(0, len(queries), block):
    rows = queries[start:start + block]
    padded = np.pad(rows, ((0, block - len(rows)), (0, 0))) if len(rows) < block else rows
    outputs.append(jax.device_get(fn(padded, *args)))
  if isinstance(outputs[0], tuple):
    return tuple(np.concatenate(parts)[:len(queries)] for parts in zip(*outputs))
  return np.concatenate(outputs)[:len(queries)]


def knn_radii(features: np.ndarray, k: int, block: int = 1024) -> np.ndarray:
  """Each feature's squared distance to its k-th nearest other feature of the same set."""
  if len(features) <= k:
    raise ValueError(f"k={k} nearest neighbours need more than {k} features; got "
                     f"{len(features)}.")
  points = jnp.asarray(features, jnp.float32)
  return _by_blocks(functools.partial(_kth_neighbour_block, k=k), features,
                    min(block, len(features)), points)


def prdc(real: np.ndarray, fake: np.ndarray, block: int = 1024,
         precision_recall_k: int = PRECISION_RECALL_K,
         density_coverage_k: int = DENSITY_COVERAGE_K) -> dict[str, float]:
  """Precision, recall, density and coverage of `fake` `[M, D]` against `real` `[N, D]`."""
  real = np.asarray(real, np.float32)
  fake = np.asarray(fake, np.float32)
  real_points, fake_points = jnp.asarray(real), jnp.asarray(fake)
  real_radii = {k: jnp.asarray(knn_radii(real, k, block))
                for k in {precision_recall_k, density_coverage_k}}
  fake_radii = jnp.asarray(knn_radii(fake, precision_recall_k, block))
  fake_block, real_block = min(block, len(fake)), min(block, len(real))
  in_real_balls, _ = _by_blocks(_balls_block, fake, fake_block, real_points,
                                real_radii[precision_recall_k])
  in_real_balls_dc, _ = _by_blocks(_balls_block, fake, fake_block, real_points,
                                   real_radii[density_coverage_k])
  in_fake_balls, nearest_fake = _by_blocks(_balls_block, real, real_block, fake_points,
                                           fake_radii)
  return {
      "precision": float(np.mean(in_real_balls > 0)),
      "recall": float(np.mean(in_fake_balls > 0)),
      "density": float(np.mean(in_real_balls_dc) / density_coverage_k),
      "coverage": float(np.mean(nearest_fake < np.asarray(real_radii[density_coverage_k]))),
  }
