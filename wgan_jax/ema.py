"""An exponential moving average of the generator's parameters and BatchNorm statistics.

As PyTorch-StudioGAN's `g_ema`: the average starts as a copy of the generator, follows it
exactly (decay 0) until generator iteration `start`, and from then on moves by
`average = decay * average + (1 - decay) * current` after every generator update, inside the
step, so no copy of the weights passes through the host. The average is kept in
`GANState.generator_ema`, saved and resumed with the rest, and sampling and evaluation use it
when it exists (`--ema false` samples the trained weights).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import jax
import jax.numpy as jnp
import optax


@dataclasses.dataclass(frozen=True)
class GeneratorEMA:
  """The decay of the average and the generator iteration its averaging starts at."""

  decay: float = 0.999
  start: int = 0

  def __post_init__(self):
    if not 0.0 <= self.decay < 1.0:
      raise ValueError(f"GeneratorEMA.decay is in [0, 1); got {self.decay!r}.")
    if self.start < 0:
      raise ValueError(f"GeneratorEMA.start is a generator iteration >= 0; got {self.start!r}.")

  def init(self, params: Any, batch_stats: Any) -> dict[str, Any]:
    """The average at initialisation: a copy of the generator."""
    return {"params": params, "batch_stats": batch_stats}

  def update(self, average: dict[str, Any], params: Any, batch_stats: Any,
             step: jax.Array) -> dict[str, Any]:
    """The average after the generator update that made `params` (`step`: the iterations
    done before that update)."""
    decay = jnp.where(step >= self.start, self.decay, 0.0)
    current = {"params": params, "batch_stats": batch_stats}
    return optax.incremental_update(current, average, 1.0 - decay)
