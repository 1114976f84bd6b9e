"""Django's own messages that our catalogs translate again, the way a Brazilian hospital writes them.

Django's pt_BR catalog capitalises month names ("8 de Dezembro de 2026") and abbreviates weekdays
without accent nor period ("Sab"); in Brazil months are written in lower case ("8 de dezembro de 2026")
and weekdays abbreviated "seg.", "sáb.". Its catalog also counts 0 as singular ("há 0 minuto"), where
our pages write "0 minutos". Our catalogs (``LOCALE_PATHS``) are looked up before Django's, each with
its own plural rule, so translating these messages in locale/ is enough.

Nothing imports this module: it only declares the messages, exactly as django/utils/dates.py and
django/utils/timesince.py do (same msgids, same contexts), so that ``makemessages`` keeps them in our
catalogs. tests/test_translations.py renders dates and durations in pt-BR to hold them to it.
"""

from django.utils.translation import gettext_noop, ngettext_lazy, pgettext_lazy

WEEKDAYS_ABBR = [
    gettext_noop("Mon"),
    gettext_noop("Tue"),
    gettext_noop("Wed"),
    gettext_noop("Thu"),
    gettext_noop("Fri"),
    gettext_noop("Sat"),
    gettext_noop("Sun"),
]
# The "F" of a date format (DATE_FORMAT, YEAR_MONTH_FORMAT, MONTH_DAY_FORMAT).
MONTHS = [
    gettext_noop("January"),
    gettext_noop("February"),
    gettext_noop("March"),
    gettext_noop("April"),
    gettext_noop("May"),
    gettext_noop("June"),
    gettext_noop("July"),
    gettext_noop("August"),
    gettext_noop("September"),
    gettext_noop("October"),
    gettext_noop("November"),
    gettext_noop("December"),
]
# The "N" of a date format.
MONTHS_AP = [
    pgettext_lazy("abbrev. month", "Jan."),
    pgettext_lazy("abbrev. month", "Feb."),
    pgettext_lazy("abbrev. month", "March"),
    pgettext_lazy("abbrev. month", "April"),
    pgettext_lazy("abbrev. month", "May"),
    pgettext_lazy("abbrev. month", "June"),
    pgettext_lazy("abbrev. month", "July"),
    pgettext_lazy("abbrev. month", "Aug."),
    pgettext_lazy("abbrev. month", "Sept."),
    pgettext_lazy("abbrev. month", "Oct."),
    pgettext_lazy("abbrev. month", "Nov."),
    pgettext_lazy("abbrev. month", "Dec."),
]
# The "E" of a date format.
MONTHS_ALT = [
    pgettext_lazy("alt. month", "January"),
    pgettext_lazy("alt. month", "February"),
    pgettext_lazy("alt. month", "March"),
    pgettext_lazy("alt. month", "April"),
    pgettext_lazy("alt. month", "May"),
    pgettext_lazy("alt. month", "June"),
    pgettext_lazy("alt. month", "July"),
    pgettext_lazy("alt. month", "August"),
    pgettext_lazy("alt. month", "September"),
    pgettext_lazy("alt. month", "October"),
    pgettext_lazy("alt. month", "November"),
    pgettext_lazy("alt. month", "December"),
]
# The |timesince filter: "0 minutos", not "0 minuto".
TIME_STRINGS = [
    ngettext_lazy("%(num)d year", "%(num)d years", "num"),
    ngettext_lazy("%(num)d month", "%(num)d months", "num"),
    ngettext_lazy("%(num)d week", "%(num)d weeks", "num"),
    ngettext_lazy("%(num)d day", "%(num)d days", "num"),
    ngettext_lazy("%(num)d hour", "%(num)d hours", "num"),
    ngettext_lazy("%(num)d minute", "%(num)d minutes", "num"),
]
