"""English dates written out in full ("November 28, 2026"), as in the agency's letters; Django's
default abbreviates the month ("Nov. 28, 2026"). French keeps Django's "28 novembre 2026"."""

DATE_FORMAT = "F j, Y"
DATETIME_FORMAT = "F j, Y, P"
MONTH_DAY_FORMAT = "F j"
YEAR_MONTH_FORMAT = "F Y"
