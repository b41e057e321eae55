"""The words people read: numbers, ranges, durations and the deck's line, in French or English.

French is the default ("0,26 Wh", "1 074 jetons"); English writes "0.26 Wh",
"1,074 tokens". Figures keep two significant digits: they are estimates.
"""

import math

from impacts.estimate import Estimate, Range

# French groups thousands with a narrow no-break space, as CLDR does.
_THIN_SPACE = "\u202f"
_SIGNIFICANT = 2

_WORDS = {
    "fr": {
        "to": "à",
        "billion": ("milliard param.", "milliards param."),
        "million": ("million param.", "millions param."),
        "tokens": ("jeton", "jetons"),
        "active": "(dont {active} actifs)",
        "estimated": "(est.)",
        "quantized": "(quantisé)",
        "unknown": "impact inconnu",
        "unknown_size": "taille inconnue",
        "colon": " : ",
        "seconds": "s",
        "minutes": "min",
        "hours": "h",
        "days": ("jour", "jours"),
        "under_a_second": "moins d'une seconde",
    },
    "en": {
        "to": "to",
        "billion": ("billion params", "billion params"),
        "million": ("million params", "million params"),
        "tokens": ("token", "tokens"),
        "active": "({active} active)",
        "estimated": "(est.)",
        "quantized": "(quantized)",
        "unknown": "impact unknown",
        "unknown_size": "size unknown",
        "colon": ": ",
        "seconds": "s",
        "minutes": "min",
        "hours": "h",
        "days": ("day", "days"),
        "under_a_second": "less than a second",
    },
}


def words(language: str) -> dict:
    return _WORDS.get(language[:2], _WORDS["fr"])


def rounded(value: float, significant: int = _SIGNIFICANT) -> float:
    """Round to a number of significant digits; whole numbers from 100 up."""
    if value == 0 or not math.isfinite(value):
        return value
    if abs(value) >= 10**significant:
        return float(round(value))
    digits = significant - 1 - math.floor(math.log10(abs(value)))
    return round(value, digits)


def number(value: float, language: str = "fr", significant: int = _SIGNIFICANT) -> str:
    value = rounded(value, significant)
    is_whole = float(value).is_integer()
    text = f"{int(value):,}" if is_whole else f"{value:,.{_decimals(value)}f}"
    if language.startswith("fr"):
        text = text.replace(",", _THIN_SPACE).replace(".", ",")
    return text


def _decimals(value: float) -> int:
    text = repr(float(value))
    if "e" in text:
        mantissa, exponent = text.split("e")
        return max(0, -int(exponent) + len(mantissa.split(".")[1].rstrip("0")))
    return len(text.split(".")[1].rstrip("0")) if "." in text else 0


def whole(value: int, language: str = "fr") -> str:
    """A count, written in full with grouped thousands (1 074 / 1,074)."""
    return number(value, language, significant=len(str(abs(int(value)))))


def span(value: Range, unit: str, language: str = "fr") -> str:
    """ "0,26 Wh", or "0,24 à 0,31 Wh" when the two ends differ once rounded."""
    low, high = number(value.min, language), number(value.max, language)
    if low == high:
        return f"{low} {unit}"
    return f"{low} {words(language)['to']} {high} {unit}"


def duration(hours: float, language: str = "fr") -> str:
    """A duration in the unit a person would use: seconds, minutes, hours or days."""
    w = words(language)
    seconds = hours * 3600
    if seconds < 1:
        return w["under_a_second"]
    if seconds < 60:
        return f"{number(seconds, language)} {w['seconds']}"
    if seconds < 3600:
        return f"{number(seconds / 60, language)} {w['minutes']}"
    if hours < 48:
        return f"{number(hours, language)} {w['hours']}"
    days = rounded(hours / 24)
    return f"{number(days, language)} {w['days'][0 if days < 2 else 1]}"


def parameters(low_b: float, high_b: float | None = None, language: str = "fr") -> str:
    """ "35 milliards param.", "270 millions param.", "300 à 600 milliards param.\""""
    w = words(language)
    top = high_b if high_b is not None else low_b
    names, factor = (w["million"], 1000) if top < 1 else (w["billion"], 1)
    low = number(low_b * factor, language, significant=3)
    plural = 1 if top * factor >= 2 else 0
    if high_b is None or high_b == low_b:
        return f"{low} {names[plural]}"
    high = number(high_b * factor, language, significant=3)
    return f"{low} {w['to']} {high} {names[plural]}"


def energy_line(
    estimate: Estimate | None,
    *,
    total_params_b: tuple[float, float | None] | None,
    output_tokens: int,
    active_params_b: float | None = None,
    estimated: bool = False,
    quantized: bool = False,
    language: str = "fr",
) -> str:
    """The deck's line: "35 milliards param. × 1 074 jetons ≈ 0,26 Wh"."""
    w = words(language)
    token_word = w["tokens"][0 if output_tokens < 2 else 1]
    tokens = f"{whole(output_tokens, language)} {token_word}"
    if estimate is None or total_params_b is None:
        return f"{tokens}{w['colon']}{w['unknown']}"
    size = parameters(*total_params_b, language=language)
    if active_params_b is not None and active_params_b != total_params_b[0]:
        size += " " + w["active"].format(active=number(active_params_b, language, significant=3))
    if estimated:
        size += f" {w['estimated']}"
    if quantized:
        size += f" {w['quantized']}"
    return f"{size} × {tokens} ≈ {span(estimate.energy_wh, 'Wh', language)}"
