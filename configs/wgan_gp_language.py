"""WGAN-GP `gan_language.py` (paper Section 5.5, Table 4): a character-level language model.

`wgan_gp_language:METHOD` (`configs/arguments.py`). Sentences of the Google Billion Word benchmark (TFDS
`lm1b`, up to 10,000,000 of them as in the official code) cut or padded to 32 characters, a
vocabulary of at most 2,048 characters built from them; a generator with a softmax over the
vocabulary at every position and a critic on one-hot sentences, both five 1-D residual blocks of
DIM = 512; batch 64, 10 critic iterations, lambda = 10, Adam(1e-4, 0.5, 0.9) for both, 200,000
generator iterations. Every 1,000 iterations the Jensen-Shannon divergences of character
n-grams (n = 1..4) between 640 samples and the training text are logged beside their held-out
floors (`eval.metrics=('ngram',)`), and samples are written to `samples/samples_STEP.txt`.

METHOD: wgan-gp (default); gan: the standard GAN loss with everything else unchanged (the
paper's comparison: the same continuous generator); dcgan: the standard GAN with the DCGAN
recipe (one discriminator update, Adam(2e-4, 0.5)). Local text instead of TFDS:
`--config.data.source=text --config.data.path=FILE_OR_FOLDER` (one entry per line, or
`--config.data.separator=%` for blocks between lines holding only '%').
"""

from wgan_jax.config import base_config, finalize, use_standard_gan
from wgan_jax.configs import arguments


def get_config(arg: str = ""):
  mode = arguments.check_method(arguments.parse(arg, method="wgan-gp").method,
                                ("wgan-gp", "gan", "dcgan"))
  c = base_config()
  c.data.update(dict(source="tfds", name="lm1b", split="train", seq_len=32, max_vocab_size=2048,
                     max_examples=10_000_000, separator="line"))
  c.model.generator = dict(kind="language", latent_dim=128, width=512, num_blocks=5)
  c.model.critic = dict(kind="language", width=512, num_blocks=5)
  c.batch_size = 64
  c.n_critic = 10
  c.num_steps = 200_000
  c.constraint.kind = "penalty"
  c.constraint.weight = 10.0
  if mode == "gan":
    c.objective = "gan"
    c.constraint.kind = "none"
  elif mode == "dcgan":
    use_standard_gan(c)
  c.log_every = 100
  c.sample_every = 1000
  c.num_sample_images = 640  # text samples written per sample_every
  c.eval.metrics = ("ngram",)
  c.eval.every = 1000
  c.eval.num_samples = 640  # 10 batches of 64, as the official code measures
  return finalize(c)
