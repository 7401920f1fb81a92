from tests.factories.content import media_root  # noqa: F401 - fixture
