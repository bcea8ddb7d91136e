"""The embedded default job: WGAN-GP on 8 Gaussians (gan_toy.py settings), under 2 minutes on 2 CPU cores.

Toy MLPs of 3x512 ReLU units, lambda = 0.1, Adam(1e-4, 0.5, 0.9), batch 256,
5 critic iterations, as in the official `gan_toy.py`; 1,500 generator
iterations instead of 100,000 so it finishes quickly. It leaves sample and
critic value-surface plots in `WORKDIR/samples/` and W1 / mode coverage in
`metrics.jsonl`.
"""

from wgan_jax.config import base_config, finalize


def get_config():
  c = base_config()
  c.constraint.weight = 0.1
  c.data.device_resident = True  # the toy pool lives on the device: no host input pipeline
  c.num_steps = 1500
  c.log_every = 100
  c.sample_every = 500
  c.checkpoint_every = 500
  c.eval.every = 500
  c.eval.metrics = ("w1", "modes")
  return finalize(c)
