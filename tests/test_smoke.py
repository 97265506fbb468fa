def test_world_builds(world):
    from communities.permissions import compounds_visible_to

    assert list(compounds_visible_to(world.resident)) == [world.a]
    assert list(compounds_visible_to(world.outsider)) == [world.b]
    assert set(compounds_visible_to(world.street_admin)) == {world.a, world.b}
