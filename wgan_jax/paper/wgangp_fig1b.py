"""WGAN-GP Fig. 1b: the gradient norm per layer of a 12-layer critic on the Swiss roll.

Weight clipping at c in {0.1, 0.01, 0.001} explodes or vanishes the gradients through the
layers where the penalty keeps them level; the histograms show clipping's weights piling up at
the bound.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from wgan_jax.lipschitz import GradientPenalty, WeightClipping
from wgan_jax.models.mlp import MLPCritic, hidden_layer_names
from wgan_jax.objectives import get_objective
from wgan_jax.paper import settings
from wgan_jax.paper.drawing import save_figure, subplots
from wgan_jax.paper.toy_critics import adam, noisy_copy, train_critic


def get_config():
  c = settings.toy_figure("wgangp_fig1b")
  c.dataset = "swissroll"
  c.critic_depth = 12
  c.clip_values = (0.1, 0.01, 0.001)
  c.penalty_weight = 0.1
  c.learning_rate = 1e-4
  c.noise_std = 1.0
  c.steps = 1000
  c.lock()
  return c


def layer_grad_norms(critic, constraint, state, real, fake, key, depth: int) -> list[float]:
  """Norm of the critic loss's gradient with respect to each layer's weights, input to output."""
  alpha = jax.random.uniform(key, (real.shape[0],))

  def loss(params):
    score = lambda x: critic.apply({"params": params}, x, train=False)  # noqa: E731
    value = get_objective("wasserstein").critic_loss(score(real), score(fake))
    return value + constraint.penalty(score, real, fake, alpha)[0]

  grads = jax.grad(loss)(state.critic_params)["mlp"]
  return [float(jnp.linalg.norm(grads[name]["kernel"])) for name in hidden_layer_names(depth)]


def make(c, out_dir: str, workdir: str | None = None, quick: bool = False) -> dict:
  """Per-layer gradient norms of a deep critic (clipping at three c, and the penalty), and weights."""
  del workdir  # nothing is kept between runs
  steps = c.quick_steps if quick else c.steps
  critic = MLPCritic(width=c.critic_width, depth=c.critic_depth)
  real, fake = noisy_copy(c.dataset, c.noise_std)
  rng = np.random.default_rng(c.seed + 7)
  probe_real, probe_fake = jnp.asarray(real(rng, 1024)), jnp.asarray(fake(rng, 1024))
  constraints = [(f"clip c={v}", WeightClipping(v)) for v in c.clip_values]
  constraints.append((f"penalty lambda={c.penalty_weight}", GradientPenalty(c.penalty_weight)))
  fig, (ax, clip_hist, penalty_hist) = subplots(
      1, 3, figsize=(15, 4), gridspec_kw={"width_ratios": [1.4, 1, 1]})
  curves, weights = {}, {}
  for label, constraint in constraints:
    state, _, sec = train_critic(critic, constraint, "wasserstein", adam(c.learning_rate), real,
                                 fake, steps, c.batch_size, c.seed, desc=label)
    norms = layer_grad_norms(critic, constraint, state, probe_real, probe_fake,
                             jax.random.PRNGKey(3), c.critic_depth)
    curves[label] = {"grad_norms": norms, "seconds": sec}
    ax.semilogy(range(1, len(norms) + 1), norms, "o-", label=label)
    weights[label] = np.concatenate([np.asarray(p["kernel"]).ravel()
                                     for p in state.critic_params["mlp"].values()])
  ax.set(xlabel="layer (input to output)", ylabel="gradient norm (log scale)",
         title=f"{c.critic_depth}-layer critic on {c.dataset}")
  ax.legend(fontsize=8)
  clip_label = f"clip c={c.clip_values[1]}"
  penalty_label = constraints[-1][0]
  clip_hist.hist(weights[clip_label], bins=60, color="tab:orange")
  clip_hist.set(xlabel="critic weight", ylabel="count", title=f"weights, weight clipping ({clip_label})")
  penalty_hist.hist(weights[penalty_label], bins=60, color="tab:red")
  penalty_hist.set(xlabel="critic weight", title="weights, gradient penalty")
  at_bound = float(np.mean(np.abs(weights[clip_label]) >= c.clip_values[1] * 0.999))
  data = {"config": c.to_dict(), "quick": quick, "steps": steps, "curves": curves,
          "clipped_weights_at_bound_share": at_bound,
          "penalty_weights_std": float(weights[penalty_label].std())}
  return save_figure(out_dir, c, quick, fig, data)
