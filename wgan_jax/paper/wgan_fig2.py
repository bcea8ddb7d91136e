"""WGAN Fig. 2: the optimal GAN discriminator against the WGAN critic between two 1-D Gaussians.

The discriminator saturates and gives vanishing gradients where the fakes are; the clipped
critic's gradient stays usable everywhere.
"""

from __future__ import annotations

import math

import numpy as np
import optax

from wgan_jax.data import toy
from wgan_jax.lipschitz import NoConstraint, WeightClipping
from wgan_jax.models.mlp import MLPCritic
from wgan_jax.paper import settings
from wgan_jax.paper.drawing import save_figure, subplots
from wgan_jax.paper.toy_critics import adam, input_gradients, scores, train_critic


def get_config():
  c = settings.toy_figure("wgan_fig2")
  c.real_mean, c.fake_mean, c.std = 2.0, -2.0, 0.5
  c.critic_width = 128
  c.learning_rate = 1e-3  # Adam for the discriminator
  c.clip_value = 0.01
  c.clip_learning_rate = 5e-4  # RMSProp for the clipped critic
  c.steps = 3000
  c.lock()
  return c


def make(c, out_dir: str, workdir: str | None = None, quick: bool = False) -> dict:
  """A trained GAN discriminator against a clipped WGAN critic between two 1-D Gaussians."""
  del workdir  # nothing is kept between runs
  steps = c.quick_steps if quick else c.steps
  real = lambda rng, n: toy.gaussian_1d(n, rng, c.real_mean, c.std)  # noqa: E731
  fake = lambda rng, n: toy.gaussian_1d(n, rng, c.fake_mean, c.std)  # noqa: E731
  critic = MLPCritic(width=c.critic_width, depth=c.critic_depth)
  d_state, _, d_sec = train_critic(critic, NoConstraint(), "gan", adam(c.learning_rate), real,
                                   fake, steps, c.batch_size, c.seed, desc="GAN discriminator")
  rmsprop = optax.rmsprop(c.clip_learning_rate, decay=0.99, eps=1e-8)
  w_state, _, w_sec = train_critic(critic, WeightClipping(c.clip_value), "wasserstein", rmsprop,
                                   real, fake, steps, c.batch_size, c.seed, desc="WGAN critic")
  x = np.linspace(-5, 5, 501, dtype=np.float32)[:, None]
  d_prob = 1 / (1 + np.exp(-scores(critic, d_state, x)))
  f = scores(critic, w_state, x)
  d_grad = np.abs(input_gradients(critic, d_state, x)[:, 0] * d_prob * (1 - d_prob))
  f_grad = np.abs(input_gradients(critic, w_state, x)[:, 0])
  at_fake = np.abs(x[:, 0] - c.fake_mean) < c.std
  fig, ax = subplots(figsize=(7, 4))
  pdf = lambda m: np.exp(-0.5 * ((x[:, 0] - m) / c.std) ** 2) / (c.std * math.sqrt(2 * math.pi))  # noqa: E731
  ax.fill_between(x[:, 0], 0, pdf(c.real_mean) / pdf(c.real_mean).max(), color="tab:blue",
                  alpha=0.2, label="real density")
  ax.fill_between(x[:, 0], 0, pdf(c.fake_mean) / pdf(c.fake_mean).max(), color="tab:green",
                  alpha=0.2, label="fake density")
  ax.plot(x[:, 0], d_prob, color="tab:red", label="GAN discriminator D(x)")
  rescaled = (f - f.min()) / max(f.max() - f.min(), 1e-12)
  ax.plot(x[:, 0], rescaled, color="tab:cyan", label="WGAN critic f(x), rescaled to [0, 1]")
  ax.set(xlabel="x", title="Optimal discriminator vs WGAN critic")
  ax.legend(fontsize=8, loc="center left")
  data = {"config": c.to_dict(), "quick": quick, "steps": steps, "seconds": d_sec + w_sec,
          "discriminator_grad_at_fake_mode": float(d_grad[at_fake].mean()),
          "critic_grad_at_fake_mode": float(f_grad[at_fake].mean()),
          "critic_grad_relative_spread": float(f_grad.std() / f_grad.mean()),
          "x": x[::10, 0].tolist(), "discriminator": d_prob[::10].tolist(),
          "critic": f[::10].tolist()}
  return save_figure(out_dir, c, quick, fig, data)
