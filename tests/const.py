"""Constants shared by the tests."""

from typing import Final

TEST_KEY: Final = "test-gateway-key"
TEST_PASSWORD: Final = "s3cret-password"
