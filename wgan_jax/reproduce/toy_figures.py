"""The papers' low-dimensional figures, computed with the library's own critic update.

Each `make_*` function takes a `configs/paper/toy_figures.py` config, trains what
the figure needs with `TrainStep.critic_update` (batches carry their own
"fake" examples, so no generator runs), writes `NAME.png` and `NAME.json`
into `out_dir`, and returns the JSON data.
"""

from __future__ import annotations

import json
import math
import os
import time
from typing import Callable

import jax
import jax.numpy as jnp
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import optax  # noqa: E402
from tqdm import tqdm  # noqa: E402

from wgan_jax.data import toy  # noqa: E402
from wgan_jax.lipschitz import GradientPenalty, NoConstraint, WeightClipping  # noqa: E402
from wgan_jax.models.mlp import MLPCritic, hidden_layer_names, toy_generator  # noqa: E402
from wgan_jax.objectives import get_objective  # noqa: E402
from wgan_jax.state import critic_variables, init_state  # noqa: E402
from wgan_jax.step import make_train_step  # noqa: E402

Sampler = Callable[[np.random.Generator, int], np.ndarray]


def _adam(lr):
  return optax.adam(lr, b1=0.5, b2=0.9)


def train_critic(critic, constraint, objective: str, tx, sample_real: Sampler,
                 sample_fake: Sampler, steps: int, batch: int, seed: int, desc: str = ""):
  """Trains `critic` to separate two fixed distributions; returns (state, last metrics, seconds)."""
  dim = sample_real(np.random.default_rng(0), 1).shape[1]
  generator = toy_generator(latent_dim=1, width=1)  # never run: every batch carries its fakes
  state = init_state(generator, critic, tx, tx, jax.random.PRNGKey(seed), jnp.zeros((1, dim)))
  update = jax.jit(make_train_step(generator, critic, tx, tx, objective=objective,
                                   constraint=constraint).critic_update)
  rng, key = np.random.default_rng(seed), jax.random.PRNGKey(seed)
  start = time.time()
  metrics = {}
  for i in tqdm(range(steps), desc=desc, leave=False, unit="it"):
    real_batch = {"x": sample_real(rng, batch), "fake": sample_fake(rng, batch)}
    state, metrics = update(state, real_batch, jax.random.fold_in(key, i))
  return state, {k: float(v) for k, v in metrics.items()}, time.time() - start


def _scores(critic, state, x):
  return np.asarray(critic.apply(critic_variables(state), jnp.asarray(x, jnp.float32),
                                 train=False))


def save_figure(out_dir, name, fig, data):
  os.makedirs(out_dir, exist_ok=True)
  fig.savefig(os.path.join(out_dir, f"{name}.png"), dpi=110, bbox_inches="tight")
  plt.close(fig)
  with open(os.path.join(out_dir, f"{name}.json"), "w") as f:
    json.dump(data, f, indent=1)
  return data


# ----------------------------------------------------------------------------- WGAN Fig. 1


def make_wgan_fig1(c, out_dir: str, quick: bool = False) -> dict:
  """EM and JS between P_0 and P_theta (parallel lines), each estimated by a trained critic."""
  thetas = c.quick_thetas if quick else c.thetas
  steps = c.quick_steps if quick else c.steps
  critic = MLPCritic(width=c.critic_width, depth=c.critic_depth)
  eval_rng = np.random.default_rng(c.seed + 1)
  rows = []
  for theta in thetas:
    real = lambda rng, n: toy.parallel_lines(n, rng, 0.0)  # noqa: E731
    fake = lambda rng, n, t=theta: toy.parallel_lines(n, rng, t)  # noqa: E731
    em_state, _, em_sec = train_critic(critic, GradientPenalty(c.penalty_weight), "wasserstein",
                                       _adam(c.learning_rate), real, fake, steps, c.batch_size,
                                       c.seed, desc=f"EM theta={theta}")
    js_state, _, js_sec = train_critic(critic, NoConstraint(), "gan", _adam(c.learning_rate),
                                       real, fake, steps, c.batch_size, c.seed,
                                       desc=f"JS theta={theta}")
    x_real, x_fake = real(eval_rng, 8192), fake(eval_rng, 8192)
    em = float(_scores(critic, em_state, x_real).mean() - _scores(critic, em_state, x_fake).mean())
    js = float(get_objective("gan").distance(jnp.asarray(_scores(critic, js_state, x_real)),
                                             jnp.asarray(_scores(critic, js_state, x_fake))))
    rows.append({"theta": theta, "em_estimate": em, "em_exact": abs(theta), "js_estimate": js,
                 "js_exact": math.log(2) if theta != 0 else 0.0, "seconds": em_sec + js_sec})
  t = np.array([r["theta"] for r in rows])
  fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
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
  return save_figure(out_dir, "wgan_fig1", fig, data)


# ----------------------------------------------------------------------------- WGAN Fig. 2


def make_wgan_fig2(c, out_dir: str, quick: bool = False) -> dict:
  """A trained GAN discriminator against a clipped WGAN critic between two 1-D Gaussians."""
  steps = c.quick_steps if quick else c.steps
  real = lambda rng, n: toy.gaussian_1d(n, rng, c.real_mean, c.std)  # noqa: E731
  fake = lambda rng, n: toy.gaussian_1d(n, rng, c.fake_mean, c.std)  # noqa: E731
  critic = MLPCritic(width=c.critic_width, depth=c.critic_depth)
  d_state, _, d_sec = train_critic(critic, NoConstraint(), "gan", _adam(c.learning_rate), real,
                                   fake, steps, c.batch_size, c.seed, desc="GAN discriminator")
  rmsprop = optax.rmsprop(c.clip_learning_rate, decay=0.99, eps=1e-8)
  w_state, _, w_sec = train_critic(critic, WeightClipping(c.clip_value), "wasserstein", rmsprop,
                                   real, fake, steps, c.batch_size, c.seed, desc="WGAN critic")
  x = np.linspace(-5, 5, 501, dtype=np.float32)[:, None]
  d_prob = 1 / (1 + np.exp(-_scores(critic, d_state, x)))
  f = _scores(critic, w_state, x)
  grad = lambda state: np.asarray(jax.vmap(jax.grad(  # noqa: E731
      lambda v: critic.apply(critic_variables(state), v[None], train=False)[0]))(jnp.asarray(x)))
  d_grad = np.abs(grad(d_state)[:, 0] * d_prob * (1 - d_prob))  # |d sigmoid(D) / dx|
  f_grad = np.abs(grad(w_state)[:, 0])
  at_fake = np.abs(x[:, 0] - c.fake_mean) < c.std
  fig, ax = plt.subplots(figsize=(7, 4))
  pdf = lambda m: np.exp(-0.5 * ((x[:, 0] - m) / c.std) ** 2) / (c.std * math.sqrt(2 * math.pi))  # noqa: E731
  ax.fill_between(x[:, 0], 0, pdf(c.real_mean) / pdf(c.real_mean).max(), color="tab:blue",
                  alpha=0.2, label="real density")
  ax.fill_between(x[:, 0], 0, pdf(c.fake_mean) / pdf(c.fake_mean).max(), color="tab:green",
                  alpha=0.2, label="fake density")
  ax.plot(x[:, 0], d_prob, color="tab:red", label="GAN discriminator D(x)")
  scaled = (f - f.min()) / max(f.max() - f.min(), 1e-12)
  ax.plot(x[:, 0], scaled, color="tab:cyan", label="WGAN critic f(x), rescaled to [0, 1]")
  ax.set(xlabel="x", title="Optimal discriminator vs WGAN critic")
  ax.legend(fontsize=8, loc="center left")
  data = {"config": c.to_dict(), "quick": quick, "steps": steps, "seconds": d_sec + w_sec,
          "discriminator_grad_at_fake_mode": float(d_grad[at_fake].mean()),
          "critic_grad_at_fake_mode": float(f_grad[at_fake].mean()),
          "critic_grad_relative_spread": float(f_grad.std() / f_grad.mean()),
          "x": x[::10, 0].tolist(), "discriminator": d_prob[::10].tolist(),
          "critic": f[::10].tolist()}
  return save_figure(out_dir, "wgan_fig2", fig, data)


# ----------------------------------------------------------------------------- WGAN-GP Fig. 1


def _noisy_copy(dataset: str, std: float) -> tuple[Sampler, Sampler]:
  real = lambda rng, n: toy.TOY_SAMPLERS[dataset](n, rng).astype(np.float32)  # noqa: E731
  fake = lambda rng, n: (real(rng, n) + rng.normal(0, std, (n, 2))).astype(np.float32)  # noqa: E731
  return real, fake


def make_wgangp_fig1a(c, out_dir: str, quick: bool = False) -> dict:
  """Value surfaces of critics trained with weight clipping and with the gradient penalty."""
  steps = c.quick_steps if quick else c.steps
  critic = MLPCritic(width=c.critic_width, depth=c.critic_depth)
  grid = np.linspace(-3, 3, 121, dtype=np.float32)
  gx, gy = np.meshgrid(grid, grid)
  points = np.stack([gx.ravel(), gy.ravel()], 1)
  fig, axes = plt.subplots(2, len(c.datasets), figsize=(4 * len(c.datasets), 8))
  results = []
  for col, dataset in enumerate(c.datasets):
    real, fake = _noisy_copy(dataset, c.noise_std)
    for row, (label, constraint) in enumerate((
        (f"weight clipping c={c.clip_value}", WeightClipping(c.clip_value)),
        (f"gradient penalty lambda={c.penalty_weight}", GradientPenalty(c.penalty_weight)))):
      state, metrics, sec = train_critic(critic, constraint, "wasserstein",
                                         _adam(c.learning_rate), real, fake, steps, c.batch_size,
                                         c.seed, desc=f"{dataset} {label}")
      values = _scores(critic, state, points).reshape(gx.shape)
      grads = np.asarray(jax.vmap(jax.grad(lambda v: critic.apply(
          critic_variables(state), v[None], train=False)[0]))(jnp.asarray(points)))
      norms = np.linalg.norm(grads, axis=1)
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
  return save_figure(out_dir, "wgangp_fig1a", fig, data)


def _layer_grad_norms(critic, constraint, state, real, fake, key, depth):
  """Norm of the critic loss's gradient with respect to each layer's weights, input to output."""
  alpha = jax.random.uniform(key, (real.shape[0],))

  def loss(params):
    score = lambda x: critic.apply({"params": params}, x, train=False)  # noqa: E731
    value = get_objective("wasserstein").critic_loss(score(real), score(fake))
    return value + constraint.penalty(score, real, fake, alpha)[0]

  grads = jax.grad(loss)(state.critic_params)["mlp"]
  return [float(jnp.linalg.norm(grads[name]["kernel"])) for name in hidden_layer_names(depth)]


def make_wgangp_fig1b(c, out_dir: str, quick: bool = False) -> dict:
  """Per-layer gradient norms of a deep critic (clipping at three c, and the penalty), and weights."""
  steps = c.quick_steps if quick else c.steps
  critic = MLPCritic(width=c.critic_width, depth=c.critic_depth)
  real, fake = _noisy_copy(c.dataset, c.noise_std)
  rng = np.random.default_rng(c.seed + 7)
  probe_real, probe_fake = jnp.asarray(real(rng, 1024)), jnp.asarray(fake(rng, 1024))
  settings = [(f"clip c={v}", WeightClipping(v)) for v in c.clip_values]
  settings.append((f"penalty lambda={c.penalty_weight}", GradientPenalty(c.penalty_weight)))
  fig, (ax, clip_hist, penalty_hist) = plt.subplots(
      1, 3, figsize=(15, 4), gridspec_kw={"width_ratios": [1.4, 1, 1]})
  curves, weights = {}, {}
  for label, constraint in settings:
    state, _, sec = train_critic(critic, constraint, "wasserstein", _adam(c.learning_rate), real,
                                 fake, steps, c.batch_size, c.seed, desc=label)
    norms = _layer_grad_norms(critic, constraint, state, probe_real, probe_fake,
                              jax.random.PRNGKey(3), c.critic_depth)
    curves[label] = {"grad_norms": norms, "seconds": sec}
    ax.semilogy(range(1, len(norms) + 1), norms, "o-", label=label)
    kernels = [np.asarray(p["kernel"]).ravel()
               for p in state.critic_params["mlp"].values()]
    weights[label] = np.concatenate(kernels)
  ax.set(xlabel="layer (input to output)", ylabel="gradient norm (log scale)",
         title=f"{c.critic_depth}-layer critic on {c.dataset}")
  ax.legend(fontsize=8)
  clip_label = f"clip c={c.clip_values[1]}"
  penalty_label = settings[-1][0]
  clip_hist.hist(weights[clip_label], bins=60, color="tab:orange")
  clip_hist.set(xlabel="critic weight", ylabel="count", title=f"weights, weight clipping ({clip_label})")
  penalty_hist.hist(weights[penalty_label], bins=60, color="tab:red")
  penalty_hist.set(xlabel="critic weight", title="weights, gradient penalty")
  at_bound = float(np.mean(np.abs(weights[clip_label]) >= c.clip_values[1] * 0.999))
  data = {"config": c.to_dict(), "quick": quick, "steps": steps, "curves": curves,
          "clipped_weights_at_bound_share": at_bound,
          "penalty_weights_std": float(weights[penalty_label].std())}
  return save_figure(out_dir, "wgangp_fig1b", fig, data)


FIGURES = {"wgan_fig1": make_wgan_fig1, "wgan_fig2": make_wgan_fig2,
           "wgangp_fig1a": make_wgangp_fig1a, "wgangp_fig1b": make_wgangp_fig1b}
