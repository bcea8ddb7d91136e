"""`python -m wgan_jax.export_member`: Write one member of a population as an ordinary run directory (`wgan_jax.commands.export_member`; --help)."""

if __name__ == "__main__":
  from wgan_jax.commands import export_member

  export_member.run()
