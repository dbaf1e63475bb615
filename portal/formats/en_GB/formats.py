"""The portal's date formats in the admin and every page Django formats: one format, with the time zone's name
("7 Dec 2026 00:47 UTC"), the same as the documents and the audit pages (portal.core.display.moment_text)."""

DATE_FORMAT = "j M Y"
DATETIME_FORMAT = "j M Y H:i T"
TIME_FORMAT = "H:i"
SHORT_DATE_FORMAT = "j M Y"
SHORT_DATETIME_FORMAT = "j M Y H:i T"
YEAR_MONTH_FORMAT = "F Y"
MONTH_DAY_FORMAT = "j F"
# What the forms accept: ISO first (the format the API and the help texts give), then the British day-first forms.
DATE_INPUT_FORMATS = ["%Y-%m-%d", "%d/%m/%Y", "%d/%m/%y", "%d %b %Y", "%d %B %Y"]
DATETIME_INPUT_FORMATS = ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S",
                          "%Y-%m-%dT%H:%M", "%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%y %H:%M"]
FIRST_DAY_OF_WEEK = 1  # Monday
