"""`python -m wgan_jax.evaluate`: Evaluate a run's newest checkpoint (`wgan_jax.commands.evaluate`; --help)."""

if __name__ == "__main__":
  from wgan_jax.commands import evaluate

  evaluate.run()
