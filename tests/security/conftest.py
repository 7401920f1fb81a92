from tests.factories.content import (  # noqa: F401 - fixtures
    brax_page,
    collections,
    communication,
    home,
    levignac_page,
    media_root,
    other_communication,
)
