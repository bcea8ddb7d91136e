"""WGAN Fig. 1: EM and JS against theta on the parallel-lines example.

Each distance is estimated by training a critic (EM, under the gradient penalty) or a
discriminator (JS) between P_0 and P_theta; the paper plots the analytic curves, drawn here as
the reference lines.
"""

from __future__ import annotations

import math

import jax.numpy as jnp
import numpy as np

from wgan_jax.data import toy
from wgan_jax.lipschitz import GradientPenalty, NoConstraint
from wgan_jax.models.mlp import MLPCritic
from wgan_jax.objectives import get_objective
from wgan_jax.paper import settings
from wgan_jax.paper.drawing import save_figure, subplots
from wgan_jax.paper.toy_critics import adam, scores, train_critic


def get_config():
  c = settings.toy_figure("wgan_fig1")
  c.thetas = tuple(round(-1 + 0.1 * i, 2) for i in range(21))
  c.quick_thetas = (-1.0, -0.5, 0.0, 0.5, 1.0)
  c.critic_width = 128
  c.learning_rate = 1e-3  # Adam(lr, 0.5, 0.9) for both estimators
  c.penalty_weight = 10.0  # the EM critic's Lipschitz constraint
  c.lock()
  return c


def make(c, out_dir: str, workdir: str | None = None, quick: bool = False) -> dict:
  """EM and JS between P_0 and P_theta (parallel lines), each estimated by a trained critic."""
  del workdir  # nothing is kept between runs
  thetas = c.quick_thetas if quick else c.thetas
  steps = c.quick_steps if quick else c.steps
  critic = MLPCritic(width=c.critic_width, depth=c.critic_depth)
  eval_rng = np.random.default_rng(c.seed + 1)
  rows = []
  for theta in thetas:
    real = lambda rng, n: toy.parallel_lines(n, rng, 0.0)  # noqa: E731
    fake = lambda rng, n, t=theta: toy.parallel_lines(n, rng, t)  # noqa: E731
    em_state, _, em_sec = train_critic(critic, GradientPenalty(c.penalty_weight), "wasserstein",
                                       adam(c.learning_rate), real, fake, steps, c.batch_size,
                                       c.seed, desc=f"EM theta={theta}")
    js_state, _, js_sec = train_critic(critic, NoConstraint(), "gan", adam(c.learning_rate),
                                       real, fake, steps, c.batch_size, c.seed,
                                       desc=f"JS theta={theta}")
    x_real, x_fake = real(eval_rng, 8192), fake(eval_rng, 8192)
    em = float(scores(critic, em_state, x_real).mean() - scores(critic, em_state, x_fake).mean())
    js = float(get_objective("gan").distance(jnp.asarray(scores(critic, js_state, x_real)),
                                             jnp.asarray(scores(critic, js_state, x_fake))))
    rows.append({"theta": theta, "em_estimate": em, "em_exact": abs(theta), "js_estimate": js,
                 "js_exact": math.log(2) if theta != 0 else 0.0, "seconds": em_sec + js_sec})
  t = np.array([r["theta"] for r in rows])
  fig, axes = subplots(1, 2, figsize=(10, 3.8))
  fine = np.linspace(-1, 1, 401)
  axes[0].plot(fine, np.abs(fine), "k-", lw=1, label="exact |theta|")
  axes[0].plot(t, [r["em_estimate"] for r in rows], "o", color="tab:blue", label="trained critic")
  axes[0].set(title="Earth-Mover (EM) distance", xlabel="theta")
  axes[1].plot(fine, np.where(fine == 0, 0, math.log(2)), "k-", lw=1, label="exact (log 2)")
  axes[1].plot(t, [r["js_estimate"] for r in rows], "o", color="tab:red",
               label="trained discriminator")
  axes[1].set(title="Jensen-Shannon divergence", xlabel="theta")
  for ax in axes:
    ax.legend(loc="lower right", fontsize=8)
  data = {"config": c.to_dict(), "quick": quick, "steps_per_estimate": steps, "rows": rows}
  return save_figure(out_dir, c, quick, fig, data)
