"""Personal data: finding a person's values everywhere in a workbook, and erasing them (``xlcrm forget``)."""
