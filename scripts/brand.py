# ruff: noqa: INP001
"""Draw the integration's brand images into custom_components/tatango_sms/brand/.

A speech bubble with three dots (an SMS being typed), cut out of it so the
page shows through in light and dark themes; the dark variants use a lighter
blue. ``python scripts/brand.py [OUTPUT_DIR]`` with Pillow (a test
environment's Python has it). Home Assistant 2026.3 and newer show them.
"""

from __future__ import annotations

from pathlib import Path
import sys
from typing import Final

from PIL import Image, ImageDraw

ROOT: Final = Path(__file__).resolve().parent.parent
BRAND_DIR: Final = ROOT / "custom_components" / "tatango_sms" / "brand"

LIGHT: Final = (11, 120, 208, 255)
"""The bubble on a light page."""
DARK: Final = (77, 163, 240, 255)
"""The bubble on a dark page."""

SIZES: Final = {"icon.png": 256, "icon@2x.png": 512}
"""Each icon file and its size; the dark ones are the same with a dark_ prefix."""

_CANVAS: Final = 512
_SUPERSAMPLE: Final = 4


def draw_icon(color: tuple[int, int, int, int], size: int) -> Image.Image:
    """Return the square RGBA icon in color, size pixels wide, trimmed to the drawing."""
    scale = _SUPERSAMPLE

    def box(*values: float) -> list[float]:
        return [value * scale for value in values]

    big = Image.new("RGBA", (_CANVAS * scale, _CANVAS * scale), (0, 0, 0, 0))
    draw = ImageDraw.Draw(big)
    # The bubble: a rounded rectangle with a tail at its lower left.
    draw.rounded_rectangle(box(16, 40, 496, 392), radius=104 * scale, fill=color)
    draw.polygon(box(104, 360, 232, 380, 64, 488), fill=color)
    # Three dots, cut out of the bubble.
    for center_x in (146, 256, 366):
        draw.ellipse(box(center_x - 38, 178, center_x + 38, 254), fill=(0, 0, 0, 0))

    # Trim to the drawing, centred on a square canvas, then scale down.
    left, top, right, bottom = big.getbbox() or (0, 0, *big.size)
    side = max(right - left, bottom - top)
    square = Image.new("RGBA", (side, side), (0, 0, 0, 0))
    square.paste(
        big.crop((left, top, right, bottom)),
        ((side - (right - left)) // 2, (side - (bottom - top)) // 2),
    )
    return square.resize((size, size), Image.Resampling.LANCZOS)


def images() -> dict[str, Image.Image]:
    """Return every brand image by file name."""
    result: dict[str, Image.Image] = {}
    for name, size in SIZES.items():
        result[name] = draw_icon(LIGHT, size)
        result[f"dark_{name}"] = draw_icon(DARK, size)
    return result


def main(argv: list[str]) -> int:
    """Write the images into the brand folder (or the folder given)."""
    target = Path(argv[1]) if len(argv) > 1 else BRAND_DIR
    target.mkdir(parents=True, exist_ok=True)
    for name, image in images().items():
        image.save(target / name, optimize=True)
        print(f"wrote {target / name} ({image.width}x{image.height})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
