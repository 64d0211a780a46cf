"""A low-resolution land mask for the world map: one bit per degree of longitude (360) and of
latitude from 84°N to 58°S (142 rows), land = 1, rows packed MSB first, zlib-compressed and
base64-encoded. Generated once from the `global-land-mask` package's GLOBE-derived grid (a pixel
is land when at least a third of nine sample points in it are), so the console ships its
coastlines as data and needs nothing at run time."""

from __future__ import annotations

import base64
import zlib
from functools import cache

WIDTH = 360
HEIGHT = 142
TOP = 84.0
BOTTOM = -58.0

_PACKED = (
    "eNrFmc9rHUUcwL/7Js2+4jOvGMFIQ/eJf4CVQn1CzKZ48ea/8MC7Pk+NULILBe1BiEcPavwDPPQoeMjUHgJSiDc9mQ1B9FDa"
    "qUGyaTYzzuzs/NqZje95caBlO/t53/nO99d8ZwtgDcL/vHuewwwDMVa9nPG/ZmAjzj1j9VBTC53wkFNZzQrR6F4frn34K1yB"
    "zQC7wuEyrWHMlzHKsJHHDpIfGNsxWrBCb6Vss/HK9cH7VSxhYY61qX631oazo1ef7laIKTWgL6fF75gnmv1dMW7mTMFyvbLe"
    "N1c/PsOGpWNY2p0AJEoNaSCof85/0sstmOFnT7+m0n7azDCGUT1xWMLEcd4RS7nIIbM9SGDzdmP5ejkMkZg+YeRJytdz4IhE"
    "J3LLFROm5GTKl+0jViVcX4g1nPK34+iM6UFA7mCbnTKa3f2dw3I/fPvsOQ+NUwtmp7RobPsbuX18yPJIWY4vUzw4YDYsxJjn"
    "w50SscbPPErKfdaC2YNUP+JU+BAv9KVyz5k3tvXTWcS+jIRFxA4Zo0OPXUQH+vkhV4FvWsCIC8naLAWs5/ZGQyJCM8LCk6mv"
    "BIVIP8PDDzCkMgayKvNhBkg9VYDICJIGLj34CbfpJZN5SERSHXKjgGQkAix9HGl4rJPBswVdqoOWQCrVj1VORPnbZWuDGK7V"
    "4TmVUcz4XmmTIRief9TaG2yJN0sAMlHJZQUjvLTp6sxNX7+bgjLfXZVRL+JhkbVCKBJ+jZow5WNfRxEZbrtanEtY1LNI7mav"
    "iXBYI57/vgWiLCVL0R8arjznFVDYRdHkDrx56sH3AXvwfWnnX3w4MqWumfquqWtpQLIp5EqLLeef1hj5cLHVFCgvlO0irbId"
    "LDV2bQ8G4MbddX3cy1x3e/D3WvIO+9TeJZl4OqvFEna8z3I7oos7HqxKfEIvHTFtz1o94qlh4IVTtv2ZrXLuSVbuT8rBO8eW"
    "EmclYE+ymkn+GvSPLPiEBGC1VkKg/4mdgJuRDWcWzItHAZOP7ZIxRnarkDoHPNqjjsvLtaENJy68S6G/YLlkLfNgaiKWOtFE"
    "XqtajYkxM88F6sRpiYjTmZicag6UwoHBgwtruyW7YTmw5x70By24XY9a8HnRho+74De4xtN23nTBt7kSUyeszrnezI1GNa5y"
    "+LptR364V285pceMyxy+4lQRmrGrHfDA2MLA48bWj1vwYlZAq5il3I/y6fN2R8UPwMqJKtHlNaHb9+BiPAzBhLGp5WkFbyLs"
    "wAf1AVa4pStvUmkTVh14jztjyHBWTQJNLumlG/YG97gzYpan1caC32qTljWO+ExMIaUw8EQ74SzhHOJKdGc+vMxa8DGr+2Gu"
    "iQ9Hpmw0Z5/oaAjXL1/ye/O0BYsA4JIRw8NA05/3XTgXHSbczTD4t5EYbrrwYg2jJO9h/56Ss5+cg47WjS4awrIvOXp0Qq3g"
    "l/CfgBYBbfhKnzQFLLJS7z3gNeNW4cM3mgptw6u8BwJUBC9XhVWA6zwdiH4c4yAslU5lVyeTeqWIivC1TXqxL2XLYFklCF8E"
    "NwaRAuNpHILjFiwZRJIuGFvVQP4w+jkrvgjfCG1YXUCy/Xs+nJiyFlunRpn9uIyDMDWwKiNlunPrURBWu7Jq51b6FTzNg3Cp"
    "YZWTay98s56RIEx1LKn3q7wbTqp+CG4MZh0xA3gJUDWdDY65lV9nUcDOCs6MGry/jRALeTAAQ/J40jvW58K/wLCS+8mCrNYg"
    "a59RkxBMzYls3vTykV/AjJOFZFNpo3IShEt9yJamHiIy9auuC6+a85f4Hy4yF143Uso76vNBIKDr2DAXcFapXrTnuNDAuLK/"
    "1oiD1fOKUSMvvYLSholWH0p7/mKYGlhGQe67sFAepBGx7Y9ho7NwcHdrGDmtmQVT8OG4Cy41TPXVKw51M2KWaP+UWsk41FS1"
    "YfgvMAr1dsLdhX6cAcZ6ERJMig64CCaFA5ul8TxwbsFF6tt5aCIRUTs3uXECsEkOq9Zzv7/iuzthRccHyHq/kxlhEPt1C016"
    "MXy9BeMu+Kb3sTG9+GPreB54pdUWd4JxDuCaOi27Ydf0wnTdkntSuF0Yi4tUbvWN2YXfqdfngVdbMIbZB5sL9tTY6Ia35hDM"
    "4Tn0SOeRPBc8xPr2NMP/IeTwP41/AAP8+eI="
)


@cache
def land_rows() -> tuple[bytes, ...]:
    """The mask as HEIGHT rows of WIDTH bytes (1 = land), decoded once."""
    packed = zlib.decompress(base64.b64decode(_PACKED))
    stride = WIDTH // 8
    rows = []
    for y in range(HEIGHT):
        row = packed[y * stride : (y + 1) * stride]
        rows.append(bytes((byte >> (7 - bit)) & 1 for byte in row for bit in range(8)))
    return tuple(rows)


def is_land(lat: float, lon: float) -> bool:
    """Whether the mask's pixel holding (lat, lon) is land; outside its latitudes, sea."""
    if not BOTTOM <= lat < TOP:
        return False
    y = min(HEIGHT - 1, int((TOP - lat) / (TOP - BOTTOM) * HEIGHT))
    x = min(WIDTH - 1, max(0, int((lon + 180.0) / 360.0 * WIDTH)))
    return land_rows()[y][x] == 1
