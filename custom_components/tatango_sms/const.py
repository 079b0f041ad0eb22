"""Constants for the Tatango SMS integration."""

from typing import Final

DOMAIN: Final = "tatango_sms"

CONF_CLOUDHOOK: Final = "cloudhook"
CONF_TEST_RECIPIENT: Final = "test_recipient"

EVENT_RECEIVED: Final = f"{DOMAIN}_received"
