"""ISO 639-1: the two-letter language codes a city's working languages are written in."""

from __future__ import annotations

_CODES = (
    "aa ab ae af ak am an ar as av ay az ba be bg bh bi bm bn bo br bs ca ce ch co cr cs cu cv cy "
    "da de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht hu "
    "hy hz ia id ie ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv kw ky la lb "
    "lg li ln lo lt lu lv mg mh mi mk ml mn mr ms mt my na nb nd ne ng nl nn no nr nv ny oc oj om "
    "or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg si sk sl sm sn so sq sr ss st su sv sw "
    "ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi vo wa wo xh yi yo za zh zu"
)
ISO_639_1 = frozenset(_CODES.split())


def content_language_choices() -> list[tuple[str, str]]:
    """(code, name) of the languages a text can be written in, names in the active language;
    the product's own languages first."""
    from django.conf import settings
    from django.conf.locale import LANG_INFO
    from django.utils.translation import gettext

    first = [code for code, _name in settings.LANGUAGES]
    named = sorted(
        (code for code in ISO_639_1 if code in LANG_INFO and code not in first),
        key=lambda code: gettext(LANG_INFO[code]["name"]),
    )
    return [(code, gettext(LANG_INFO[code]["name"])) for code in [*first, *named]]


def validate_language_code(code: str) -> None:
    from django.core.exceptions import ValidationError
    from django.utils.translation import gettext

    if code not in ISO_639_1:
        raise ValidationError(
            gettext("Use a two-letter ISO 639-1 code in lower case, such as 'en'."), code="language"
        )


def normalise_languages(codes: list[str]) -> list[str]:
    """Lower-cased, de-duplicated and sorted, so equal sets of languages compare equal."""
    return sorted({code.strip().lower() for code in codes})
