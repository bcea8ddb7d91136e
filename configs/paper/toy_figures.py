"""Settings of the papers' low-dimensional figures: `configs/paper/toy_figures.py:NAME`.

NAME is one of
  wgan_fig1     WGAN Fig. 1: EM and JS against theta on the parallel-lines example, each
                estimated by training a critic / discriminator (the paper plots the analytic
                curves; here they are the reference lines);
  wgan_fig2     WGAN Fig. 2: the optimal GAN discriminator against the WGAN critic between two
                1-D Gaussians;
  wgangp_fig1a  WGAN-GP Fig. 1a: critic value surfaces on 8 Gaussians, 25 Gaussians and the
                Swiss roll, weight clipping against gradient penalty, the "generator" fixed at
                real data + N(0, 1) noise and the critic trained towards optimality;
  wgangp_fig1b  WGAN-GP Fig. 1b: gradient norm per layer of a 12-layer critic on the Swiss roll
                for c in {0.1, 0.01, 0.001} against the penalty, and the critic weights' histograms.
Every critic here is trained by the library's own `critic_update` against a fixed "fake"
distribution. `quick=True` (scripts/reproduce.py --quick) cuts the iterations for smoke tests.
"""

import ml_collections


def get_config(name: str = "wgangp_fig1a"):
  c = ml_collections.ConfigDict()
  c.name = name
  c.seed = 0
  c.batch_size = 256
  c.critic_width = 512
  c.critic_depth = 3
  c.steps = 2000
  c.quick_steps = 150
  if name == "wgan_fig1":
    c.thetas = tuple(round(-1 + 0.1 * i, 2) for i in range(21))
    c.quick_thetas = (-1.0, -0.5, 0.0, 0.5, 1.0)
    c.critic_width = 128
    c.learning_rate = 1e-3  # Adam(lr, 0.5, 0.9) for both estimators
    c.penalty_weight = 10.0  # the EM critic's Lipschitz constraint
  elif name == "wgan_fig2":
    c.real_mean, c.fake_mean, c.std = 2.0, -2.0, 0.5
    c.critic_width = 128
    c.learning_rate = 1e-3  # Adam for the discriminator
    c.clip_value = 0.01
    c.clip_learning_rate = 5e-4  # RMSProp for the clipped critic
    c.steps = 3000
  elif name == "wgangp_fig1a":
    c.datasets = ("8gaussians", "25gaussians", "swissroll")
    c.clip_value = 0.01
    c.penalty_weight = 0.1  # gan_toy.py's lambda
    c.learning_rate = 1e-4  # Adam(1e-4, 0.5, 0.9), gan_toy.py's optimizer, for both critics
    c.noise_std = 1.0
  elif name == "wgangp_fig1b":
    c.dataset = "swissroll"
    c.critic_depth = 12
    c.clip_values = (0.1, 0.01, 0.001)
    c.penalty_weight = 0.1
    c.learning_rate = 1e-4
    c.noise_std = 1.0
    c.steps = 1000
  else:
    raise ValueError(f"Unknown toy figure {name!r}; choose wgan_fig1, wgan_fig2, wgangp_fig1a "
                     f"or wgangp_fig1b.")
  c.lock()
  return c
