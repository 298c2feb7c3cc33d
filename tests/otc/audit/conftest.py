from tests.fixtures_web import *  # noqa: F403
