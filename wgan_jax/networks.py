"""The generator and critic as the train step applies them: in training mode, at one compute dtype.

`Networks` casts parameters and inputs to the compute dtype inside, so gradients reach the float32
originals, and returns float32 outputs; a critic's output is its scores, or its scores and the
class logits of a classifier head (`split_scores`).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp

from wgan_jax import contract
from wgan_jax.state import as_variables

Array = jax.Array


def split_scores(output: Any) -> tuple[Array, Array | None]:
  """A critic's `(scores, class_logits or None)` from its output."""
  if isinstance(output, (tuple, list)):
    return output[0], output[1]
  return output, None


def cast_floating(tree: Any, dtype: Any) -> Any:
  """Every floating leaf of `tree` in `dtype` (integer leaves such as labels unchanged)."""
  return jax.tree_util.tree_map(
      lambda a: a.astype(dtype) if jnp.issubdtype(a.dtype, jnp.floating) else a, tree)


def match_dtypes(new: Any, old: Any) -> Any:
  """`new` with the dtypes of `old` (BatchNorm statistics stay float32 under bfloat16 compute)."""
  return jax.tree_util.tree_map(lambda n, o: n.astype(o.dtype), new, old)


@dataclasses.dataclass(frozen=True)
class Networks:
  """The generator and critic applied in training mode at one compute dtype.

  Parameters and inputs are cast to `compute_dtype` inside, so gradients reach the float32
  originals; outputs come back as float32 and BatchNorm statistics in their own dtype.
  """

  generator: nn.Module
  critic: nn.Module
  compute_dtype: Any = jnp.float32

  @property
  def num_classes(self) -> int:
    """The generator's conditioning classes (0 when unconditional)."""
    return int(getattr(self.generator, "num_classes", 0) or 0)

  def fakes(self, params: Any, batch_stats: Any, z: Array,
            labels: Array | None) -> tuple[Array, Any]:
    """`(fakes, updated generator BatchNorm statistics)`: the generator in training mode."""
    dtype = self.compute_dtype
    out, mutated = self.generator.apply(as_variables(cast_floating(params, dtype), batch_stats),
                                        cast_floating(z, dtype), labels, train=True,
                                        mutable=["batch_stats"])
    return out.astype(jnp.float32), match_dtypes(mutated.get("batch_stats", batch_stats),
                                                  batch_stats)

  def score(self, params: Any, batch_stats: Any, x: Array,
            labels: Array | None = None) -> tuple[Array, Array | None, Any]:
    """`(scores, class logits or None, updated critic BatchNorm statistics)`; `labels`
    reach a class-conditional critic (others ignore them)."""
    scores, logits, stats, _ = self._critic(params, batch_stats, x, labels, with_features=False)
    return scores, logits, stats

  def score_with_features(self, params: Any, batch_stats: Any, x: Array,
                          labels: Array | None = None) -> tuple[Array, Array | None, Array]:
    """`(scores, class logits or None, last hidden features [B, D])`, the features being those
    the score is read from (`layers.FeatureTap`); for feature matching."""
    scores, logits, _, features = self._critic(params, batch_stats, x, labels, with_features=True)
    return scores, logits, features

  def _critic(self, params, batch_stats, x, labels, with_features: bool):
    dtype = self.compute_dtype
    collections = ["batch_stats", "intermediates"] if with_features else ["batch_stats"]
    out, mutated = self.critic.apply(as_variables(cast_floating(params, dtype), batch_stats),
                                     cast_floating(x, dtype), labels, train=True,
                                     mutable=collections)
    scores, logits = split_scores(out)
    contract.check_scores(scores, x.shape[0])
    logits = logits.astype(jnp.float32) if logits is not None else None
    features = None
    if with_features:
      taps = mutated.get("intermediates", {}).get("features")
      if taps is None:
        raise ValueError(f"{type(self.critic).__name__} does not expose its features; feature "
                         f"matching needs an MLP, DCGAN or ResNet critic.")
      features = taps["features"][0].astype(jnp.float32)
    return (scores.astype(jnp.float32), logits,
            match_dtypes(mutated.get("batch_stats", batch_stats), batch_stats), features)
