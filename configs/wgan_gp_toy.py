"""WGAN-GP Figure 1a / `gan_toy.py`: 8 Gaussians, 25 Gaussians or Swiss roll, clipping or penalty.

`wgan_gp_toy:DATASET,METHOD` (`configs/arguments.py`: in this order, or as key=value) with
DATASET in 8gaussians | 25gaussians | swissroll and METHOD in wgan-gp | wgan. Hyperparameters are the official code's: 3x512 ReLU MLPs,
batch 256, 5 critic iterations; penalty: lambda = 0.1, Adam(1e-4, 0.5, 0.9); clipping:
c = 0.01, RMSProp(5e-5). TensorFlow 1's RMSProp (decay 0.9, eps 1e-10 inside the root,
accumulator initialised to 1) is what the official toy code used, so it is used here too.
"""

from wgan_jax.config import adam, base_config, finalize, tf1_rmsprop
from wgan_jax.configs import arguments


def get_config(arg: str = ""):
  args = arguments.parse(arg, dataset="8gaussians", method="wgan-gp")
  dataset = arguments.check_choice("dataset", args.dataset, ("8gaussians", "25gaussians",
                                                             "swissroll"))
  method = arguments.check_method(args.method, ("wgan-gp", "wgan"))
  c = base_config()
  c.data.name = dataset
  c.num_steps = 100_000
  c.eval.every = 5000
  c.eval.metrics = ("w1", "modes") if "gaussians" in dataset else ("w1",)
  if method == "wgan":
    c.constraint.kind = "clip"
    c.optimizer.generator = tf1_rmsprop(5e-5)
    c.optimizer.critic = tf1_rmsprop(5e-5)
  else:
    c.constraint.weight = 0.1
    c.optimizer.generator = adam()
    c.optimizer.critic = adam()
  return finalize(c)
