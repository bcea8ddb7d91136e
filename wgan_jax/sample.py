"""`python -m wgan_jax.sample`: Write samples from a run's newest checkpoint (`wgan_jax.commands.sample`; --help)."""

if __name__ == "__main__":
  from wgan_jax.commands import sample

  sample.run()
