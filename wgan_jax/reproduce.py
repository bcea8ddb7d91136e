"""`python -m wgan_jax.reproduce`: Regenerate the papers' figures and tables (`wgan_jax.commands.reproduce`; --help)."""

if __name__ == "__main__":
  from wgan_jax.commands import reproduce

  reproduce.run()
