"""Paths through the generator's latent space: straight lines and great circles between noise vectors.

A straight line between two Gaussian noise vectors passes close to the origin, where
almost no training noise lies (the norm at its midpoint is about 1/sqrt(2) of the
ends'); the spherical path keeps the norm of the ends, so every image on it is drawn
from where the generator was trained. Both are shown by `scripts/sample.py --interpolate`.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

Array = jax.Array
PATHS = ("linear", "spherical")


def linear_path(start: Array, end: Array, t: Array) -> Array:
  """Points `(1 - t) start + t end` for each fraction in `t`: `[len(t), *start.shape]`."""
  t = t.reshape((-1,) + (1,) * start.ndim)
  return (1.0 - t) * start + t * end


def spherical_path(start: Array, end: Array, t: Array) -> Array:
  """Points along the great-circle arc from `start` to `end` (Shoemake's slerp): for ends of
  equal norm every point keeps that norm. Nearly parallel ends fall back to the straight line."""
  start_norm, end_norm = jnp.linalg.norm(start), jnp.linalg.norm(end)
  cos_angle = jnp.clip(jnp.vdot(start, end) / (start_norm * end_norm), -1.0, 1.0)
  angle = jnp.arccos(cos_angle)
  sin_angle = jnp.sin(angle)
  parallel = sin_angle < 1e-6
  safe_sin = jnp.where(parallel, 1.0, sin_angle)
  t = t.reshape((-1,) + (1,) * start.ndim)
  spherical = (jnp.sin((1.0 - t) * angle) * start + jnp.sin(t * angle) * end) / safe_sin
  return jnp.where(parallel, linear_path(start, end, t.reshape(-1)), spherical)


def latent_paths(key: Array, rows: int, steps: int, latent_dim: int,
                 path: str = "linear") -> Array:
  """`[rows * steps, latent_dim]` noise: row by row, `steps` points from one standard normal
  vector to another, ends included."""
  if path not in PATHS:
    raise ValueError(f"Unknown latent path {path!r}; choose one of {PATHS}.")
  if rows < 1 or steps < 2:
    raise ValueError(f"A latent path figure needs at least one row and two steps per row, got "
                     f"rows={rows}, steps={steps}.")
  start_key, end_key = jax.random.split(key)
  starts = jax.random.normal(start_key, (rows, latent_dim))
  ends = jax.random.normal(end_key, (rows, latent_dim))
  along = linear_path if path == "linear" else spherical_path
  t = jnp.linspace(0.0, 1.0, steps)
  return jax.vmap(along, in_axes=(0, 0, None))(starts, ends, t).reshape(rows * steps, latent_dim)
