"""Vietnamese number formats: Django's own leave grouping off; officials write 12.345.678,5."""

DECIMAL_SEPARATOR = ","
THOUSAND_SEPARATOR = "."
NUMBER_GROUPING = 3
