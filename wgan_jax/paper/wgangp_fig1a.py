"""WGAN-GP Fig. 1a: critic value surfaces on 8 Gaussians, 25 Gaussians and the Swiss roll.

Weight clipping against the gradient penalty, the "generator" fixed at real data + N(0, 1)
noise and the critic trained towards optimality.
"""

from __future__ import annotations

import numpy as np

from wgan_jax.lipschitz import GradientPenalty, WeightClipping
from wgan_jax.models.mlp import MLPCritic
from wgan_jax.paper import settings
from wgan_jax.paper.drawing import save_figure, subplots
from wgan_jax.paper.toy_critics import adam, input_gradients, noisy_copy, scores, train_critic


def get_config():
  c = settings.toy_figure("wgangp_fig1a")
  c.datasets = ("8gaussians", "25gaussians", "swissroll")
  c.clip_value = 0.01
  c.penalty_weight = 0.1  # gan_toy.py's lambda
  c.learning_rate = 1e-4  # Adam(1e-4, 0.5, 0.9), gan_toy.py's optimizer, for both critics
  c.noise_std = 1.0
  c.lock()
  return c


def make(c, out_dir: str, workdir: str | None = None, quick: bool = False) -> dict:
  """Value surfaces of critics trained with weight clipping and with the gradient penalty."""
  del workdir  # nothing is kept between runs
  steps = c.quick_steps if quick else c.steps
  critic = MLPCritic(width=c.critic_width, depth=c.critic_depth)
  grid = np.linspace(-3, 3, 121, dtype=np.float32)
  gx, gy = np.meshgrid(grid, grid)
  points = np.stack([gx.ravel(), gy.ravel()], 1)
  fig, axes = subplots(2, len(c.datasets), figsize=(4 * len(c.datasets), 8), squeeze=False)
  results = []
  for col, dataset in enumerate(c.datasets):
    real, fake = noisy_copy(dataset, c.noise_std)
    for row, (label, constraint) in enumerate((
        (f"weight clipping c={c.clip_value}", WeightClipping(c.clip_value)),
        (f"gradient penalty lambda={c.penalty_weight}", GradientPenalty(c.penalty_weight)))):
      state, metrics, sec = train_critic(critic, constraint, "wasserstein",
                                         adam(c.learning_rate), real, fake, steps, c.batch_size,
                                         c.seed, desc=f"{dataset} {label}")
      values = scores(critic, state, points).reshape(gx.shape)
      norms = np.linalg.norm(input_gradients(critic, state, points), axis=1)
      ax = axes[row, col]
      ax.contourf(gx, gy, values, levels=30, cmap="viridis")
      shown = real(np.random.default_rng(5), 500)
      ax.scatter(shown[:, 0], shown[:, 1], s=2, c="orange")
      ax.set_title(f"{dataset}\n{label}", fontsize=9)
      ax.set_xticks([]), ax.set_yticks([])
      results.append({"dataset": dataset, "constraint": label, "seconds": sec,
                      "wasserstein_estimate": metrics["wasserstein_estimate"],
                      "grad_norm_mean": float(norms.mean()), "grad_norm_std": float(norms.std()),
                      "value_range": float(values.max() - values.min())})
  data = {"config": c.to_dict(), "quick": quick, "steps": steps, "panels": results}
  return save_figure(out_dir, c, quick, fig, data)
