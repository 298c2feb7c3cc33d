# Until tests/conftest.py lists these in pytest_plugins (only the root
# conftest may), import the fixtures here.
from tests.fixtures_api import *  # noqa: F403
from tests.fixtures_web import *  # noqa: F403
