"""Tests of the brand images in custom_components/tatango_sms/brand/.

Home Assistant 2026.3 and newer serve a custom integration's own brand images
from that folder. They are drawn by scripts/brand.py.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Final

from PIL import Image, ImageChops
import pytest

from custom_components.tatango_sms.const import DOMAIN

ROOT: Final = Path(__file__).parent.parent
BRAND: Final = ROOT / "custom_components" / DOMAIN / "brand"
EXPECTED: Final = {
    "icon.png": 256,
    "icon@2x.png": 512,
    "dark_icon.png": 256,
    "dark_icon@2x.png": 512,
}
KNOWN: Final = {
    *EXPECTED,
    "logo.png",
    "logo@2x.png",
    "dark_logo.png",
    "dark_logo@2x.png",
}
"""Every file name Home Assistant looks for in the brand folder."""


def load_brand_script() -> ModuleType:
    """Import scripts/brand.py, which is not part of a package."""
    spec = importlib.util.spec_from_file_location(
        "tatango_brand", ROOT / "scripts" / "brand.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_only_known_files() -> None:
    """The folder holds the four icons and nothing Home Assistant would not use."""
    names = {path.name for path in BRAND.iterdir()}
    assert set(EXPECTED) <= names <= KNOWN


@pytest.mark.parametrize(("name", "size"), EXPECTED.items())
def test_icon(name: str, size: int) -> None:
    """Each icon is a square PNG of its size with a transparent background, trimmed to the drawing."""
    with Image.open(BRAND / name) as image:
        assert image.format == "PNG"
        assert image.size == (size, size)
        assert image.mode == "RGBA"
        alpha = image.getchannel("A")

    corners = [(0, 0), (size - 1, 0), (size - 1, size - 1)]
    assert all(alpha.getpixel(corner) == 0 for corner in corners)
    left, top, right, bottom = alpha.getbbox() or (0, 0, 0, 0)
    # Trimmed: the drawing reaches the edges in at least one direction.
    assert (left, right) == (0, size) or (top, bottom) == (0, size)
    # A solid drawing, not a faint one.
    opaque = sum(alpha.histogram()[255:])
    assert opaque > size * size // 3


@pytest.mark.parametrize("name", ["icon.png", "icon@2x.png"])
def test_dark_variant_differs(name: str) -> None:
    """The dark icons are drawn in another colour than the light ones."""
    with (
        Image.open(BRAND / name) as light,
        Image.open(BRAND / f"dark_{name}") as dark,
    ):
        difference = ImageChops.difference(light.convert("RGB"), dark.convert("RGB"))
        assert difference.getbbox() is not None


def test_images_come_from_the_script() -> None:
    """scripts/brand.py draws the committed images (up to Pillow's rounding across versions)."""
    drawn = load_brand_script().images()

    assert set(drawn) == set(EXPECTED)
    for name, image in drawn.items():
        with Image.open(BRAND / name) as committed:
            assert committed.size == image.size
            difference = ImageChops.difference(committed.convert("RGBA"), image)
            extrema: tuple[tuple[int, int], ...] = difference.getextrema()  # type: ignore[assignment]
            assert max(high for _low, high in extrema) <= 8, name
