"""Spectral normalization (Miyato et al. 2018): each critic weight divided by its largest
singular value, estimated by power iteration.

The weights are the parameter leaves with two or more axes (dense kernels, convolution
kernels, embeddings); biases and normalization scales are left alone, as in SN-GAN. A kernel is
read as the matrix `[fan_in, out]` (a convolution's `[h, w, in, out]` as `[h * w * in, out]`,
the layout SN-GAN's `[out, in * h * w]` transposed, which has the same singular values). Each
keeps a pair of unit vectors `(u, v)`; one power-iteration step per critic update moves them
towards the top singular pair, and sigma = v^T W u is the estimate the weight is divided by.
The vectors are not differentiated (SN-GAN's choice), so the gradient reaches W through
W / sigma(W).

This is written here rather than with `flax.linen.SpectralNorm` because it acts on any
critic's parameter tree: no critic has to be rebuilt with wrapped layers (the library's fast
convolution layers included), and its vectors live in the `GANState` beside the parameters
rather than in a mutable collection the step would have to thread apart from BatchNorm's.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
from flax import traverse_util
from jax import lax

Array = jax.Array
EPSILON = 1e-12  # as flax.linen.SpectralNorm and torch's spectral_norm


def is_weight(leaf: Array) -> bool:
  """Whether a parameter is a weight spectral normalization divides (two or more axes)."""
  return leaf.ndim >= 2


def as_matrix(kernel: Array) -> Array:
  """The kernel as the matrix `[fan_in, out]` whose singular values are normalized."""
  return kernel.reshape(-1, kernel.shape[-1]).astype(jnp.float32)


def _unit(x: Array) -> Array:
  return x * lax.rsqrt(jnp.maximum(jnp.sum(x * x), EPSILON ** 2))


def init_vectors(params: Any, key: Array) -> dict[str, Any]:
  """Random unit vectors `{'u': [out], 'v': [fan_in]}` for every weight, in a tree that mirrors
  the weights' paths in `params`."""
  flat = traverse_util.flatten_dict(params)
  vectors = {}
  for index, (path, leaf) in enumerate(sorted(flat.items())):
    if not is_weight(leaf):
      continue
    matrix = as_matrix(leaf)
    u = _unit(jax.random.normal(jax.random.fold_in(key, index), (matrix.shape[1],)))
    vectors[path] = {"u": u, "v": _unit(matrix @ u)}
  return traverse_util.unflatten_dict(vectors)


def power_iteration(kernel: Array, pair: dict[str, Array]) -> dict[str, Array]:
  """One power-iteration step from `pair['u']`: `v = Wu / |Wu|`, `u = W^T v / |W^T v|`."""
  matrix = lax.stop_gradient(as_matrix(kernel))
  v = _unit(matrix @ pair["u"])
  return {"u": _unit(matrix.T @ v), "v": v}


def sigma(kernel: Array, pair: dict[str, Array]) -> Array:
  """The largest singular value of the kernel as the pair estimates it: v^T W u."""
  return pair["v"] @ as_matrix(kernel) @ pair["u"]


def _pairs(params: Any, vectors: Any) -> list[tuple[tuple[str, ...], Array, dict[str, Array]]]:
  if vectors is None:
    raise ValueError("Spectral normalization keeps power-iteration vectors in the state: create "
                     "it with init_state(..., constraint=losses.constraint).")
  flat = traverse_util.flatten_dict(params)
  pairs = traverse_util.flatten_dict(vectors, is_leaf=lambda _, node: set(node) == {"u", "v"})
  missing = sorted(path for path, leaf in flat.items() if is_weight(leaf) and path not in pairs)
  if missing:
    raise ValueError(f"No power-iteration vectors for the critic weights {missing[:3]}: the "
                     f"state was made for another critic.")
  return [(path, flat[path], pair) for path, pair in pairs.items()]


def update_vectors(params: Any, vectors: Any) -> dict[str, Any]:
  """Every weight's vectors after one power-iteration step."""
  return traverse_util.unflatten_dict(
      {path: power_iteration(kernel, pair) for path, kernel, pair in _pairs(params, vectors)})


def normalize(params: Any, vectors: Any) -> Any:
  """`params` with every weight divided by its estimated largest singular value."""
  flat = traverse_util.flatten_dict(params)
  for path, kernel, pair in _pairs(params, vectors):
    flat[path] = kernel / sigma(kernel, pair).astype(kernel.dtype)
  return traverse_util.unflatten_dict(flat)


def sigmas(params: Any, vectors: Any) -> dict[str, Array]:
  """`{'path/to/kernel': estimated sigma}`, for inspection and tests."""
  return {"/".join(path): sigma(kernel, pair) for path, kernel, pair in _pairs(params, vectors)}
