"""The critic schedule: n_critic, or the WGAN paper's 100 critic iterations now and then."""

from wgan_jax.schedule import CriticSchedule


def test_plain_schedule_is_n_critic_and_one_group_per_step():
  schedule = CriticSchedule(5)
  assert [schedule(step) for step in (0, 24, 500)] == [5, 5, 5]
  assert schedule.groups_consumed(1234) == 1234


def test_wgan_schedule_warm_up_and_every_500th():
  schedule = CriticSchedule(5, wgan=True)
  heavy = [step for step in range(1501) if schedule(step) == 100]
  assert heavy == list(range(25)) + [500, 1000, 1500]
  assert all(schedule(step) == 5 for step in range(1501) if step not in heavy)


def test_groups_consumed_counts_the_input_groups_of_every_earlier_step():
  for n_critic in (5, 7, 100):
    schedule = CriticSchedule(n_critic, wgan=True)
    # 100 critic batches take ceil(100 / n_critic) groups of n_critic batches.
    heavy_groups = -(-100 // n_critic)
    assert schedule.groups_consumed(0) == 0
    assert schedule.groups_consumed(25) == 25 * heavy_groups
    assert schedule.groups_consumed(500) == 25 * heavy_groups + 475
    assert schedule.groups_consumed(501) == 26 * heavy_groups + 475
    assert schedule.groups_consumed(1001) == 27 * heavy_groups + 974
