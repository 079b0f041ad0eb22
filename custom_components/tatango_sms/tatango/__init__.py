"""Tatango's SMS Gateway protocol: sending (MT), incoming messages (MO), phone numbers and GSM-7.

Knows nothing about Home Assistant; the integration around it maps it onto Home Assistant.
"""
