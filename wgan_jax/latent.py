"""The generator's latent space: its distribution, and paths through it.

`LatentPrior` is what the generator's input is drawn from: standard normal noise by default, or
InfoGAN's (Chen et al. 2016) noise followed by latent codes, one categorical code given one-hot
and continuous codes uniform on [-1, 1], which the critic's Q head is trained to read back.

Paths: straight lines and great circles between noise vectors.

A straight line between two Gaussian noise vectors passes close to the origin, where
almost no training noise lies (the norm at its midpoint is about 1/sqrt(2) of the
ends'); the spherical path keeps the norm of the ends, so every image on it is drawn
from where the generator was trained. Both are shown by `python -m wgan_jax.sample --interpolate`.
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp

Array = jax.Array
PATHS = ("linear", "spherical")
NOISE = ("normal", "uniform")


@dataclasses.dataclass(frozen=True)
class LatentPrior:
  """`latent_dim` inputs: noise, then a `categorical`-way one-hot code, then `continuous` codes.

  With no codes this is the plain GAN prior. The codes occupy the last `code_dim` inputs, so a
  generator is built as for any prior of `latent_dim` inputs, and each code can be read back
  from z itself (`codes`).
  """

  latent_dim: int
  categorical: int = 0
  continuous: int = 0
  noise: str = "normal"  # 'normal' | 'uniform' on [-1, 1] (the official InfoGAN code)

  def __post_init__(self):
    if self.noise not in NOISE:
      raise ValueError(f"Unknown latent noise {self.noise!r}; choose one of {NOISE}.")
    if min(self.categorical, self.continuous) < 0 or self.categorical == 1:
      raise ValueError(f"A categorical code needs at least 2 values and counts are >= 0; got "
                       f"categorical={self.categorical}, continuous={self.continuous}.")
    if self.noise_dim < 1:
      raise ValueError(f"latent_dim={self.latent_dim} leaves no noise beside "
                       f"{self.code_dim} code inputs; raise model.generator.latent_dim.")

  @property
  def code_dim(self) -> int:
    """Inputs taken by the codes, and the width of the Q head that reads them back."""
    return self.categorical + self.continuous

  @property
  def noise_dim(self) -> int:
    return self.latent_dim - self.code_dim

  def sample(self, key: Array, n: int, categories: Array | None = None) -> Array:
    """`[n, latent_dim]` draws; `categories` [n] fixes the categorical code. Without codes the
    noise is drawn from `key` itself, as `jax.random.normal(key, (n, latent_dim))` would."""
    if self.code_dim:
      noise_key, category_key, continuous_key = jax.random.split(key, 3)
    else:
      noise_key = category_key = continuous_key = key
    if self.noise == "normal":
      noise = jax.random.normal(noise_key, (n, self.noise_dim), jnp.float32)
    else:
      noise = jax.random.uniform(noise_key, (n, self.noise_dim), jnp.float32, -1.0, 1.0)
    parts = [noise]
    if self.categorical:
      if categories is None:
        categories = jax.random.randint(category_key, (n,), 0, self.categorical)
      parts.append(jax.nn.one_hot(categories, self.categorical, dtype=jnp.float32))
    if self.continuous:
      parts.append(jax.random.uniform(continuous_key, (n, self.continuous), jnp.float32,
                                      -1.0, 1.0))
    return jnp.concatenate(parts, axis=-1) if len(parts) > 1 else noise

  def codes(self, z: Array) -> tuple[Array | None, Array | None]:
    """`(categorical code [n] or None, continuous codes [n, continuous] or None)` of `z`."""
    start = self.noise_dim
    categories = (jnp.argmax(z[:, start:start + self.categorical], axis=-1)
                  if self.categorical else None)
    continuous = z[:, start + self.categorical:] if self.continuous else None
    return categories, continuous

  def with_continuous(self, z: Array, index: int, values: Array) -> Array:
    """`z` with continuous code `index` set to `values` (a traversal of that code)."""
    if not 0 <= index < self.continuous:
      raise ValueError(f"Continuous code {index} does not exist; this prior has "
                       f"{self.continuous}.")
    return z.at[:, self.noise_dim + self.categorical + index].set(values)


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
