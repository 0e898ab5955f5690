"""ISO 639-1: the two-letter language codes a city's working languages are written in."""

from __future__ import annotations

import functools

from django.utils.translation import gettext_noop

_CODES = (
    "aa ab ae af ak am an ar as av ay az ba be bg bh bi bm bn bo br bs ca ce ch co cr cs cu cv cy "
    "da de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht hu "
    "hy hz ia id ie ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv kw ky la lb "
    "lg li ln lo lt lu lv mg mh mi mk ml mn mr ms mt my na nb nd ne ng nl nn no nr nv ny oc oj om "
    "or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg si sk sl sm sn so sq sr ss st su sv sw "
    "ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi vo wa wo xh yi yo za zh zu"
)
ISO_639_1 = frozenset(_CODES.split())


# Names of languages that Django's own Japanese or Vietnamese catalogues leave in English;
# the project's catalogues give them.
UNTRANSLATED_BY_DJANGO = (
    gettext_noop("Afrikaans"),
    gettext_noop("Armenian"),
    gettext_noop("Georgian"),
    gettext_noop("Ido"),
    gettext_noop("Igbo"),
    gettext_noop("Kyrgyz"),
    gettext_noop("Malay"),
    gettext_noop("Marathi"),
    gettext_noop("Norwegian"),
    gettext_noop("Norwegian Bokmål"),
    gettext_noop("Punjabi"),
    gettext_noop("Scottish Gaelic"),
    gettext_noop("Tajik"),
    gettext_noop("Telugu"),
    gettext_noop("Turkmen"),
    gettext_noop("Urdu"),
    gettext_noop("Uyghur"),
    gettext_noop("Uzbek"),
)


def content_language_choices() -> list[tuple[str, str]]:
    """(code, name) of the languages a text can be written in, names in the active language;
    the product's own languages first."""
    from django.conf import settings
    from django.conf.locale import LANG_INFO

    first = [code for code, _name in settings.LANGUAGES]
    named = sorted(
        (code for code in ISO_639_1 if code in LANG_INFO and code not in first),
        key=language_name,
    )
    return [(code, language_name(code)) for code in [*first, *named]]


def language_name(code: str) -> str:
    """``"ja"`` → "Japanese", in the active language (the code itself when unknown).

    Django's list of languages names them as its catalogues translate them ("Norwegian
    Bokmål"); LANG_INFO names the others.
    """
    from django.utils.translation import gettext

    name = _english_names().get(code)
    return gettext(name) if name else code


@functools.cache
def _english_names() -> dict[str, str]:
    from django.conf import global_settings
    from django.conf.locale import LANG_INFO

    names = {code: info["name"] for code, info in LANG_INFO.items() if "name" in info}
    names.update((code, str(name)) for code, name in global_settings.LANGUAGES)
    return names


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
