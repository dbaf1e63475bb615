"""CSV cells a spreadsheet shows as text and never evaluates: a value starting with a formula character (=, +, -,
@, tab, carriage return) gets a leading apostrophe (OWASP "CSV injection"). Numbers are written as they are.
Every CSV the portal writes from user text goes through `cell`."""

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, int | float):
        return str(value)
    text = str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text
