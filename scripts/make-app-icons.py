"""Draw the web app's icons (static/app/*.png): a white house on the portal's dark blue.

Run once after changing the drawing: `.venv/bin/python scripts/make-app-icons.py`.
The maskable icons keep the drawing inside the central 80 % circle that every launcher shows.
"""

from pathlib import Path

from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parent.parent
BRAND_DARK = (8, 63, 94, 255)
WHITE = (255, 255, 255, 255)


def house(draw, size, scale):
    """A house (roof, walls, door) centred, `scale` of the icon's width."""
    unit = size * scale
    left, top = (size - unit) / 2, (size - unit) / 2
    roof = [
        (left, top + unit * 0.45),
        (left + unit / 2, top + unit * 0.05),
        (left + unit, top + unit * 0.45),
    ]
    draw.polygon(roof, fill=WHITE)
    draw.rectangle(
        [left + unit * 0.15, top + unit * 0.42, left + unit * 0.85, top + unit * 0.95], fill=WHITE
    )
    draw.rectangle(
        [left + unit * 0.42, top + unit * 0.62, left + unit * 0.58, top + unit * 0.95],
        fill=BRAND_DARK,
    )


def icon(size, *, maskable):
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    if maskable:
        draw.rectangle([0, 0, size, size], fill=BRAND_DARK)
        house(draw, size, 0.5)
    else:
        draw.rounded_rectangle([0, 0, size - 1, size - 1], radius=size // 6, fill=BRAND_DARK)
        house(draw, size, 0.66)
    return image


def main():
    folder = ROOT / "static" / "app"
    folder.mkdir(parents=True, exist_ok=True)
    for size in (192, 512):
        icon(size, maskable=False).save(folder / f"icon-{size}.png", optimize=True)
        icon(size, maskable=True).save(folder / f"icon-maskable-{size}.png", optimize=True)


if __name__ == "__main__":
    main()
