"""DiffAugment (Zhao et al. 2020): differentiable augmentations of both networks' views of the
images, so the critic does not overfit a small data set.

`policy` is a tuple of 'color' (brightness, saturation and contrast), 'translation' (a shift of
up to 1/8 of the image, zero-filled) and 'cutout' (a zeroed square half the image's side, at a
random centre), applied in that order. Each example draws its own values (`draw`), and the
transforms are plain arithmetic and gathers on the pixels (`apply`), so gradients flow through
them to the generator. Images are `[B, H, W, C]` in [-1, 1].
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import jax
import jax.numpy as jnp

Array = jax.Array
AUGMENTATIONS = ("color", "translation", "cutout")
TRANSLATION_RATIO = 0.125
CUTOUT_RATIO = 0.5


def parse_policy(policy: str | Sequence[str]) -> tuple[str, ...]:
  """`'color,translation'` or a sequence of names -> the tuple of names, checked and in the
  order they are applied."""
  names = [p.strip() for p in policy.split(",")] if isinstance(policy, str) else list(policy)
  names = [n for n in names if n]
  unknown = sorted(set(names) - set(AUGMENTATIONS))
  if unknown:
    raise ValueError(f"Unknown DiffAugment transform(s) {unknown}; choose from "
                     f"{', '.join(AUGMENTATIONS)}.")
  return tuple(n for n in AUGMENTATIONS if n in names)


def _check_images(shape: tuple[int, ...]) -> None:
  if len(shape) != 4:
    raise ValueError(f"DiffAugment transforms images [batch, height, width, channels]; got "
                     f"examples of shape {tuple(shape[1:])}.")


def draw(key: Array, shape: tuple[int, ...], policy: tuple[str, ...]) -> dict[str, Array]:
  """Each example's random values for `policy`, for a batch of images of `shape`."""
  _check_images(shape)
  n, height, width = shape[:3]
  keys = jax.random.split(key, 6)
  values = {}
  if "color" in policy:
    values["brightness"] = jax.random.uniform(keys[0], (n,)) - 0.5
    values["saturation"] = jax.random.uniform(keys[1], (n,)) * 2.0
    values["contrast"] = jax.random.uniform(keys[2], (n,)) + 0.5
  if "translation" in policy:
    limit = jnp.array([int(height * TRANSLATION_RATIO + 0.5), int(width * TRANSLATION_RATIO + 0.5)])
    values["shift"] = jax.random.randint(keys[3], (n, 2), -limit, limit + 1)
  if "cutout" in policy:
    size = jnp.array([int(height * CUTOUT_RATIO + 0.5), int(width * CUTOUT_RATIO + 0.5)])
    values["cutout_centre"] = jax.random.randint(keys[4], (n, 2), 0,
                                                 jnp.array([height, width]) + 1 - size % 2)
  return values


def apply(x: Array, values: dict[str, Array], policy: tuple[str, ...]) -> Array:
  """The images `x` transformed by `policy` with the values `draw` gave (differentiable in x)."""
  _check_images(x.shape)
  column = lambda v: v.reshape((-1, 1, 1, 1)).astype(x.dtype)  # noqa: E731
  if "color" in policy:
    x = x + column(values["brightness"])
    mean = jnp.mean(x, axis=-1, keepdims=True)
    x = (x - mean) * column(values["saturation"]) + mean
    mean = jnp.mean(x, axis=(1, 2, 3), keepdims=True)
    x = (x - mean) * column(values["contrast"]) + mean
  if "translation" in policy:
    x = jax.vmap(_translate)(x, values["shift"])
  if "cutout" in policy:
    x = x * jax.vmap(lambda c: _cutout_mask(x.shape[1:3], c))(values["cutout_centre"]
                                                              )[..., None].astype(x.dtype)
  return x


def _translate(image: Array, shift: Array) -> Array:
  """`image` moved by `shift` rows and columns: out[i, j] = image[i + dy, j + dx], zero where
  that falls outside."""
  height, width = image.shape[:2]
  rows, columns = jnp.arange(height) + shift[0], jnp.arange(width) + shift[1]
  inside = (((rows >= 0) & (rows < height))[:, None] & ((columns >= 0) & (columns < width))[None])
  moved = image[jnp.clip(rows, 0, height - 1)][:, jnp.clip(columns, 0, width - 1)]
  return moved * inside[..., None].astype(image.dtype)


def _cutout_mask(size_hw: tuple[int, int], centre: Array) -> Array:
  """1 outside, 0 inside the square of side `CUTOUT_RATIO` of the image around `centre`."""
  height, width = size_hw
  size = (int(height * CUTOUT_RATIO + 0.5), int(width * CUTOUT_RATIO + 0.5))
  start = centre - jnp.array([size[0] // 2, size[1] // 2])
  rows, columns = jnp.arange(height), jnp.arange(width)
  in_rows = (rows >= start[0]) & (rows < start[0] + size[0])
  in_columns = (columns >= start[1]) & (columns < start[1] + size[1])
  return 1.0 - (in_rows[:, None] & in_columns[None]).astype(jnp.float32)


def augmenter(policy: tuple[str, ...], key: Array,
              draw_values: Callable[[Callable[[Array, int], Any], Array, int], Any] | None = None
              ) -> Callable[[Array], Array]:
  """`x -> apply(x, values, policy)` with values drawn from `key` for x's batch; the identity
  for an empty policy. `draw_values(sample, key, n)` draws for the batch (the step passes one
  that draws for the global batch and keeps this device's slice)."""
  if not policy:
    return lambda x: x
  draw_values = draw_values or (lambda sample, k, n: sample(k, n))

  def augment(x: Array) -> Array:
    values = draw_values(lambda k, n: draw(k, (n,) + x.shape[1:], policy), key, x.shape[0])
    return apply(x, values, policy)

  return augment
