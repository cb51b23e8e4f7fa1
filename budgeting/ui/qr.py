"""Join QR codes, generated locally with segno (no network, no image service)."""

from __future__ import annotations

import io
from functools import cache
from urllib.parse import urlencode, urlsplit

import segno


def join_url(base_url: str, round_id: str) -> str:
    """The resident ballot's address for ``round_id`` on the server at ``base_url``."""
    parts = urlsplit(base_url)
    origin = f"{parts.scheme}://{parts.netloc}" if parts.netloc else base_url.rstrip("/")
    return f"{origin}/vote?{urlencode({'round': round_id})}"


def short_link(url: str) -> str:
    """The address as people type it: no scheme, no ``www.``."""
    parts = urlsplit(url)
    host = parts.netloc.removeprefix("www.")
    query = f"?{parts.query}" if parts.query else ""
    return f"{host}{parts.path}{query}"


@cache
def qr_svg_data_uri(url: str, *, dark: str = "#000000", light: str = "#ffffff") -> str:
    """A scalable QR code for ``url`` as an SVG ``data:`` URI for an ``<img>``.

    Error correction level M survives a glare spot on a projected image; the quiet zone
    (border of 4 modules) is kept because phones need it to find the code.
    """
    code = segno.make(url, error="m", micro=False)
    return code.svg_data_uri(dark=dark, light=light, scale=10, border=4)


def qr_png_bytes(url: str, *, scale: int = 12) -> bytes:
    """The same QR code as PNG bytes, for posters and printed voter-code sheets."""
    buffer = io.BytesIO()
    segno.make(url, error="m", micro=False).save(buffer, kind="png", scale=scale, border=4)
    return buffer.getvalue()
